// SEP<MAC>.cnf.xml / XMLDefault.cnf.xml: the generator and the parser agree, the security fields follow the profile
// and the enterprise parameters, the stub engine/trust builds from our file reads back, and the XML reader refuses
// hostile documents with a clear error.
import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { buildStubConfig } from '../../engine/trust/index.js';
import {
  CnfXmlError,
  generateCnfXml,
  generateXmlDefault,
  parseCnfXml,
  parseXml,
  parseXmlDefault,
  phoneConfigFor,
  defaultConfigFor,
  disabledTlsCiphers,
  serializeXml,
  XmlError,
  type DeviceRecord,
  type EnterpriseParameters,
  type PhoneConfig,
} from '../../engine/tftp/index.js';

const params: EnterpriseParameters = {
  callManagers: [{ processNodeName: 'cm1.example', description: 'pub & <first>' }, { processNodeName: 'cm2.example', sipPort: 5070, securedSipPort: 5071 }],
  capf: [{ processNodeName: 'cm1.example' }],
  tvs: [{ address: 'tvs1.example' }, { address: 'tvs2.example', port: 2446 }],
  urls: { servicesURL: 'http://cm1.example/svc?a=1&b=2' },
};

const device = (over: Partial<DeviceRecord> = {}): DeviceRecord => ({
  mac: '001122334455',
  securityProfile: { deviceSecurityMode: 'encrypted', tftpEncryptedConfig: false, capfAuthMode: 'existing-lsc' },
  loadInformation: 'sip88xx.14-2-1',
  lines: [{ button: 1, name: '1001', displayName: 'One', authName: 'u1', authPassword: 'p"w<1>' }],
  ...over,
});

