// Registration of emulated phones with the embedded cluster in each device security mode, over the transport and
// TLS offer the boot's configuration gives: Non Secure TCP and UDP (and digest), Authenticated (TLS NULL-SHA),
// Encrypted (TLS with an encrypting suite, the MIC as client certificate, the CallManager certificate through the
// trust store), a legacy 7962 on TLS 1.0, the ECDSA preset; refusals (no certificate, no MIC); refresh, unregister,
// re-registration after Cisco CallManager restarts; the 8800's TLS 1.2 → 1.0 fallback; and the TLS key log read
// back by tshark.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { SipStreamFramer, createResponse, serializeMessage } from '../../engine/sip/message/index.js';
import { builtinModels, PhoneUserAgent, phoneTlsOffer, type Phone } from '../../endpoints/index.js';
import { requirePeer } from '../support/peers.js';
import { brief, sleep, startLab, until, type PhoneLab } from './support.js';

const hex = (fp: string) => fp.replace(/:/g, '').toLowerCase();

describe('phone calls: registration in each device security mode', function () {
  this.timeout(60_000);
  let lab: PhoneLab;

  before(async () => {
    lab = await startLab({
      devices: {
        enc: { mac: '001B54AA0001', model: 8865, profile: 'Encrypted', line: 3001 },
        auth: { mac: '001B54AA0002', model: 8865, profile: 'Authenticated', line: 3002 },
        tcp: { mac: '001B54AA0003', model: 8865, profile: 'Non Secure TCP', line: 3003 },
        udp: { mac: '001B54AA0004', model: 8865, profile: 'Non Secure UDP', line: 3004 },
        digest: { mac: '001B54AA0005', model: 8865, profile: 'Non Secure Digest', line: 3005, digestUser: { userId: 'dana', password: 'secret' } },
        legacy: { mac: '001E4A79AA06', model: 7962, profile: 'Encrypted', line: 3006 },
        nomic: { mac: '001B54AA0007', model: 8865, profile: 'Encrypted', line: 3007 },
        nocert: { mac: '001B54AA0008', model: 8865, profile: 'Encrypted', line: 3008 },
        refresh: { mac: '001B54AA0009', model: 8865, profile: 'Encrypted', line: 3009 },
        keylog: { mac: '001B54AA000A', model: 8865, profile: 'Encrypted', line: 3010 },
        ecdsa: { mac: '001B54AA000B', model: 8865, profile: 'Encrypted', line: 3011 },
      },
    });
  });

  after(async () => {
    await lab?.close();
  });

  const bound = (device: string) => lab.cluster.sipServer!.location.byDevice(device);

  it('Encrypted: TLS 1.2 with an encrypting suite, the MIC as client certificate, CallManager checked by the trust store', async () => {
    const p = await lab.phone('enc');
    const r = p.sip!.registration!;
    expect(r, brief(r)).to.include({ outcome: 'registered', status: 200, transport: 'TLS', securityMode: 'encrypted', signalling: 'encrypted' });
    expect(r.tls).to.include({ outcome: 'accepted', version: 'TLSv1.2', suite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', certificateType: 'RSA', clientCertificate: 'mic', nullCipher: false });
    expect(r.tls!.serverTrust.decision).to.equal('accepted');
    expect(hex(r.tls!.serverCertificate!.fingerprint256)).to.equal(lab.cluster.pki.certificate('CallManager').certificate.fingerprintSha256);
    expect(r.tls!.attempts.map((a) => a.outcome)).to.deep.equal(['connected']);
    const trust = p.trust.events.at(-1)!;
    expect(trust).to.include({ kind: 'server-certificate', decision: 'accepted', basis: 'ctl' });
    const b = bound(p.deviceName);
    expect(b).to.have.length(1);
    expect(b[0]!.source.connection?.tls?.identity).to.include({ kind: 'phone', form: 'MIC', deviceName: p.deviceName });
    expect(r.expires).to.equal(3600);
  });

  it('Authenticated: TLS with NULL-SHA (no encryption), the MIC as client certificate', async () => {
    const p = await lab.phone('auth');
    const r = p.sip!.registration!;
    expect(r).to.include({ outcome: 'registered', securityMode: 'authenticated', signalling: 'authenticated' });
    expect(r.tls).to.include({ suite: 'TLS_RSA_WITH_NULL_SHA', nullCipher: true, clientCertificate: 'mic' });
    expect(bound(p.deviceName)[0]!.source.transport).to.equal('TLS');
  });

  it('Non Secure over TCP and over UDP, as the profile says; no TLS', async () => {
    const [t, u] = await Promise.all([lab.phone('tcp'), lab.phone('udp')]);
    expect(t.sip!.registration).to.include({ outcome: 'registered', transport: 'TCP', signalling: 'none' });
    expect(u.sip!.registration).to.include({ outcome: 'registered', transport: 'UDP', signalling: 'none' });
    expect(t.sip!.registration!.tls).to.equal(undefined);
    expect(bound(t.deviceName)[0]!.source.transport).to.equal('TCP');
    expect(bound(u.deviceName)[0]!.source.transport).to.equal('UDP');
  });

  it('digest: challenged with the SIP Station Realm, answers with the credentials the configuration carries', async () => {
    const p = await lab.phone('digest');
    const r = p.sip!.registration!;
    expect(r).to.include({ outcome: 'registered', status: 200 });
    expect(bound(p.deviceName)).to.have.length(1);
  });

  it('a legacy 7962 registers on TLS 1.0 with TLS_RSA_WITH_AES_128_CBC_SHA', async () => {
    const p = await lab.phone('legacy');
    expect(p.sip!.registration!.tls).to.include({ version: 'TLSv1', suite: 'TLS_RSA_WITH_AES_128_CBC_SHA', certificateType: 'RSA' });
  });

  it('refused: an Encrypted phone without MIC or LSC never gets to register (002 L1273-1277)', async () => {
    const p = await lab.phone('nomic', { register: false, mic: false });
    const r = await p.register();
    expect(r.outcome).to.equal('refused');
    expect(r.reason).to.match(/needs an LSC or MIC/);
    expect(bound(p.deviceName)).to.have.length(0);
  });

  it('refused: an Encrypted phone that offers no client certificate is turned away at the TLS handshake', async () => {
    const p = await lab.phone('nocert', { register: false });
    const r = await p.register({ clock: lab.clock, withoutClientCertificate: true, reconnect: false, registerTimeoutMs: 5000 });
    expect(r.outcome, brief(r)).to.equal('refused');
    expect(r.tls?.clientCertificate).to.equal('none');
    expect(bound(p.deviceName)).to.have.length(0);
    const refusal = lab.cluster.sipServer!.journal.entries().find((e) => e.subject === 'tls');
    expect(refusal?.reason ?? '').to.match(/certificate/i);
  });

  it('refresh before expiry, unregister, and registering again after Cisco CallManager restarts', async () => {
    const p = await lab.phone('refresh', { sip: { expires: 120, refreshFraction: 0.01 } });
    const ua = p.sip!;
    expect(ua.registration!.expires).to.equal(120);
    await until(() => ua.registration!.registers >= 2, 'a refresh REGISTER', 5000);
    expect(ua.registration!.outcome).to.equal('registered');
    expect(bound(p.deviceName)).to.have.length(1);

    const u = await p.unregister();
    expect(u).to.include({ outcome: 'unregistered', status: 200 });
    expect(bound(p.deviceName)).to.have.length(0);

    const again = await p.register();
    expect(again.outcome).to.equal('registered');
    const events: string[] = [];
    ua.on('registration', (r) => events.push(r.outcome));
    await lab.cluster.restartServices(['Cisco CallManager']);
    await until(() => events.includes('unregistered') && ua.registered && bound(p.deviceName).length === 1, 'the phone to register again', 15_000);
    expect(events[0]).to.equal('unregistered');
    expect(events.at(-1)).to.equal('registered');
  });

  it('TLS key log (NSS format) decrypts the signalling in a tshark capture', async function () {
    requirePeer(this, 'tshark', 'tshark');
    const port = lab.cluster.endpoints().sip.tls!.port;
    const pcap = join(lab.dir, 'sip.pcapng');
    const cap = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', pcap, '-a', 'duration:20'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    cap.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until(() => /Capturing on/.test(err), `tshark to start capturing (${err})`, 10_000);
      const p: Phone = await lab.phone('keylog');
      await sleep(300);
      const log = p.sip!.tlsKeyLog();
      expect(log).to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n/);
      writeFileSync(join(lab.dir, 'keys.log'), log);
    } finally {
      cap.kill('SIGINT');
      await new Promise((r) => cap.once('exit', r));
    }
    const out = await new Promise<string>((resolve, reject) => {
      const t = spawn('tshark', ['-r', pcap, '-o', `tls.keylog_file:${join(lab.dir, 'keys.log')}`, '-d', `tcp.port==${port},tls`, '-d', `tls.port==${port},sip`, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Status-Code'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      t.stdout!.on('data', (d: Buffer) => (o += d.toString()));
      t.once('error', reject);
      t.once('exit', () => resolve(o));
    });
    expect(out).to.match(/REGISTER/);
    expect(out).to.match(/\b200\b/);
  });

  it('the 8800 falls back from TLS 1.2 to TLS 1.0/1.1 when the server refuses 1.2, and records both attempts', async () => {
    const cred = lab.cluster.pki.tlsCredentials('CallManager');
    const server = tls.createServer({ key: cred.key, cert: cred.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'AES128-SHA:@SECLEVEL=0' }, (s) => {
      const framer = new SipStreamFramer({ role: 'server' });
      s.on('data', (chunk: Buffer) => {
        for (const ev of framer.push(chunk)) if (ev.type === 'message' && ev.message.kind === 'request') s.write(serializeMessage(createResponse(ev.message, 200)));
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const model = builtinModels.get('8865');
    const ua = new PhoneUserAgent({
      deviceName: 'SEP001B54AA00FF',
      model,
      line: '3099',
      securityMode: 'encrypted',
      servers: [{ host: '127.0.0.1', port, transport: 'TLS' }],
      tlsOffer: phoneTlsOffer({ model, purpose: 'sip', mode: 'encrypted' }),
      keepaliveMs: 0,
      reconnect: false,
      clock: lab.clock,
    });
    try {
      const r = await ua.register();
      expect(r.outcome, brief(r)).to.equal('registered');
      expect(r.tls!.attempts.map((a) => [a.attempt, a.outcome])).to.deep.equal([
        ['TLSv1.2', 'failed'],
        ['fallback TLSv1/TLSv1.1', 'connected'],
      ]);
      expect(r.tls).to.include({ version: 'TLSv1.1', suite: 'TLS_RSA_WITH_AES_128_CBC_SHA' });
      expect(r.tls!.serverTrust.decision).to.equal('unchecked');
    } finally {
      await ua.close();
      await new Promise((r) => server.close(() => r(undefined)));
    }
  });

  it('TLS Ciphers "All Ciphers, ECDSA Preferred": the 8800 gets an ECDHE_ECDSA suite and CallManager-ECDSA, checked by its 1.1 ITL', async () => {
    await lab.cluster.setParameters({ tlsCiphers: 'all-ecdsa' }, { restart: true });
    const p = await lab.phone('ecdsa');
    const r = p.sip!.registration!;
    expect(r.tls).to.include({ version: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', certificateType: 'ECDSA' });
    expect(hex(r.tls!.serverCertificate!.fingerprint256)).to.equal(lab.cluster.pki.certificate('CallManager-ECDSA').certificate.fingerprintSha256);
    expect(r.tls!.serverTrust.decision).to.equal('accepted');
  });
});
