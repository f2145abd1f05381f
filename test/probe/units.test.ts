// Small pieces of the prober: target parsing, the connection limiter, version lists, certificate summaries, the SIP
// request and the HTML cell classes.
import { expect } from 'chai';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { parseVersions } from '../../cli/commands/probe.js';
import { SipStreamFramer } from '../../engine/sip/message/index.js';
import { describeName, summarizeCertificate } from '../../probe/certs.js';
import { generateClientCert } from '../../probe/generated-certs.js';
import { cellClass, sipMark } from '../../probe/html.js';
import { Limiter } from '../../probe/limiter.js';
import { buildProbeRequest } from '../../probe/sip-check.js';
import { parseTarget } from '../../probe/target.js';
import type { SuiteProbe, VersionReport } from '../../probe/types.js';
import { makeTestPki } from '../support/test-certs.js';

describe('probe: small pieces', () => {
  it('parses targets: host:port, [v6]:port, bare host on 5061, SNI only for names', () => {
    expect(parseTarget('127.0.0.1:5062')).to.deep.equal({ host: '127.0.0.1', port: 5062 });
    expect(parseTarget('cucm.example')).to.deep.equal({ host: 'cucm.example', port: 5061, serverName: 'cucm.example' });
    expect(parseTarget('[::1]:5061')).to.deep.equal({ host: '::1', port: 5061 });
    expect(parseTarget('::1')).to.deep.equal({ host: '::1', port: 5061 });
    expect(parseTarget('10.0.0.1', 'cucm-pub')).to.deep.equal({ host: '10.0.0.1', port: 5061, serverName: 'cucm-pub' });
    expect(() => parseTarget('a:b:')).to.throw(/expected host:port/);
    expect(() => parseTarget('h:0')).to.throw(/port 0 out of range/);
  });

  it('parses version lists and ranges', () => {
    expect(parseVersions('1.0-1.2')).to.deep.equal(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(parseVersions('1.3,TLSv1.2')).to.deep.equal(['TLSv1.2', 'TLSv1.3']);
    expect(() => parseVersions('1.4')).to.throw(/expected 1.0, 1.1, 1.2 or 1.3/);
    expect(() => parseVersions('1.2-1.0')).to.throw(/backwards/);
  });

  it('never runs more than `concurrency` at once, and spaces starts by `delay`', async () => {
    const lim = new Limiter(3, 20);
    let active = 0;
    let peak = 0;
    const starts: number[] = [];
    await lim.map([...Array(9).keys()], async (i) => {
      starts.push(Date.now());
      peak = Math.max(peak, ++active);
      // A busy event loop makes the waiting starts' timers fire late, together: they must still be spaced.
      if (i === 0) for (const t = Date.now(); Date.now() - t < 45; );
      await new Promise((r) => setTimeout(r, 5));
      active--;
    });
    expect(peak).to.be.at.most(3);
    expect(lim.started).to.equal(9);
    starts.sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).to.be.at.least(18);
    expect(() => new Limiter(0)).to.throw(RangeError);
  });

  it('summarises certificates and names, generated client certificates included', async () => {
    const pki = await makeTestPki();
    const rsa = summarizeCertificate(Buffer.from(pki.callManager.x509.raw));
    expect(rsa).to.include({ keyType: 'RSA', bits: 2048, label: 'RSA 2048', subject: 'CN=cucm-pub.trustline.test, OU=trustline tests, O=trustline', selfSigned: true, expired: false });
    const ec = summarizeCertificate(Buffer.from(pki.callManagerEcdsa384.x509.raw));
    expect(ec).to.include({ keyType: 'ECDSA', curve: 'P-384', bits: 384, label: 'ECDSA P-384' });
    expect(summarizeCertificate(Buffer.from('junk')).label).to.equal('unreadable certificate');
    for (const type of ['RSA', 'ECDSA'] as const) {
      const g = generateClientCert(type, 'probe-unit');
      const x = new X509Certificate(g.cert);
      expect(x.subject).to.equal('CN=probe-unit');
      expect(x.issuer).to.equal(x.subject);
      expect(x.verify(x.publicKey)).to.equal(true);
      expect(x.checkPrivateKey(createPrivateKey(g.key))).to.equal(true);
      expect(summarizeCertificate(Buffer.from(x.raw)).label).to.equal(type === 'RSA' ? 'RSA 2048' : 'ECDSA P-256');
    }
    expect(describeName(Buffer.from([0x30, 0]))).to.equal('');
    expect(describeName(Buffer.from([1, 2, 3]))).to.match(/^unreadable name \(3 bytes\)/);
  });

  it('builds OPTIONS and REGISTER that our SIP parser reads back', () => {
    const t = { host: '127.0.0.1', port: 5061 };
    for (const method of ['OPTIONS', 'REGISTER'] as const) {
      const r = buildProbeRequest(t, { address: '127.0.0.1', port: 40000 }, { method, timeoutMs: 1000, user: 'alice', expires: 30 });
      const ev = new SipStreamFramer().push(r.bytes);
      expect(ev).to.have.length(1);
      const m = ev[0]!.type === 'message' ? ev[0]!.message : undefined;
      if (!m || m.kind !== 'request') throw new Error(`not a request: ${JSON.stringify(ev[0])}`);
      expect(m.method).to.equal(method);
      expect(m.callId).to.equal(r.callId);
      expect(m.get('Via')).to.match(/^SIP\/2.0\/TLS 127.0.0.1:40000;branch=z9hG4bK/);
      if (method === 'REGISTER') {
        expect(m.uri).to.equal('sip:127.0.0.1');
        expect(m.get('Expires')).to.equal('30');
        expect(m.get('To')).to.equal('<sip:alice@127.0.0.1>');
      } else expect(m.uri).to.equal('sip:127.0.0.1:5061;transport=tls');
    }
  });

  it('colours matrix cells by result and certificate type, and frames them by the SIP outcome', () => {
    const v = { version: 'TLSv1.2', supported: true } as VersionReport;
    const p = (x: Partial<SuiteProbe>) => ({ code: 1, iana: '', openssl: '', result: 'accepted', detail: '', ...x }) as SuiteProbe;
    expect(cellClass({ ...v, supported: false }, undefined)).to.equal('unsupported');
    expect(cellClass(v, undefined)).to.equal('na');
    expect(cellClass(v, p({ result: 'rejected' }))).to.equal('rejected');
    expect(cellClass(v, p({ result: 'error' }))).to.equal('error');
    expect(cellClass(v, p({ certificate: { keyType: 'RSA' } as SuiteProbe['certificate'] }))).to.equal('acc-rsa');
    expect(cellClass(v, p({ certificate: { keyType: 'ECDSA' } as SuiteProbe['certificate'] }))).to.equal('acc-ecdsa');
    expect(cellClass(v, p({}))).to.equal('acc-other');
    const sip = (outcome: 'answered' | 'no-answer' | 'not-sent') => ({ method: 'OPTIONS' as const, outcome, detail: '', ms: 0 });
    expect(sipMark(p({ sip: sip('answered') }))).to.equal('sip-ok');
    expect(sipMark(p({ sip: sip('no-answer') }))).to.equal('sip-fail');
    expect(sipMark(p({ sip: sip('not-sent') }))).to.equal('');
    expect(sipMark(p({ handshake: { outcome: 'failed', detail: '' } }))).to.equal('sip-fail');
  });
});