describe('tftp: cnf.xml', () => {
  it('writes the security fields of an encrypted phone and reads them back', () => {
    const cfg = phoneConfigFor(device(), { parameters: { ...params, tlsCiphers: 'strongest-rsa', tls12Only: true }, mixedMode: true });
    const xml = generateCnfXml(cfg);
    expect(xml).to.match(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<device>/);
    expect(xml).to.contain('<deviceSecurityMode>3</deviceSecurityMode>');
    expect(xml).to.contain('<transportLayerProtocol>3</transportLayerProtocol>');
    expect(xml).to.contain('<securedSipPort>5061</securedSipPort>');
    expect(xml).to.contain('<TLSResumptionTimer>3600</TLSResumptionTimer>');
    // "Strongest" allows only the two AES-256 GCM ECDHE suites: every other numbered suite is disabled.
    expect(xml).to.contain('<disableTLSCiphers>1,2,3,4,5</disableTLSCiphers>');
    expect(xml).to.contain('<member priority="1">');
    expect(xml).to.contain('<description>pub &amp; &lt;first&gt;</description>');
    const back = parseCnfXml(xml);
    expect(back).to.deep.equal(cfg);
    expect(back.tvs).to.deep.equal([
      { priority: 0, address: 'tvs1.example', port: 2445 },
      { priority: 1, address: 'tvs2.example', port: 2446 },
    ]);
    expect(back.capfList).to.deep.equal([{ phonePort: 3804, processNodeName: 'cm1.example' }]);
    expect(back.capfAuthMode, 'no CAPF operation pending').to.equal(0);
    expect(back.encrConfig).to.equal(false);
    expect(back.certHash).to.equal('');
    expect(back.lines[0]).to.deep.include({ authName: 'u1', authPassword: 'p"w<1>', port: 5061 });
  });

  it('follows the profile: non-secure transports, secure modes need mixed mode, CAPF pending, excluded digest credentials', () => {
    const ns = phoneConfigFor(device({ securityProfile: { deviceSecurityMode: 'non-secure', transport: 'UDP' } }), { parameters: params, mixedMode: true });
    expect([ns.deviceSecurityMode, ns.transportLayerProtocol]).to.deep.equal([1, 2]);
    const tcp = phoneConfigFor(device({ securityProfile: { deviceSecurityMode: 'non-secure' } }), { parameters: params, mixedMode: true });
    expect(tcp.transportLayerProtocol, 'default TCP').to.equal(1);
    const auth = phoneConfigFor(device({ securityProfile: { deviceSecurityMode: 'authenticated', transport: 'UDP' } }), { parameters: params, mixedMode: true });
    expect([auth.deviceSecurityMode, auth.transportLayerProtocol], 'secure modes use TLS').to.deep.equal([2, 3]);
    const noCtl = phoneConfigFor(device(), { parameters: params, mixedMode: false });
    expect([noCtl.deviceSecurityMode, noCtl.transportLayerProtocol], 'no CTL: non-secure').to.deep.equal([1, 1]);
    const capf = phoneConfigFor(device({ capfOperation: 'install-upgrade', securityProfile: { deviceSecurityMode: 'non-secure', capfAuthMode: 'null-string' } }), { parameters: params, mixedMode: true });
    expect(capf.capfAuthMode).to.equal(2);
    const excl = phoneConfigFor(device({ securityProfile: { deviceSecurityMode: 'encrypted', excludeDigestCredentials: true } }), { parameters: params, mixedMode: true });
    expect(excl.lines[0]).to.not.have.any.keys('authName', 'authPassword');
  });

  it('carries the certificate hash and encrConfig when the config is encrypted', () => {
    const cert = Buffer.from('not really a certificate');
    const c = phoneConfigFor(device({ securityProfile: { deviceSecurityMode: 'encrypted', tftpEncryptedConfig: true } }), { parameters: params, mixedMode: true, encryptionCertificate: cert });
    expect(c.encrConfig).to.equal(true);
    expect(c.certHash).to.equal(createHash('md5').update(cert).digest('hex'));
  });

  it('derives <disableTLSCiphers> from the TLS Ciphers preset, or takes the explicit list', () => {
    expect(disabledTlsCiphers({ ...params })).to.deep.equal([]);
    expect(disabledTlsCiphers({ ...params, tlsCiphers: 'All Ciphers, RSA Preferred' })).to.deep.equal([1, 3]);
    expect(disabledTlsCiphers({ ...params, tlsCiphers: 'medium-ecdsa' })).to.deep.equal([1, 2, 3]);
    expect(disabledTlsCiphers({ ...params, tlsCiphers: 'strongest-rsa', disabledTlsCiphers: [1] })).to.deep.equal([1]);
    expect(() => disabledTlsCiphers({ ...params, tlsCiphers: 'bogus' })).to.throw(/unknown TLS Ciphers/);
  });

  it('keeps what engine/trust puts in the stub beside an encrypted config', () => {
    const full = generateCnfXml(phoneConfigFor(device({ capfOperation: 'install-upgrade' }), { parameters: params, mixedMode: true }));
    const stub = parseCnfXml(buildStubConfig(full, { certHash: 'ab'.repeat(16) }));
    expect(stub).to.deep.include({ fullConfig: false, ipAddressMode: 0, loadInformation: 'sip88xx.14-2-1', capfAuthMode: 3, certHash: 'ab'.repeat(16), encrConfig: true });
    expect(stub.capfList).to.have.length(1);
    expect(stub.callManagers).to.deep.equal([]);
    expect(stub.lines, 'no secrets in the stub').to.deep.equal([]);
  });

  it('writes and reads XMLDefault.cnf.xml', () => {
    const d = defaultConfigFor({ ...params, autoRegistration: true, loads: [{ typeId: 683, model: 'Cisco 8841', load: 'sip88xx.14-2-1' }] });
    const xml = generateXmlDefault(d);
    expect(xml).to.contain('<Default>');
    expect(xml).to.contain('<loadInformation683 model="Cisco 8841">sip88xx.14-2-1</loadInformation683>');
    expect(parseXmlDefault(xml)).to.deep.equal(d);
    expect(parseXmlDefault(generateXmlDefault(defaultConfigFor(params))).autoRegistration).to.equal(false);
  });

  it('reads files written by others: attributes, comments, CDATA, missing elements', () => {
    const xml = `<?xml version="1.0"?>\n<!-- from elsewhere -->\n<device xsi:type="axl:XIPPhone" ctiid='5'>
      <fullConfig>true</fullConfig><devicePool><callManagerGroup><members>
      <member  priority="0"><callManager><ports><sipPort>5060</sipPort></ports><processNodeName>10.0.0.1</processNodeName></callManager></member>
      </members></callManagerGroup></devicePool>
      <deviceSecurityMode> 2 </deviceSecurityMode><certHash><![CDATA[00ff]]></certHash><encrConfig>1</encrConfig><vendorConfig><x/></vendorConfig></device>`;
    const c = parseCnfXml(xml);
    expect(c.callManagers).to.deep.equal([{ priority: 0, name: '10.0.0.1', sipPort: 5060, securedSipPort: 5061, processNodeName: '10.0.0.1' }]);
    expect(c.deviceSecurityMode).to.equal(2);
    expect(c.certHash).to.equal('00ff');
    expect(c.encrConfig).to.equal(true);
    expect(c.transportLayerProtocol).to.equal(undefined);
  });

  it('refuses bad values with the element named', () => {
    const bad = (inner: string, element: RegExp) => expect(() => parseCnfXml(`<device>${inner}</device>`)).to.throw(CnfXmlError, element);
    bad('<deviceSecurityMode>three</deviceSecurityMode>', /deviceSecurityMode/);
    bad('<deviceSecurityMode>999</deviceSecurityMode>', /deviceSecurityMode/);
    bad('<encrConfig>maybe</encrConfig>', /encrConfig/);
    bad('<disableTLSCiphers>1,x</disableTLSCiphers>', /disableTLSCiphers/);
    bad('<TVS><members><member priority="0"><port>2445</port></member></members></TVS>', /TVS/);
    bad('<TVS><members><member priority="0"><port>70000</port><address>a</address></member></members></TVS>', /port/);
    bad('<devicePool><callManagerGroup><members><member priority="x"><callManager><processNodeName>a</processNodeName></callManager></member></members></callManagerGroup></devicePool>', /priority/);
    expect(() => parseCnfXml('<Default/>')).to.throw(CnfXmlError, /expected <device>/);
  });
});

