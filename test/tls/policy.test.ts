import { expect } from 'chai';
import tls from 'node:tls';
import { getSuite } from '../../ciphers/tls/suite-catalogue.js';
import type { ClientHelloInfo } from '../../engine/tls/client-hello.js';
import {
  PORT_VERSION_TABLE,
  TlsPolicyError,
  allowedTlsVersions,
  buildTlsPolicy,
  clientOptionsFor,
  ecdhCurveForClient,
  forecastNegotiation,
  versionRowForPort,
} from '../../engine/tls/policy.js';
import { CipherStringError } from '../../engine/tls/presets.js';

function hello(o: Partial<ClientHelloInfo> & { suites: string[] }): ClientHelloInfo {
  return {
    legacyVersion: 0x0303,
    versions: ['TLSv1.2'],
    cipherSuites: o.suites.map((n) => getSuite(n).code),
    groups: undefined,
    sigalgs: undefined,
    keyShareGroups: [],
    serverName: undefined,
    alpn: [],
    extensions: [],
    length: 0,
    ...o,
  };
}

describe('engine/tls policy', () => {
  it('carries the per-port version table (seed 001 L4319-4337)', () => {
    expect(allowedTlsVersions(5061, '1.0')).to.deep.equal(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(allowedTlsVersions(5061, '1.1')).to.deep.equal(['TLSv1.1', 'TLSv1.2']);
    expect(allowedTlsVersions(5061, '1.2')).to.deep.equal(['TLSv1.2']);
    expect(allowedTlsVersions(5061, '1.0', true)).to.deep.equal(['TLSv1.1']);
    expect(allowedTlsVersions(6971, '1.0')).to.deep.equal(['TLSv1.2']);
    expect(allowedTlsVersions(6972, '1.1', true)).to.deep.equal(['TLSv1.1', 'TLSv1.2']);
    expect(allowedTlsVersions(9443, '1.1', true)).to.deep.equal(['TLSv1.2']);
    expect(versionRowForPort(5071).application, 'a trunk port is SIP-SIG').to.equal('SIP-SIG');
    expect(versionRowForPort(2445).seedLine).to.equal(4337);
    expect(PORT_VERSION_TABLE.flatMap((r) => r.ports)).to.include.members([443, 2443, 2444, 2445, 2749, 3804, 5061, 6971, 6972, 7501, 8443, 9443]);
  });

  it('produces node:tls options with server preference, the preset order and security level 0 when needed', async () => {
    const p = await buildTlsPolicy();
    expect(p.serverOptions).to.deep.equal({
      ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:AES128-SHA:NULL-SHA:@SECLEVEL=0',
      honorCipherOrder: true,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.2',
      ecdhCurve: 'P-256:P-384:P-521',
    });
    expect(p.description).to.equal(
      'port 5061 (SIP-SIG): TLS Ciphers "All Ciphers, RSA Preferred" (seed 001 L5729; default per seed 002 L1838); Authenticated devices: NULL-SHA; ' +
        'TLSv1, TLSv1.1, TLSv1.2 (min-version 1.0, seed 001 L4334); server order ECDHE-RSA-AES256-GCM-SHA384 > ECDHE-ECDSA-AES256-GCM-SHA384 > ' +
        'ECDHE-RSA-AES128-GCM-SHA256 > ECDHE-ECDSA-AES128-GCM-SHA256 > AES128-SHA > NULL-SHA; ECDHE groups: client preference among P-256, P-384, P-521; OpenSSL security level 0',
    );
    const strict = await buildTlsPolicy({ tlsCiphers: 'strongest-ecdsa', minTlsVersion: '1.2', deviceSecurityModes: ['encrypted'] });
    expect(strict.serverOptions.ciphers).to.equal('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384');
    expect(strict.securityLevel).to.equal(undefined);
    expect(strict.serverOptions.minVersion).to.equal('TLSv1.2');
    // node accepts every option set it produces
    for (const o of [p.serverOptions, strict.serverOptions]) tls.createSecureContext(o);
  });

  it('options for trustline as TLS client: NULL-SHA only for Authenticated trunks, the preset order for Encrypted', async () => {
    const p = await buildTlsPolicy({ tlsCiphers: 'all-ecdsa', minTlsVersion: '1.2' });
    expect(clientOptionsFor(p, 'authenticated').ciphers).to.equal('NULL-SHA:@SECLEVEL=0');
    expect(clientOptionsFor(p, 'encrypted').ciphers).to.equal(
      'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0',
    );
  });

  it('refuses parameters that leave nothing to negotiate, and bad cipher strings with CUCM\'s message', async () => {
    await buildTlsPolicy({ deviceSecurityModes: ['authenticated'], cipherManagement: { allTls: 'AES128-SHA' } }).then(
      () => expect.fail('accepted'),
      (e) => expect(e).to.be.instanceOf(TlsPolicyError).and.have.property('message').match(/authenticated mode is not supported once Cipher Management All TLS/),
    );
    await buildTlsPolicy({ cipherManagement: { allTls: 'AES128_SHA' } }).then(
      () => expect.fail('accepted'),
      (e) => expect(e).to.be.instanceOf(CipherStringError).and.have.property('message', 'You have entered an invalid Cipher String.'),
    );
    await buildTlsPolicy({ cipherManagement: { sipTls: 'DHE-RSA-AES128-SHA:DHE-RSA-AES256-GCM-SHA384' } }).then(
      () => expect.fail('accepted'),
      (e) =>
        expect((e as Error).message).to.equal(
          'no suite of SIP TLS can run on port 5061 over TLSv1/TLSv1.1/TLSv1.2 (DHE-RSA-AES128-SHA: not supported on the SIP interface (seed 001 L2226, L2267); ' +
            'DHE-RSA-AES256-GCM-SHA384: not supported on the SIP interface (seed 001 L2226, L2267))',
        ),
    );
    await buildTlsPolicy({ curves: ['P-999'] }).then(
      () => expect.fail('accepted'),
      (e) => expect((e as Error).message).to.equal('unknown ECDHE group "P-999"'),
    );
  });

  it('lets the client curve order win among the allowed groups', async () => {
    const p = await buildTlsPolicy();
    expect(ecdhCurveForClient(p, hello({ suites: ['AES128-SHA'], groups: [29, 25, 24, 23] }))).to.equal('P-521:P-384:P-256');
    expect(ecdhCurveForClient(p, hello({ suites: ['AES128-SHA'] }))).to.equal('P-256:P-384:P-521');
  });

  it('forecasts suite, certificate and group, and explains refusals', async () => {
    const p = await buildTlsPolicy({ tlsCiphers: 'all-ecdsa', deviceSecurityModes: ['encrypted'] });
    const both = ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'];
    const f1 = forecastNegotiation(p, hello({ suites: both, groups: [25, 24] }), { rsa: true, ecdsaCurve: 'P-384' });
    expect(f1).to.deep.include({ version: 'TLSv1.2', certificate: 'ECDSA', group: 'P-521' });
    expect(f1.suite?.openssl).to.equal('ECDHE-ECDSA-AES256-GCM-SHA384');
    const f2 = forecastNegotiation(p, hello({ suites: both, groups: [25, 23] }), { rsa: true, ecdsaCurve: 'P-384' });
    expect(f2.certificate).to.equal('RSA');
    const f3 = forecastNegotiation(p, hello({ suites: ['ECDHE-ECDSA-AES256-GCM-SHA384'], groups: [25, 23] }), { rsa: true, ecdsaCurve: 'P-384' });
    expect(f3.refusal).to.equal(
      'no shared cipher in TLSv1.2: client offers ECDHE-ECDSA-AES256-GCM-SHA384; port 5061 accepts ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES256-GCM-SHA384, ' +
        'ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, AES128-SHA (ECDHE-ECDSA-AES256-GCM-SHA384: the ECDSA certificate\'s curve P-384 is not among ' +
        "the client's groups P-521, P-256 (seed 001 L2011, L2019))",
    );
    const p12 = await buildTlsPolicy({ minTlsVersion: '1.2' });
    expect(forecastNegotiation(p12, hello({ suites: ['AES128-SHA'], versions: ['TLSv1'], legacyVersion: 0x0301 }), { rsa: true }).refusal).to.equal(
      'protocol version: client offers TLSv1; port 5061 accepts TLSv1.2 (min-version 1.2)',
    );
  });
});
