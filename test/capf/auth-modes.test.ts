// Client ↔ server over TLS on 127.0.0.1: the documented exchange replayed byte by byte, every authentication mode
// (string right / wrong / reused, null string, existing certificate with LSC or MIC precedence, no certificate), and the
// refusals (unknown device → 9, no pending operation → 0, expired deadline → 7). Seed lines: 001 unless named.
import { expect } from 'chai';
import { constants, createHash, createPublicKey, privateEncrypt } from 'node:crypto';
import { CapfCommand, decodeMessage } from '../../engine/capf/capf-codec.js';
import { CapfRuleError } from '../../engine/capf/device-operations.js';
import type { PhoneCredentials } from '../../engine/capf/capf-client.js';
import { ClusterPki } from '../../engine/pki/cluster-pki.js';
import { bench, freshCluster, micFor, nextSession, phone, pooledKeys } from './support.js';

const DEV = 'SEP001122334455';

function hex(...parts: (string | Buffer)[]): string {
  return parts.map((p) => (typeof p === 'string' ? p.replace(/\s+/g, '') : p.toString('hex'))).join('');
}

function be16(n: number): string {
  return n.toString(16).padStart(4, '0');
}

describe('capf end to end: authentication modes and refusals', function () {
  this.timeout(60_000);

  it('replays the documented install exchange byte by byte (authentication string, RSA 2048, session id big-endian)', async () => {
    const b = await bench({ server: { recordTranscripts: true, firstSessionId: 0x01020304 } });
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'auth-string', authString: '135790' });
      const session = nextSession(b);
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'auth-string', authString: '135790', recordTranscript: true });
      const rec = await session;
      expect(outcome.status, outcome.detail).to.equal('installed');
      const t = outcome.transcript!.map((e) => `${e.direction === 'sent' ? 'C>S' : 'S>C'} ${e.bytes.toString('hex')}`);
      const sid = '01020304';
      const key = pooledKeys({ keyType: 'RSA', keySize: 2048 })[0]!;
      const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
      const lsc = b.pki.lsc(DEV)!.der;
      const name = Buffer.from(`${DEV}\0`);
      expect(t).to.deep.equal([
        `S>C ${hex('55 01', sid, '0008', '07 0001 03', '08 0001 00')}`,
        `C>S ${hex('55 02', sid, be16(4 + 4 + 3 + name.length + 3 + 7), '01 0001 01', '07 0001 03', '0d', be16(name.length), name, '0b 0007', Buffer.from('135790\0'))}`,
        `S>C ${hex('55 03', sid, '0009', '11 0001 00', '0a 0002 0800')}`,
        `C>S ${hex('55 11', sid, '0000')}`,
        `C>S ${hex('55 04', sid, be16(3 + spki.length), '09', be16(spki.length), spki)}`,
        `S>C ${hex('55 09', sid, be16(4 + 3 + 5 + lsc.length), '03 0001 01', '04', be16(lsc.length + 5), '01', be16(lsc.length + 2), '00 01', lsc)}`,
        `C>S ${hex('55 0a', sid, '0004', '01 0001 01')}`,
        `S>C ${hex('55 0f', sid, '0004', '01 0001 01')}`,
      ]);
      // The server wrote each message in one write: every entry it sent is exactly one whole message.
      for (const e of rec.transcript!.filter((x) => x.direction === 'sent')) expect(decodeMessage(e.bytes).command).to.equal(e.command);
      expect(rec.transcript!.filter((x) => x.direction === 'sent').map((x) => x.command)).to.deep.equal([CapfCommand.AUTH_REQUEST, CapfCommand.KEY_GENERATE_REQUEST, CapfCommand.STORE_CERTIFICATE_REQUEST, CapfCommand.END_SESSION]);
      expect(rec).to.deep.include({ sessionId: 0x01020304, device: DEV, outcome: 'installed', endReason: 1 });
    } finally {
      await b.close();
    }
  });

  it('replays every authentication mode and refusal byte by byte (signatures and the little-endian SUDI id computed here)', async () => {
    const b = await bench({ server: { firstSessionId: 0x00a1b2c3 } });
    try {
      const sid = 0x00a1b2c3;
      const s = (n: number) => n.toString(16).padStart(8, '0');
      const name = (d: string) => Buffer.from(`${d}\0`);
      const authReq = (n: number) => `S>C ${hex('55 01', s(n), '0008', '07 0001 03', '08 0001 00')}`;
      const end = (n: number, reason: string) => `S>C ${hex('55 0f', s(n), '0004', '01 0001', reason)}`;
      const authResp = (n: number, d: string, password: string, extra: Buffer = Buffer.alloc(0)) => {
        const pw = Buffer.from(`${password}\0`);
        return `C>S ${hex('55 02', s(n), be16(4 + 4 + 3 + name(d).length + 3 + pw.length + extra.length), '01 0001 01', '07 0001 03', '0d', be16(name(d).length), name(d), '0b', be16(pw.length), pw, extra)}`;
      };
      const run = async (d: string, mode: Parameters<typeof phone>[1]['authMode'], extra: Partial<Parameters<typeof phone>[1]> = {}) => {
        const { outcome } = await phone(b, { deviceName: d, authMode: mode, recordTranscript: true, ...extra });
        return { outcome, t: outcome.transcript!.map((e) => `${e.direction === 'sent' ? 'C>S' : 'S>C'} ${e.bytes.toString('hex')}`) };
      };
      const install = (n: number, d: string, auth: string, keyReq: string) => {
        const lsc = b.pki.lsc(d)!.der;
        const spki = createPublicKey(pooledKeys({ keyType: 'RSA', keySize: 1024 })[0]!).export({ type: 'spki', format: 'der' });
        return [
          authReq(n),
          auth,
          `S>C ${hex('55 03', s(n), keyReq)}`,
          `C>S ${hex('55 11', s(n), '0000')}`,
          `C>S ${hex('55 04', s(n), be16(3 + spki.length), '09', be16(spki.length), spki)}`,
          `S>C ${hex('55 09', s(n), be16(4 + 3 + 5 + lsc.length), '03 0001 01', '04', be16(lsc.length + 5), '01', be16(lsc.length + 2), '00 01', lsc)}`,
          `C>S ${hex('55 0a', s(n), '0004', '01 0001 01')}`,
          end(n, '01'),
        ];
      };

      // Unknown device → 9.
      let r = await run('SEP000000000009', 'null-string');
      expect(r.t).to.deep.equal([authReq(sid), authResp(sid, 'SEP000000000009', ''), end(sid, '09')]);
      // No Pending Operation → 0.
      await b.store.configureDevice('SEP000000000000', {});
      r = await run('SEP000000000000', 'null-string');
      expect(r.t).to.deep.equal([authReq(sid + 1), authResp(sid + 1, 'SEP000000000000', ''), end(sid + 1, '00')]);
      // Expired deadline → 7.
      await b.store.configureDevice('SEP000000000007', { operation: 'install-upgrade', operationCompletesBy: '2020-01-01T00:00:00Z' });
      r = await run('SEP000000000007', 'null-string');
      expect(r.t).to.deep.equal([authReq(sid + 2), authResp(sid + 2, 'SEP000000000007', ''), end(sid + 2, '07')]);
      // Wrong authentication string → 7.
      await b.store.configureDevice('SEP00000000000A', { operation: 'install-upgrade', authMode: 'auth-string', authString: '8642', rsaKeySize: 1024 });
      r = await run('SEP00000000000A', 'auth-string', { authString: '8643' });
      expect(r.t).to.deep.equal([authReq(sid + 3), authResp(sid + 3, 'SEP00000000000A', '8643'), end(sid + 3, '07')]);
      // By Existing Certificate with none in the phone → 7 (no CERTIFICATE element sent).
      await b.store.configureDevice('SEP00000000000B', { operation: 'install-upgrade', authMode: 'existing-lsc', rsaKeySize: 1024 });
      r = await run('SEP00000000000B', 'existing-lsc');
      expect(r.t).to.deep.equal([authReq(sid + 4), authResp(sid + 4, 'SEP00000000000B', ''), end(sid + 4, '07')]);
      // Authentication string, right → install.
      r = await run('SEP00000000000A', 'auth-string', { authString: '8642' });
      expect(r.t).to.deep.equal(install(sid + 5, 'SEP00000000000A', authResp(sid + 5, 'SEP00000000000A', '8642'), '0009 11 0001 00 0a 0002 0400'));
      // Null string → install.
      await b.store.configureDevice('SEP00000000000C', { operation: 'install-upgrade', authMode: 'null-string', rsaKeySize: 1024 });
      r = await run('SEP00000000000C', 'null-string');
      expect(r.t).to.deep.equal(install(sid + 6, 'SEP00000000000C', authResp(sid + 6, 'SEP00000000000C', ''), '0009 11 0001 00 0a 0002 0400'));

      // By Existing Certificate (MIC, RSA) with SUDI → install; every signature recomputed independently.
      const D = 'SEP00000000000D';
      const mic = await micFor(b.pki, D);
      const sudiKey = pooledKeys({ keyType: 'RSA', keySize: 2048 })[1]!;
      const sudi = (await b.pki.issueManufacturingCertificate(`SUDI-${D}`, 'RSA', { privateKey: sudiKey })).certificate.der;
      await b.store.configureDevice(D, { operation: 'install-upgrade', authMode: 'existing-mic', rsaKeySize: 1024 });
      r = await run(D, 'existing-mic', { credentials: { mic, sudi: { der: sudi, privateKey: sudiKey } } });
      const n = sid + 7;
      const signed = Buffer.concat([Buffer.from(D), Buffer.from([0]), mic.der]);
      const raw = (key: typeof sudiKey, digest: string, data: Buffer) => privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, createHash(digest).update(data).digest());
      const le = Buffer.alloc(4);
      le.writeUInt32LE(n);
      const sudiData = Buffer.concat([le, sudi]);
      const s1 = raw(sudiKey, 'sha1', sudiData);
      const s5 = raw(sudiKey, 'sha512', sudiData);
      const sig1 = raw(mic.privateKey, 'sha1', signed);
      const sig5 = raw(mic.privateKey, 'sha512', signed);
      const certEl = Buffer.from(hex('04', be16(mic.der.length + 5), '01', be16(mic.der.length + 2), '00 02', mic.der), 'hex');
      const extra = Buffer.from(
        hex(certEl.toString('hex'), '06', be16(sig1.length), sig1, '14', be16(sig5.length + 3), '03', be16(sig5.length), sig5, '10', be16(3 + sudi.length + 3 + s1.length + 3 + s5.length), '00', be16(sudi.length), sudi, '01', be16(s1.length), s1, '03', be16(s5.length), s5),
        'hex',
      );
      expect(r.outcome.status, r.outcome.detail).to.equal('installed');
      expect(r.t).to.deep.equal(install(n, D, authResp(n, D, '', extra), '0009 11 0001 00 0a 0002 0400'));
    } finally {
      await b.close();
    }
  });

  it('By Authentication String: a wrong string is refused (7) and changes nothing; the right one installs; the string is then used up', async () => {
    const b = await bench();
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'auth-string', authString: '2468' });
      const gen = b.pki.generation;
      const wrong = await phone(b, { deviceName: DEV, authMode: 'auth-string', authString: '1111' });
      expect(wrong.outcome).to.deep.include({ status: 'refused', reason: 7, reasonName: 'INVALID_ELEMENT' });
      expect(b.pki.generation).to.equal(gen);
      expect(b.pki.lsc(DEV)).to.equal(undefined);
      expect(b.store.device(DEV)!.settings.operation).to.equal('install-upgrade');
      expect(b.store.journal().some((j) => j.step === 'authenticate' && j.outcome === 'refused' && /does not match/.test(j.reason))).to.equal(true);
      const empty = await phone(b, { deviceName: DEV, authMode: 'auth-string' });
      expect(empty.outcome.status).to.equal('refused');

      const right = await phone(b, { deviceName: DEV, authMode: 'auth-string', authString: '2468' });
      expect(right.outcome.status, right.outcome.detail).to.equal('installed');
      const rec = b.store.device(DEV)!;
      expect(rec.settings.operation).to.equal('none');
      expect(rec.settings.authString).to.equal(undefined);
      expect(rec.status.state).to.equal('success');
      expect(rec.installed!.fingerprintSha256).to.equal(b.pki.lsc(DEV)!.certificate.fingerprintSha256);

      // Reused: "This string supports one-time use only" (001 L7925).
      try {
        await b.store.configureDevice(DEV, { operation: 'install-upgrade', authString: '2468' });
        expect.fail('a used string was accepted');
      } catch (err) {
        expect((err as CapfRuleError).code).to.equal('E_AUTH_STRING_USED');
      }
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authString: '97531' });
      const reused = await phone(b, { deviceName: DEV, authMode: 'auth-string', authString: '2468' });
      expect(reused.outcome).to.deep.include({ status: 'refused', reason: 7 });
    } finally {
      await b.close();
    }
  });

  it('By Null String installs without authentication; the LSC chains to CAPF through CallManager-trust and CAPF-trust', async () => {
    const b = await bench();
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string' });
      const creds: PhoneCredentials = {};
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: creds });
      expect(outcome.status, outcome.detail).to.equal('installed');
      const issued = b.pki.lsc(DEV)!;
      expect(creds.lsc!.der.equals(issued.der)).to.equal(true);
      const c = issued.certificate;
      expect(c.subjectCN).to.equal(DEV);
      expect(c.extendedKeyUsage).to.deep.equal(['serverAuth', 'clientAuth']);
      expect(c.signatureHash).to.equal('SHA256');
      expect(c.issuer).to.equal(b.pki.certificate('CAPF').certificate.subject);
      for (const store of ['CallManager-trust', 'CAPF-trust']) {
        const v = b.pki.verifyCertificateChain(store, [issued.pem], { purpose: 'clientAuth' });
        expect(v.trusted, `${store}: ${v.reason}`).to.equal(true);
        expect(v.path.at(-1)!.fingerprintSha256).to.equal(b.pki.certificate('CAPF').certificate.fingerprintSha256);
      }
      expect(b.store.journal().some((j) => j.step === 'authenticate' && /By Null String/.test(j.reason))).to.equal(true);
      // Persisted with the cluster state.
      const again = await ClusterPki.open(b.pki.dir);
      expect(again.lsc(DEV)!.certificate.fingerprintSha256).to.equal(c.fingerprintSha256);
    } finally {
      await b.close();
    }
  });

  it('By Existing Certificate (Precedence to LSC): the LSC when the phone has one, else the MIC; the key renewed', async () => {
    const b = await bench();
    try {
      const mic = await micFor(b.pki, DEV, 'RSA', '8845');
      const lscKey = pooledKeys({ keyType: 'EC', keySize: 256 })[2]!;
      const lsc = await b.pki.issueLsc({ deviceName: DEV, publicKey: lscKey });
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'existing-lsc' });
      const both: PhoneCredentials = { mic, lsc: { der: lsc.der, privateKey: lscKey } };
      const r1 = await phone(b, { deviceName: DEV, authMode: 'existing-lsc', credentials: both });
      expect(r1.outcome).to.deep.include({ status: 'installed', authenticatedWith: 'LSC' });
      expect(both.lsc!.der.equals(lsc.der)).to.equal(false);
      expect(b.store.journal().filter((j) => j.step === 'authenticate').at(-1)!.reason).to.match(/Precedence to LSC\): LSC "CN=SEP001122334455.*SIGNED_DATA, SHA2_SIGNED_DATA/);

      await b.store.configureDevice(DEV, { operation: 'install-upgrade' });
      const micOnly: PhoneCredentials = { mic };
      const r2 = await phone(b, { deviceName: DEV, authMode: 'existing-lsc', credentials: micOnly });
      expect(r2.outcome).to.deep.include({ status: 'installed', authenticatedWith: 'MIC' });
      expect(b.store.journal().filter((j) => j.step === 'authenticate').at(-1)!.reason).to.match(/MIC "CN=CP-8845-SEP001122334455.*verified up to "CN=Cisco Manufacturing CA SHA2/);
    } finally {
      await b.close();
    }
  });

  it('By Existing Certificate (Precedence to MIC): the MIC even when an LSC exists; the LSC when there is no MIC; EC MICs and SUDI', async () => {
    const b = await bench();
    try {
      const mic = await micFor(b.pki, DEV, 'EC');
      const lscKey = pooledKeys({ keyType: 'RSA', keySize: 2048 })[3]!;
      const lsc = await b.pki.issueLsc({ deviceName: DEV, publicKey: lscKey });
      const sudiKey = pooledKeys({ keyType: 'RSA', keySize: 2048 })[2]!;
      const sudi = await b.pki.issueManufacturingCertificate(`SUDI-${DEV}`, 'RSA', { privateKey: sudiKey });
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'existing-mic' });
      const r1 = await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { mic, lsc: { der: lsc.der, privateKey: lscKey }, sudi: { der: sudi.certificate.der, privateKey: sudiKey } } });
      expect(r1.outcome).to.deep.include({ status: 'installed', authenticatedWith: 'MIC' });
      expect(b.store.journal().filter((j) => j.step === 'authenticate').at(-1)!.reason).to.match(/Precedence to MIC\): MIC .*SUDI SHA-1, SUDI SHA-512/);

      await b.store.configureDevice(DEV, { operation: 'install-upgrade' });
      const r2 = await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { lsc: { der: lsc.der, privateKey: lscKey } } });
      expect(r2.outcome).to.deep.include({ status: 'installed', authenticatedWith: 'LSC' });
    } finally {
      await b.close();
    }
  });

  it('By Existing Certificate with no certificate in the phone: the operation fails (001 L5733, L5220)', async () => {
    const b = await bench();
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'existing-lsc' });
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'existing-lsc', credentials: {} });
      expect(outcome).to.deep.include({ status: 'refused', reason: 7, authenticatedWith: 'none' });
      expect(outcome.detail).to.contain('no certificate');
      expect(b.store.journal().some((j) => j.step === 'authenticate' && /presented no certificate; if no certificate exists in the phone, the operation fails/.test(j.reason))).to.equal(true);
      expect(b.pki.lsc(DEV)).to.equal(undefined);
    } finally {
      await b.close();
    }
  });

  it('refuses certificates CAPF-trust does not trust, another device\'s certificate, a bad signature, and a missing SUDI when required', async () => {
    const b = await bench({ server: { requireSudi: true } });
    try {
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'existing-mic' });
      const foreign = await freshCluster('foreign');
      const alien = await micFor(foreign, DEV);
      const r1 = await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { mic: alien } });
      expect(r1.outcome).to.deep.include({ status: 'refused', reason: 7 });
      expect(b.store.journal().filter((j) => j.step === 'authenticate').at(-1)!.reason).to.match(/not trusted by CAPF-trust/);

      const other = await micFor(b.pki, 'SEPAABBCCDDEEFF');
      await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { mic: other } });
      expect(b.store.journal().filter((j) => j.step === 'authenticate').at(-1)!.reason).to.match(/belongs to another device/);

      const mine = await micFor(b.pki, DEV);
      const wrongKey = { der: mine.der, privateKey: pooledKeys({ keyType: 'RSA', keySize: 2048 })[1]! };
      await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { mic: wrongKey } });
      expect(b.store.journal().filter((j) => j.step === 'authenticate').at(-1)!.reason).to.match(/SIGNED_DATA \(SHA-1\) does not verify/);

      await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: { mic: mine } });
      expect(b.store.journal().filter((j) => j.step === 'authenticate').at(-1)!.reason).to.match(/SUDI_DATA is required/);
      expect(b.pki.lsc(DEV)).to.equal(undefined);
    } finally {
      await b.close();
    }
  });

  it('refusals: unknown device → END_SESSION 9, No Pending Operation → 0, expired "Operation Completes By" → 7', async () => {
    const b = await bench();
    try {
      const unknown = await phone(b, { deviceName: 'SEP0000DEADBEEF', authMode: 'null-string' });
      expect(unknown.outcome).to.deep.include({ status: 'refused', reason: 9, reasonName: 'UNKNOWN_DEVICE' });

      await b.store.configureDevice(DEV, { authMode: 'null-string' });
      const none = await phone(b, { deviceName: DEV, authMode: 'null-string' });
      expect(none.outcome).to.deep.include({ status: 'no-operation', reason: 0, reasonName: 'NO_ACTION' });
      expect(none.keyRequests).to.have.length(0);

      await b.store.configureDevice(DEV, { operation: 'install-upgrade', operationCompletesBy: new Date(Date.now() - 60_000).toISOString() });
      const expired = await phone(b, { deviceName: DEV, authMode: 'null-string' });
      expect(expired.outcome).to.deep.include({ status: 'refused', reason: 7 });
      expect(b.store.device(DEV)!.status).to.deep.include({ state: 'failed' });
      expect(b.store.device(DEV)!.status.detail).to.match(/expired: .*Operation Completes By/);
      expect(b.pki.lsc(DEV)).to.equal(undefined);
      const steps = b.store.journal().filter((j) => j.outcome === 'refused').map((j) => j.step);
      expect(steps).to.include.members(['lookup', 'deadline']);
    } finally {
      await b.close();
    }
  });

  it('answers the CUCM-style AUTH_REQUEST {VERSION 3} alone when asked to', async () => {
    const b = await bench({ server: { authRequest: 'version-only', firstSessionId: 5 } });
    try {
      const { outcome } = await phone(b, { deviceName: DEV, authMode: 'null-string', recordTranscript: true });
      expect(outcome.transcript![0]!.bytes.toString('hex')).to.equal(hex('55 01 00000005 0004 07 0001 03'));
    } finally {
      await b.close();
    }
  });
});