describe('tftp: XML reader', () => {
  const refuse = (xml: string, what: RegExp) => {
    let err: unknown;
    try {
      parseXml(xml, { maxDepth: 8, maxElements: 50, maxLength: 10_000 });
    } catch (e) {
      err = e;
    }
    expect(err, xml.slice(0, 60)).to.be.instanceOf(XmlError);
    expect((err as XmlError).message).to.match(/^XML at offset \d+/);
    expect((err as XmlError).message).to.match(what);
  };

  it('refuses DTDs, unknown entities and every structural error', () => {
    refuse('<!DOCTYPE d [<!ENTITY x "xx">]><d>&x;</d>', /DTD/);
    refuse('<d>&x;</d>', /unknown entity/);
    refuse('<d>&amp</d>', /unterminated reference/);
    refuse('<d>&#0;</d>', /not an XML character/);
    refuse('<d>\u0001</d>', /not allowed/);
    refuse('<d><e></d>', /closes <e>/);
    refuse('<d></d><e/>', /second root/);
    refuse('<d>', /never closed/);
    refuse('</d>', /closes nothing/);
    refuse('text<d/>', /before the root/);
    refuse('<d/>text', /after the root/);
    refuse('<d a=1/>', /not quoted/);
    refuse('<d a="1" a="2"/>', /twice/);
    refuse('<d a="<"/>', /"<"/);
    refuse('<d a="1"b="2"/>', /whitespace/);
    refuse('<d><!-- x </d>', /unterminated comment/);
    refuse('<d><![CDATA[x</d>', /unterminated CDATA/);
    refuse('<1d/>', /element name/);
    refuse('', /no root/);
    refuse('<a>' + '<b>'.repeat(10) + '</b>'.repeat(10) + '</a>', /deeper than 8/);
    refuse('<a>' + '<b/>'.repeat(60) + '</a>', /more than 50 elements/);
    refuse('<a>' + 'x'.repeat(10_001) + '</a>', /limit/);
  });

  it('keeps "__proto__" attributes as plain data', () => {
    const e = parseXml('<d __proto__="x" constructor="y"/>');
    expect(e.attributes.__proto__).to.equal('x');
    expect(Object.getPrototypeOf(e.attributes)).to.equal(null);
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
  });

  it('fuzz: random text parses or raises XmlError; what parses re-serializes to an equal tree', () => {
    const piece = fc.constantFrom('<d>', '</d>', '<e a="1">', '</e>', '<f/>', 'text', '&amp;', '&lt;', '&#65;', '<!-- c -->', '<![CDATA[<x>]]>', '<?pi x?>', '&bogus;', '"', "'", '<', '>', ' ');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.array(piece, { maxLength: 30 }).map((a) => a.join(''))), (s) => {
        let root;
        try {
          root = parseXml(s, { maxDepth: 16 });
        } catch (e) {
          if (!(e instanceof XmlError)) throw e;
          return;
        }
        const again = parseXml(serializeXml(root));
        const strip = (x: typeof root): unknown => ({ n: x.name, a: { ...x.attributes }, c: x.children.map(strip), t: x.children.length ? '' : x.text });
        expect(strip(again)).to.deep.equal(strip(root));
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: generated configurations round-trip', () => {
    const text = fc.string({ maxLength: 20 }).filter((s) => !/[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/.test(s) && s.trim() === s && !/[\ud800-\udfff]/.test(s));
    const nonEmpty = text.filter((s) => s.length > 0);
    fc.assert(
      fc.property(
        fc.record({
          cms: fc.array(fc.record({ processNodeName: nonEmpty, sipPort: fc.integer({ min: 0, max: 65535 }) }), { maxLength: 5 }),
          mode: fc.constantFrom('non-secure', 'authenticated', 'encrypted' as const),
          lines: fc.array(fc.record({ name: text, authPassword: text }), { maxLength: 3 }),
          url: text,
        }),
        ({ cms, mode, lines, url }) => {
          const cfg: PhoneConfig = phoneConfigFor(
            { mac: '001122334455', securityProfile: { deviceSecurityMode: mode }, lines: lines.map((l, i) => ({ button: i + 1, ...l })) },
            { parameters: { callManagers: cms, urls: { servicesURL: url } }, mixedMode: true },
          );
          const back = parseCnfXml(generateCnfXml(cfg));
          expect(back).to.deep.equal(JSON.parse(JSON.stringify(cfg)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
