// The cipher policy on a real port, with Debian's `openssl s_client` as the client. Expected outcomes are derived
// from the preset tables: the first suite of the server-ordered list that the client offers, that runs in the
// negotiated version and that has a usable certificate; otherwise a refusal.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getSuite, type TlsSuite, type TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import { createSecureListener, type ConnectionRecord, type SecureListener, type SecureListenerOptions } from '../../engine/tls/listener.js';
import { allowedTlsVersions, buildTlsPolicy, type MinTlsVersion, type TlsPolicyParams } from '../../engine/tls/policy.js';
import { TLS_CIPHERS_PRESETS, checkSuiteForMode, type TlsCiphersPresetId } from '../../engine/tls/presets.js';
import { identifyTrunk, verifyPhoneCertificate, type TrunkSecurityProfile } from '../../engine/tls/peer-verification.js';
import { getLogLevel, setLogLevel, setLogSink } from '../../common/log.js';
import { requirePeer } from '../support/peers.js';
import { makeTestPki, type TestCert, type TestPki } from '../support/test-certs.js';
import { pool, sClient, type SClientOptions, type SClientResult } from './s-client.js';

const PARALLEL = 4;
let sni = 0;
const nextSni = () => `case${++sni}.trustline.test`;

function waitForRecord(listener: SecureListener, serverName: string, ms = 3000): Promise<ConnectionRecord | undefined> {
  return new Promise((resolve) => {
    const find = () => listener.records.find((r) => r.clientHello?.serverName === serverName && r.outcome !== 'pending');
    const hit = find();
    if (hit) return resolve(hit);
    const onRecord = () => {
      const r = find();
      if (r) done(r);
    };
    const timer = setTimeout(() => done(undefined), ms);
    const done = (r: ConnectionRecord | undefined) => {
      clearTimeout(timer);
      listener.off('record', onRecord);
      resolve(r);
    };
    listener.on('record', onRecord);
  });
}

interface Expected {
  suite: TlsSuite;
  certificate: 'RSA' | 'ECDSA';
}

/** The rule under test, written out independently of engine/tls/policy.ts's forecast. */
function expectedOutcome(
  serverOrder: readonly TlsSuite[],
  offer: readonly TlsSuite[],
  version: TlsVersionName,
  ecdsaCurve: string | undefined,
  clientCurves?: readonly string[],
): Expected | undefined {
  const suite = serverOrder.find(
    (s) =>
      offer.includes(s) &&
      s.versions.includes(version) &&
      (s.authentication !== 'ECDSA' || (ecdsaCurve !== undefined && (!clientCurves || clientCurves.includes(ecdsaCurve)))),
  );
  return suite && { suite, certificate: suite.authentication === 'ECDSA' ? 'ECDSA' : 'RSA' };
}

const suites = (names: string) => names.split(':').map((n) => getSuite(n));

const OFFERS: Record<string, readonly TlsSuite[]> = {
  'ECDHE_ECDSA only': suites('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'),
  'RSA only (ECDHE_RSA + RSA)': suites('ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA'),
  'both, ECDSA first': suites('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA'),
  'both, RSA first': suites('ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'),
  'AES-128 GCM only, both families': suites('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256'),
  'ECDHE-ECDSA-AES128-GCM-SHA256 only': suites('ECDHE-ECDSA-AES128-GCM-SHA256'),
  'AES128-SHA only (classic CUCM)': suites('AES128-SHA'),
  'CBC SHA-2 suites (in no preset)': suites('ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:AES256-SHA256'),
};

