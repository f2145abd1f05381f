// Under each "TLS Ciphers" preset, the prober run against trustline's own listener must give back the preset: the same
// suites, in the same server order, per version, with the certificate each suite implies (CallManager-ECDSA for the
// ECDHE_ECDSA suites, RSA otherwise), and OPTIONS answered through the connection.
import { expect } from 'chai';
import type { TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import { getLogLevel, setLogLevel } from '../../common/log.js';
import { TLS_CIPHERS_PRESETS } from '../../engine/tls/presets.js';
import { runProbe } from '../../probe/run.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';
import { startTrustline } from './support.js';

const PROBE = { timeoutMs: 4000, sipTimeoutMs: 2000, groups: false, sigalgs: false, clientCerts: false, sip: 'once' as const };

describe("probe against trustline's listener under each TLS Ciphers preset", function () {
  this.timeout(60_000);
  let pki: TestPki;
  let level: ReturnType<typeof getLogLevel>;
  before(async () => {
    pki = await makeTestPki();
    level = getLogLevel();
    setLogLevel('error');
  });
  after(() => setLogLevel(level));

  for (const preset of Object.values(TLS_CIPHERS_PRESETS)) {
    it(`${preset.label}: the preset's suites and order, per version, with the right certificate`, async () => {
      const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: preset.id, deviceSecurityModes: ['encrypted'] });
      try {
        const r = await runProbe({ host: '127.0.0.1', port: tl.port }, PROBE);
        for (const v of ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as TlsVersionName[]) {
          const expected = tl.policy.versions.includes(v) ? preset.suites.filter((s) => s.versions.includes(v)).map((s) => s.openssl) : [];
          const rep = r.versions.find((x) => x.version === v)!;
          expect(rep.supported, `${v}: ${rep.detail}`).to.equal(expected.length > 0);
          expect(rep.order, v).to.deep.equal(expected);
          expect(
            rep.suites.filter((p) => p.result === 'accepted').map((p) => p.openssl).sort(),
            `${v} accepted`,
          ).to.deep.equal([...expected].sort());
          if (expected.length > 1) expect(rep.preference).to.equal('server');
          for (const p of rep.suites.filter((x) => x.result === 'accepted')) {
            const want = preset.suites.find((s) => s.openssl === p.openssl)!.authentication === 'ECDSA' ? 'ECDSA P-256' : 'RSA 2048';
            expect(p.certificate!.label, `${v} ${p.openssl}`).to.equal(want);
          }
          const sipped = rep.suites.filter((p) => p.sip);
          if (expected.length) expect(sipped.map((p) => `${p.openssl} ${p.sip!.status}`)).to.deep.equal([`${expected[0]} 200`]);
        }
      } finally {
        await tl.listener.close();
      }
    });
  }

  it('default port policy (both device modes): NULL-SHA after the preset; a P-256 ECDSA certificate needs P-256 offered', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'ecdsa-only' });
    try {
      const r = await runProbe({ host: '127.0.0.1', port: tl.port }, { ...PROBE, groups: true, sigalgs: true });
      expect(r.versions.find((v) => v.version === 'TLSv1.2')!.order).to.deep.equal(['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'NULL-SHA']);
      expect(r.versions.find((v) => v.version === 'TLSv1')!.order).to.deep.equal(['NULL-SHA']);
      // ECDHE_ECDSA suites only: the certificate's curve must be among the client's groups (docs/decisions.md, TLS,
      // "Curves"), so offering P-384 alone leaves nothing; X25519/X448 are not allowed on the port at all.
      const groups = Object.fromEntries(r.groups.map((g) => [g.group, g.accepted]));
      expect(groups).to.deep.equal({ 'P-256': true, 'P-384': false, 'P-521': false, X25519: false, X448: false });
      // ECDSA suites need an ECDSA scheme; RSA schemes leave nothing to sign with the ECDSA certificate.
      const sig = Object.fromEntries(r.sigalgs.map((s) => [s.sigalg, s.accepted]));
      expect(sig.ecdsa_secp256r1_sha256).to.equal(true);
      expect(sig.rsa_pss_rsae_sha256).to.equal(false);
    } finally {
      await tl.listener.close();
    }
  });

  it('RSA suites take any of the three NIST curves, never X25519/X448 (seed 001 L2015-2019)', async () => {
    const tl = await startTrustline(pki.callManager, pki.callManagerEcdsa, { tlsCiphers: 'all-rsa' });
    try {
      const r = await runProbe({ host: '127.0.0.1', port: tl.port }, { ...PROBE, versions: ['TLSv1.2'], groups: true });
      const groups = Object.fromEntries(r.groups.map((g) => [g.group, g.accepted]));
      expect(groups).to.deep.equal({ 'P-256': true, 'P-384': true, 'P-521': true, X25519: false, X448: false });
      expect(r.groups.find((g) => g.group === 'P-384')!.detail).to.equal('ECDHE-RSA-AES256-GCM-SHA384 with P-384');
    } finally {
      await tl.listener.close();
    }
  });
});