describe('engine/tls listener against openssl s_client', function () {
  this.timeout(60_000);
  let pki: TestPki;
  const open: SecureListener[] = [];

  const logLevel = getLogLevel();

  before(async function () {
    requirePeer(this, 'openssl', 'openssl');
    pki = await makeTestPki();
    setLogLevel('error'); // refusals are expected here; one test below reads the log
  });

  after(async () => {
    setLogLevel(logLevel);
    await Promise.all(open.map((l) => l.close()));
  });

  async function start(
    params: TlsPolicyParams,
    opts: { ecdsa?: TestCert | null; listener?: Partial<SecureListenerOptions> } = {},
  ): Promise<{ listener: SecureListener; port: number }> {
    const policy = await buildTlsPolicy({ deviceSecurityModes: ['encrypted'], ...params });
    const ecdsa = opts.ecdsa === null ? undefined : (opts.ecdsa ?? pki.callManagerEcdsa);
    const listener = createSecureListener({
      rsa: { key: pki.callManager.key, cert: pki.callManager.cert },
      ...(ecdsa ? { ecdsa: { key: ecdsa.key, cert: ecdsa.cert } } : {}),
      policy,
      handshakeTimeoutMs: 5000,
      onSecureConnection: (s) => s.end(),
      ...opts.listener,
    });
    open.push(listener);
    const { port } = await listener.listen(0, '127.0.0.1');
    return { listener, port };
  }

  async function connect(listener: SecureListener, o: SClientOptions): Promise<{ r: SClientResult; rec: ConnectionRecord | undefined }> {
    const serverName = nextSni();
    const r = await sClient({ ...o, serverName });
    const rec = await waitForRecord(listener, serverName);
    return { r, rec };
  }

  /** Checks one connection against an expectation; returns mismatches as text (empty when all is well). */
  function check(label: string, r: SClientResult, rec: ConnectionRecord | undefined, exp: Expected | undefined, version: TlsVersionName): string[] {
    const bad: string[] = [];
    if (!rec) return [`${label}: no listener record`];
    if (exp) {
      if (!r.ok) bad.push(`${label}: expected ${exp.suite.openssl}, client got no suite (${rec.refusal?.reason})`);
      else {
        if (r.cipher !== exp.suite.openssl) bad.push(`${label}: client negotiated ${r.cipher}, expected ${exp.suite.openssl}`);
        if (r.protocol !== version) bad.push(`${label}: protocol ${r.protocol}, expected ${version}`);
        if (r.serverKey?.type !== exp.certificate) bad.push(`${label}: served ${r.serverKey?.type} certificate, expected ${exp.certificate}`);
      }
      if (rec.outcome !== 'accepted') bad.push(`${label}: listener outcome ${rec.outcome} (${rec.refusal?.reason})`);
      if (rec.suite?.openssl !== exp.suite.openssl || rec.suite.iana !== exp.suite.iana) bad.push(`${label}: listener recorded ${rec.suite?.openssl}`);
      if (rec.certificate?.type !== exp.certificate) bad.push(`${label}: listener recorded certificate ${rec.certificate?.type}`);
      if (rec.forecast?.suite !== exp.suite.openssl) bad.push(`${label}: forecast ${rec.forecast?.suite ?? rec.forecast?.refusal}`);
    } else {
      if (r.ok) bad.push(`${label}: expected a refusal, client negotiated ${r.cipher} with a ${r.serverKey?.type} certificate`);
      if (rec.outcome !== 'refused' || rec.refusal?.stage !== 'handshake') bad.push(`${label}: listener outcome ${rec.outcome} ${rec.refusal?.stage}`);
      if (!rec.forecast?.refusal) bad.push(`${label}: forecast predicted ${rec.forecast?.suite}`);
    }
    return bad;
  }

  describe('TLS Ciphers presets x client offers (TLS 1.2)', () => {
    for (const id of Object.keys(TLS_CIPHERS_PRESETS) as TlsCiphersPresetId[]) {
      const preset = TLS_CIPHERS_PRESETS[id];
      it(`${preset.label}: with and without a CallManager-ECDSA certificate`, async () => {
        const withEc = await start({ tlsCiphers: id });
        const withoutEc = await start({ tlsCiphers: id }, { ecdsa: null });
        const cases = [
          ...Object.entries(OFFERS).map(([name, offer]) => ({ name: `${name}, RSA+ECDSA certs`, offer, l: withEc, ecdsaCurve: 'P-256' as string | undefined })),
          ...Object.entries(OFFERS)
            .slice(0, 4)
            .map(([name, offer]) => ({ name: `${name}, RSA cert only`, offer, l: withoutEc, ecdsaCurve: undefined })),
        ];
        const bad = (
          await pool(cases, PARALLEL, async (c) => {
            const { r, rec } = await connect(c.l.listener, { port: c.l.port, version: 'TLSv1.2', cipher: c.offer.map((s) => s.openssl).join(':') });
            return check(`${id} / ${c.name}`, r, rec, expectedOutcome(preset.suites, c.offer, 'TLSv1.2', c.ecdsaCurve), 'TLSv1.2');
          })
        ).flat();
        expect(bad).to.deep.equal([]);
      });
    }

    it('acceptance: ECDHE_ECDSA-only client gets the ECDSA certificate, RSA-only gets RSA, "ECDSA only" refuses RSA-only', async () => {
      const all = await start({ tlsCiphers: 'all-rsa' });
      const ecOnly = await start({ tlsCiphers: 'ECDSA only' });
      const ec = await connect(all.listener, { port: all.port, version: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256' });
      expect(ec.r.serverKey).to.deep.include({ type: 'ECDSA', curve: 'P-256' });
      expect(ec.r.peerSignatureType).to.equal('ECDSA');
      const rsa = await connect(all.listener, { port: all.port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA' });
      expect(rsa.r.serverKey).to.deep.include({ type: 'RSA', bits: 2048 });
      const refused = await connect(ecOnly.listener, { port: ecOnly.port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA' });
      expect(refused.r.ok).to.equal(false);
      expect(refused.rec?.refusal?.reason).to.match(/^handshake failure, no shared cipher: no shared cipher in TLSv1\.2: client offers ECDHE-RSA-AES256-GCM-SHA384/);
      expect(refused.rec?.refusal?.opensslError).to.match(/ERR_SSL_NO_SHARED_CIPHER/);
    });

    it('client signature algorithms restrict the certificate: ECDSA-only sigalgs get ECDSA under RSA Preferred', async () => {
      const all = await start({ tlsCiphers: 'all-rsa' });
      const both = 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384';
      const ec = await connect(all.listener, { port: all.port, version: 'TLSv1.2', cipher: both, sigalgs: 'ECDSA+SHA256:ECDSA+SHA384' });
      expect(ec.r.cipher).to.equal('ECDHE-ECDSA-AES256-GCM-SHA384');
      expect(ec.rec?.forecast?.suite).to.equal('ECDHE-ECDSA-AES256-GCM-SHA384');
      const rsaPkcs1 = await connect(all.listener, { port: all.port, version: 'TLSv1.2', cipher: both, sigalgs: 'RSA+SHA256' });
      expect(rsaPkcs1.r.serverKey?.type).to.equal('RSA');
      expect(rsaPkcs1.r.peerSignatureType).to.equal('RSA');
      expect(rsaPkcs1.rec?.sharedSigalgs).to.deep.equal(['RSA+SHA256']);
    });
  });

  describe('curves (seed 001 L2005-2019)', () => {
    it('the ECDSA certificate curve must be among the client groups; the client curve preference wins', async () => {
      const ecOnly384 = await start({ tlsCiphers: 'ecdsa-only' }, { ecdsa: pki.callManagerEcdsa384 });
      const allEc384 = await start({ tlsCiphers: 'all-ecdsa' }, { ecdsa: pki.callManagerEcdsa384 });
      const allRsa = await start({ tlsCiphers: 'all-rsa' });
      const ecdsaSuites = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256';
      const bothSuites = `${ecdsaSuites}:ECDHE-RSA-AES256-GCM-SHA384`;
      const cases: { name: string; l: { listener: SecureListener; port: number }; cipher: string; curves: string; ecdsaCurve?: string; order: readonly TlsSuite[]; group?: string }[] = [
        { name: '384 cert, client P-521:P-384:P-256 -> P-521 ECDHE', l: ecOnly384, cipher: ecdsaSuites, curves: 'P-521:P-384:P-256', ecdsaCurve: 'P-384', order: TLS_CIPHERS_PRESETS['ecdsa-only'].suites, group: 'P-521' },
        { name: '384 cert, client P-384 only', l: ecOnly384, cipher: ecdsaSuites, curves: 'P-384', ecdsaCurve: 'P-384', order: TLS_CIPHERS_PRESETS['ecdsa-only'].suites, group: 'P-384' },
        { name: '384 cert, client P-521:P-256 -> no ECDSA', l: ecOnly384, cipher: ecdsaSuites, curves: 'P-521:P-256', ecdsaCurve: 'P-384', order: TLS_CIPHERS_PRESETS['ecdsa-only'].suites },
        { name: '384 cert, ECDSA Preferred, client P-256 -> RSA', l: allEc384, cipher: bothSuites, curves: 'P-256', ecdsaCurve: 'P-384', order: TLS_CIPHERS_PRESETS['all-ecdsa'].suites, group: 'P-256' },
        { name: 'RSA suites with any curve: P-521 first', l: allRsa, cipher: 'ECDHE-RSA-AES256-GCM-SHA384', curves: 'P-521:P-256', order: TLS_CIPHERS_PRESETS['all-rsa'].suites, group: 'P-521' },
        { name: 'RSA suites with any curve: P-384:P-256', l: allRsa, cipher: 'ECDHE-RSA-AES256-GCM-SHA384', curves: 'P-384:P-256', order: TLS_CIPHERS_PRESETS['all-rsa'].suites, group: 'P-384' },
        { name: 'client X25519 first: not a CUCM group, P-256 used', l: allRsa, cipher: 'ECDHE-RSA-AES256-GCM-SHA384', curves: 'X25519:P-256', order: TLS_CIPHERS_PRESETS['all-rsa'].suites, group: 'P-256' },
      ];
      const bad = (
        await pool(cases, PARALLEL, async (c) => {
          const { r, rec } = await connect(c.l.listener, { port: c.l.port, version: 'TLSv1.2', cipher: c.cipher, curves: c.curves });
          const exp = expectedOutcome(c.order, suites(c.cipher), 'TLSv1.2', c.ecdsaCurve, c.curves.split(':'));
          const out = check(c.name, r, rec, exp, 'TLSv1.2');
          if (exp && c.group) {
            if (r.tempKeyGroup !== c.group) out.push(`${c.name}: client saw ECDHE group ${r.tempKeyGroup}, expected ${c.group}`);
            if (rec?.ecdheGroup !== c.group) out.push(`${c.name}: listener recorded group ${rec?.ecdheGroup}`);
          }
          if (exp?.certificate === 'ECDSA' && r.serverKey?.curve !== c.ecdsaCurve) out.push(`${c.name}: ECDSA cert on ${r.serverKey?.curve}`);
          return out;
        })
      ).flat();
      expect(bad).to.deep.equal([]);
    });
  });

  describe('minimum TLS version (set tls min-version) and the per-port table', () => {
    it('accepts exactly the versions of the SIP-SIG row, normal and Common Criteria mode', async () => {
      const offer = suites('ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA');
      const order = TLS_CIPHERS_PRESETS['all-rsa'].suites;
      const configs: { min: MinTlsVersion; cc: boolean }[] = [
        { min: '1.0', cc: false },
        { min: '1.1', cc: false },
        { min: '1.2', cc: false },
        { min: '1.0', cc: true },
      ];
      const started = await Promise.all(configs.map((c) => start({ tlsCiphers: 'all-rsa', minTlsVersion: c.min, commonCriteria: c.cc })));
      const clientVersions: TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];
      const cases = configs.flatMap((c, i) => clientVersions.map((v) => ({ ...c, v, l: started[i]! })));
      const bad = (
        await pool(cases, PARALLEL, async (c) => {
          const label = `min ${c.min}${c.cc ? ' CC' : ''} / client ${c.v}`;
          const { r, rec } = await connect(c.l.listener, { port: c.l.port, version: c.v, cipher: offer.map((s) => s.openssl).join(':') });
          const allowed = allowedTlsVersions(5061, c.min, c.cc).includes(c.v);
          if (!allowed) {
            const out: string[] = [];
            if (r.ok) out.push(`${label}: expected a version refusal, got ${r.protocol} ${r.cipher}`);
            if (!/protocol version/.test(rec?.refusal?.reason ?? '')) out.push(`${label}: refusal reason ${rec?.refusal?.reason}`);
            return out;
          }
          return check(label, r, rec, expectedOutcome(order, offer, c.v, 'P-256'), c.v);
        })
      ).flat();
      expect(bad).to.deep.equal([]);
    });

    it('stops at TLS 1.2 as the table does: a TLS 1.3-only client is refused, a 1.3-capable one gets 1.2', async () => {
      const l = await start({});
      const only13 = await connect(l.listener, { port: l.port, version: 'TLSv1.3' });
      expect(only13.r.ok).to.equal(false);
      expect(only13.rec?.refusal?.reason).to.match(/protocol version: client offers TLSv1\.3; port 5061 accepts TLSv1, TLSv1\.1, TLSv1\.2/);
      const any = await connect(l.listener, { port: l.port, cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256' });
      expect(any.r.protocol).to.equal('TLSv1.2');
      expect(any.r.cipher).to.equal('ECDHE-RSA-AES128-GCM-SHA256');
    });

    it('TLS 1.0 clients get no suite from GCM-only presets', async () => {
      const l = await start({ tlsCiphers: 'strongest-rsa', minTlsVersion: '1.0' });
      const { r, rec } = await connect(l.listener, { port: l.port, version: 'TLSv1', cipher: 'ALL' });
      expect(r.ok).to.equal(false);
      expect(rec?.refusal?.reason).to.match(/no shared cipher in TLSv1:/);
    });
  });

  describe('device security modes', () => {
    it('Authenticated = NULL-SHA (no encryption), also over TLS 1.0; Encrypted devices are never given NULL', async () => {
      const auth = await start({ deviceSecurityModes: ['authenticated'] });
      const both = await start({ deviceSecurityModes: ['encrypted', 'authenticated'] });
      const nul = await connect(auth.listener, { port: auth.port, version: 'TLSv1.2', cipher: 'NULL-SHA' });
      expect(nul.r.cipher).to.equal('NULL-SHA');
      expect(nul.r.serverKey?.type).to.equal('RSA');
      expect(nul.rec?.suite?.iana).to.equal('TLS_RSA_WITH_NULL_SHA');
      expect(checkSuiteForMode('authenticated', getSuite(nul.rec!.suite!.code)).ok).to.equal(true);
      const nul10 = await connect(auth.listener, { port: auth.port, version: 'TLSv1', cipher: 'NULL-SHA' });
      expect(nul10.r.protocol).to.equal('TLSv1');
      expect(nul10.r.cipher).to.equal('NULL-SHA');
      const enc = await connect(auth.listener, { port: auth.port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA' });
      expect(enc.r.ok).to.equal(false);
      const mixed = await connect(both.listener, { port: both.port, version: 'TLSv1.2', cipher: 'NULL-SHA:AES128-SHA' });
      expect(mixed.r.cipher).to.equal('AES128-SHA');
      const onlyNull = await connect(both.listener, { port: both.port, version: 'TLSv1.2', cipher: 'NULL-SHA' });
      expect(onlyNull.r.cipher).to.equal('NULL-SHA');
    });

    it('Cipher Management: All TLS replaces the parameter and ends NULL-SHA; SIP TLS beats All TLS', async () => {
      const allTls = await start({ cipherManagement: { allTls: 'AES256-GCM-SHA384:AES256-SHA256' }, deviceSecurityModes: ['encrypted', 'authenticated'] });
      const a = await connect(allTls.listener, { port: allTls.port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA256:AES256-GCM-SHA384' });
      expect(a.r.cipher).to.equal('AES256-GCM-SHA384');
      const n = await connect(allTls.listener, { port: allTls.port, version: 'TLSv1.2', cipher: 'NULL-SHA' });
      expect(n.r.ok).to.equal(false);
      const sipTls = await start({ cipherManagement: { allTls: 'AES256-GCM-SHA384', sipTls: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256' } });
      const s = await connect(sipTls.listener, { port: sipTls.port, version: 'TLSv1.2', cipher: 'AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' });
      expect(s.r.cipher).to.equal('ECDHE-ECDSA-AES128-GCM-SHA256');
      expect(s.r.serverKey?.type).to.equal('ECDSA');
    });
  });

  describe('mutual TLS', () => {
    it('phones: LSC or MIC chained to the right store and bound to the device; every refusal has its reason', async () => {
      const trust = { lsc: [pki.capfCa.x509], mic: [pki.manufacturingCa.x509] };
      const modes: Record<string, 'encrypted' | 'authenticated'> = { SEP001122334455: 'encrypted', SEPAABBCCDDEEFF: 'authenticated' };
      const l = await start(
        { deviceSecurityModes: ['encrypted', 'authenticated'] },
        {
          listener: {
            requestClientCert: true,
            clientCa: [pki.capfCa.cert, pki.manufacturingCa.cert],
            verifyPeer: (chain, _socket, rec) => {
              const v = verifyPhoneCertificate(chain, trust);
              if (!v.ok) return v;
              const mode = modes[v.deviceName];
              if (!mode) return { ok: false, reason: `device ${v.deviceName} is not configured` };
              const m = checkSuiteForMode(mode, getSuite(rec.suite!.code));
              return m.ok ? { ok: true, detail: v.detail } : { ok: false, reason: `${v.deviceName}: ${m.reason}` };
            },
          },
        },
      );
      const enc = 'ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA';
      const cases: { name: string; cert?: TestCert; cipher?: string; accept?: RegExp; refuse?: RegExp }[] = [
        { name: 'no client certificate', refuse: /^client certificate missing$/ },
        { name: 'LSC from CAPF', cert: pki.lsc, accept: /^LSC for SEP001122334455 chained to "CN=CAPF-test/ },
        { name: 'MIC from the manufacturing CA', cert: pki.mic, accept: /^MIC for SEP001122334455 chained to "CN=Test Manufacturing CA/ },
        { name: 'LSC from an unknown CA', cert: pki.rogueLsc, refuse: /^untrusted LSC: no issuer for "CN=SEP001122334455.*Rogue CA/ },
        { name: 'self-signed certificate', cert: pki.trunkPeer, refuse: /^untrusted LSC: self-signed certificate "CN=peer-cm\.trustline\.test/ },
        { name: 'authenticated device on an encrypting suite', cert: pki.otherLsc, refuse: /^SEPAABBCCDDEEFF: device security mode Authenticated requires NULL-SHA/ },
        { name: 'authenticated device on NULL-SHA', cert: pki.otherLsc, cipher: 'NULL-SHA', accept: /^LSC for SEPAABBCCDDEEFF/ },
      ];
      const bad = (
        await pool(cases, PARALLEL, async (c) => {
          const { r, rec } = await connect(l.listener, {
            port: l.port,
            version: 'TLSv1.2',
            cipher: c.cipher ?? enc,
            ...(c.cert ? { certPath: c.cert.certPath, keyPath: c.cert.keyPath } : {}),
          });
          const out: string[] = [];
          if (!r.ok) out.push(`${c.name}: handshake itself failed`);
          if (c.accept) {
            if (rec?.outcome !== 'accepted') out.push(`${c.name}: refused: ${rec?.refusal?.reason}`);
            else if (!c.accept.test(rec.peer?.verdict ?? '')) out.push(`${c.name}: verdict ${rec.peer?.verdict}`);
          } else {
            if (rec?.outcome !== 'refused' || rec.refusal?.stage !== 'client-certificate') out.push(`${c.name}: outcome ${rec?.outcome}`);
            else if (!c.refuse!.test(rec.refusal.reason)) out.push(`${c.name}: reason ${rec.refusal.reason}`);
          }
          return out;
        })
      ).flat();
      expect(bad).to.deep.equal([]);
    });

    it('phones: the device name the SIP layer expects must be the certificate owner', async () => {
      const trust = { lsc: [pki.capfCa.x509], mic: [] };
      const l = await start({}, { listener: { requestClientCert: true, verifyPeer: (chain) => verifyPhoneCertificate(chain, trust, { expectedDeviceName: 'SEP001122334455' }) } });
      const other = await connect(l.listener, { port: l.port, version: 'TLSv1.2', cipher: 'AES128-SHA', certPath: pki.otherLsc.certPath, keyPath: pki.otherLsc.keyPath });
      expect(other.rec?.refusal?.reason).to.equal('device name mismatch: certificate is bound to SEPAABBCCDDEEFF, expected SEP001122334455');
      const mic = await connect(l.listener, { port: l.port, version: 'TLSv1.2', cipher: 'AES128-SHA', certPath: pki.mic.certPath, keyPath: pki.mic.keyPath });
      expect(mic.rec?.refusal?.reason).to.match(/^untrusted MIC: no issuer for "CN=CP-7841-SEP001122334455/); // MIC roots removed
    });

    it('trunks: the peer certificate must match one of the port profile subject names and chain to its trust store', async () => {
      let port = 0;
      const profiles = (): TrunkSecurityProfile[] => [
        { name: 'to-remote-cluster', port, subjectNames: 'cm1.remote.test, peer-cm-ms.trustline.test;cm3.remote.test', trust: [pki.trunkPeer.x509] },
        { name: 'to-cube', port, subjectNames: 'cube1.trustline.test cube2.trustline.test', trust: [pki.capfCa.x509] },
        { name: 'other-port', port: 5071, subjectNames: 'SEP001122334455', trust: [pki.capfCa.x509] },
      ];
      const l = await start({}, { listener: { requestClientCert: true, verifyPeer: (chain) => identifyTrunk(chain, port, profiles()) } });
      port = l.port;
      const peer = await connect(l.listener, { port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', certPath: pki.trunkPeer.certPath, keyPath: pki.trunkPeer.keyPath });
      expect(peer.rec?.outcome).to.equal('accepted');
      expect(peer.rec?.peer?.verdict).to.equal('trunk to-remote-cluster (SAN DNS peer-cm-ms.trustline.test)');
      const phone = await connect(l.listener, { port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', certPath: pki.lsc.certPath, keyPath: pki.lsc.keyPath });
      expect(phone.rec?.refusal?.reason).to.match(/^to-remote-cluster: subject name mismatch: certificate has subject CN SEP001122334455, SAN URI SEP001122334455; profile expects cm1\.remote\.test, peer-cm-ms\.trustline\.test, cm3\.remote\.test; to-cube: subject name mismatch/);
      const none = await connect(l.listener, { port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
      expect(none.rec?.refusal?.reason).to.equal('client certificate missing');
    });
  });

  describe('NSS key log', () => {
    it('writes the same CLIENT_RANDOM line the client logs (SSLKEYLOGFILE format)', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustline-keylog-'));
      try {
        const serverLog = path.join(dir, 'server.keys');
        const clientLog = path.join(dir, 'client.keys');
        const l = await start({}, { listener: { keyLogFile: serverLog } });
        const { r } = await connect(l.listener, { port: l.port, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', keyLogFile: clientLog });
        expect(r.ok).to.equal(true);
        await l.listener.close();
        const server = fs.readFileSync(serverLog, 'utf8').trim().split('\n');
        expect(server).to.have.length(1);
        expect(server[0]).to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/i);
        const client = fs.readFileSync(clientLog, 'utf8').split('\n').filter((x) => x.startsWith('CLIENT_RANDOM'));
        expect(client.map((x) => x.toLowerCase())).to.deep.equal(server.map((x) => x.toLowerCase()));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('refusal log', () => {
    it('logs every refusal with its stage and reason', async () => {
      const lines: string[] = [];
      setLogSink((line) => lines.push(line));
      setLogLevel('warn');
      try {
        const l = await start({ tlsCiphers: 'ecdsa-only' }, { listener: { name: 'SIP 5061' } });
        await connect(l.listener, { port: l.port, version: 'TLSv1.2', cipher: 'AES128-SHA' });
        await connect(l.listener, { port: l.port, version: 'TLSv1', cipher: 'ECDHE-ECDSA-AES128-SHA' });
      } finally {
        setLogLevel('error');
        setLogSink((line) => process.stderr.write(line + '\n'));
      }
      const refusals = lines.filter((x) => x.includes('refused'));
      expect(refusals).to.have.length(2);
      expect(refusals[0]).to.match(/WARN  \[tls\] SIP 5061: refused 127\.0\.0\.1:\d+ \(#\d+\) at handshake: handshake failure, no shared cipher: no shared cipher in TLSv1\.2: client offers AES128-SHA; port 5061 accepts ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-ECDSA-AES128-GCM-SHA256$/);
      expect(refusals[1]).to.match(/at handshake: handshake failure, no shared cipher: no shared cipher in TLSv1: client offers ECDHE-ECDSA-AES128-SHA;/);
    });
  });

  describe('refusals before TLS', () => {
    it('logs a non-TLS first packet with what it saw', async () => {
      const net = await import('node:net');
      const l = await start({});
      await new Promise<void>((resolve) => {
        const s = net.connect(l.port, '127.0.0.1', () => s.write('REGISTER sip:cucm SIP/2.0\r\n\r\n'));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
      const rec = await new Promise<ConnectionRecord | undefined>((res) => setTimeout(() => res(l.listener.records.at(-1)), 50));
      expect(rec?.refusal).to.deep.include({ stage: 'client-hello', reason: 'not a TLS handshake record: first byte 0x52 ("REGISTER") (at byte 0)' });
    });

    it('gives up on a silent client after the handshake timeout', async () => {
      const net = await import('node:net');
      const l = await start({}, { listener: { handshakeTimeoutMs: 150 } });
      await new Promise<void>((resolve) => {
        const s = net.connect(l.port, '127.0.0.1');
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
      expect(l.listener.records.at(-1)?.refusal).to.deep.equal({ stage: 'timeout', reason: 'handshake not finished within 150 ms' });
    });
  });
});
