// The prober's wire codec: crafted ClientHellos read back by engine/tls's independent ClientHello reader, server
// records built by hand, the TLS 1.3 key schedule checked against OpenSSL's own key log, and the flight reader fuzzed.
import { expect } from 'chai';
import fc from 'fast-check';
import net from 'node:net';
import tls from 'node:tls';
import { readClientHello } from '../../engine/tls/client-hello.js';
import { ServerFlightReader } from '../../probe/server-flight.js';
import {
  HRR_RANDOM,
  TlsWireError,
  buildClientHello,
  parseCertificate12,
  parseCertificateRequest12,
  parseServerHello,
  parseServerKeyExchange,
  readRecords,
} from '../../probe/tls-wire.js';
import {
  RecordDecrypter,
  RecordEncrypter,
  generateKeyShare,
  hashForSuite,
  serverHandshakeTrafficSecret,
  transcriptHash,
} from '../../probe/tls13-keys.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vec = (len: 1 | 2 | 3, b: Buffer) => Buffer.concat([len === 1 ? Buffer.from([b.length]) : len === 2 ? u16(b.length) : u24(b.length), b]);
const hs = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), u24(body.length), body]);
const record = (type: number, body: Buffer, version = 0x0303) => Buffer.concat([Buffer.from([type]), u16(version), u16(body.length), body]);

function serverHello(version: number, suite: number, exts: Buffer[] = [], random = Buffer.alloc(32, 7)): Buffer {
  return hs(2, Buffer.concat([u16(version), random, vec(1, Buffer.alloc(0)), u16(suite), Buffer.from([0]), vec(2, Buffer.concat(exts))]));
}
const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), vec(2, data)]);

/** A TLS 1.2 flight: ServerHello, Certificate, ServerKeyExchange (ECDHE P-256), ServerHelloDone. */
function tls12Flight(pki: TestPki): Buffer {
  const der = Buffer.from(pki.callManager.x509.raw);
  const ske = Buffer.concat([Buffer.from([3]), u16(23), vec(1, Buffer.alloc(65, 4)), u16(0x0804), vec(2, Buffer.alloc(256, 9))]);
  const msgs = Buffer.concat([
    serverHello(0x0303, 0xc02f, [ext(0xff01, Buffer.from([0]))]),
    hs(11, vec(3, vec(3, der))),
    hs(12, ske),
    hs(14, Buffer.alloc(0)),
  ]);
  // Split the handshake stream across two records, in the middle of the Certificate.
  return Buffer.concat([record(22, msgs.subarray(0, 300)), record(22, msgs.subarray(300))]);
}

describe('probe/tls-wire: the prober wire codec', function () {
  this.timeout(20_000);
  let pki: TestPki;
  before(async () => {
    pki = await makeTestPki();
  });

  it('writes TLS 1.0-1.2 ClientHellos that engine/tls reads back exactly', () => {
    const b = buildClientHello({ version: 'TLSv1.2', suites: [0xc02f, 0x002f, 0x000a], groups: [23, 29], sigalgs: [0x0401, 0x0403], serverName: 'cucm.example' });
    const h = readClientHello(b.record);
    if (h === 'incomplete') throw new Error('incomplete');
    expect(h.legacyVersion).to.equal(0x0303);
    expect(h.versions).to.deep.equal(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(h.cipherSuites).to.deep.equal([0xc02f, 0x002f, 0x000a, 0x00ff]);
    expect(h.groups).to.deep.equal([23, 29]);
    expect(h.sigalgs).to.deep.equal([0x0401, 0x0403]);
    expect(h.serverName).to.equal('cucm.example');
    // TLS 1.0: no signature_algorithms (RFC 5246 7.4.1.4.1: only for TLS 1.2 clients).
    const old = readClientHello(buildClientHello({ version: 'TLSv1', suites: [0x002f], sigalgs: [0x0401] }).record);
    if (old === 'incomplete') throw new Error('incomplete');
    expect(old.versions).to.deep.equal(['TLSv1']);
    expect(old.sigalgs).to.equal(undefined);
    expect(b.record.subarray(0, 3)).to.deep.equal(Buffer.from([22, 3, 1]));
  });

  it('writes TLS 1.3 ClientHellos with supported_versions, key shares and a fallback SCSV when asked', () => {
    const shares = [generateKeyShare(29), generateKeyShare(23)];
    const b = buildClientHello({
      version: 'TLSv1.3',
      supportedVersions: ['TLSv1.3', 'TLSv1.2'],
      suites: [0x1301, 0xc02f],
      groups: [29, 23],
      keyShares: shares.map((s) => ({ group: s.group, key: s.publicKey })),
      fallbackScsv: true,
    });
    const h = readClientHello(b.record);
    if (h === 'incomplete') throw new Error('incomplete');
    expect(h.versions).to.deep.equal(['TLSv1.3', 'TLSv1.2']);
    expect(h.keyShareGroups).to.deep.equal([29, 23]);
    expect(h.cipherSuites).to.deep.equal([0x1301, 0xc02f, 0x00ff, 0x5600]);
    expect(shares[0]!.publicKey).to.have.length(32);
    expect(shares[1]!.publicKey).to.have.length(65);
    expect(() => buildClientHello({ version: 'TLSv1.2', suites: [] })).to.throw(RangeError, /no cipher suite/);
  });

  it('parses ServerHellos: TLS 1.2, TLS 1.3 with supported_versions and key_share, HelloRetryRequest', () => {
    const sh12 = parseServerHello(serverHello(0x0303, 0xc02f, [ext(0xff01, Buffer.from([0])), ext(23, Buffer.alloc(0))]).subarray(4));
    expect(sh12).to.include({ version: 'TLSv1.2', suite: 0xc02f, renegotiationInfo: true, extendedMasterSecret: true, helloRetryRequest: false });
    const key = Buffer.alloc(32, 5);
    const sh13 = parseServerHello(serverHello(0x0303, 0x1302, [ext(43, u16(0x0304)), ext(51, Buffer.concat([u16(29), vec(2, key)]))]).subarray(4));
    expect(sh13.version).to.equal('TLSv1.3');
    expect(sh13.keyShare).to.deep.equal({ group: 29, key });
    const hrr = parseServerHello(serverHello(0x0303, 0x1301, [ext(43, u16(0x0304)), ext(51, u16(24))], HRR_RANDOM).subarray(4));
    expect(hrr.helloRetryRequest).to.equal(true);
    expect(hrr.keyShare).to.deep.equal({ group: 24 });
  });

  it('parses Certificate, ServerKeyExchange and CertificateRequest bodies', () => {
    const a = Buffer.from(pki.callManager.x509.raw);
    const b = Buffer.from(pki.manufacturingCa.x509.raw);
    expect(parseCertificate12(Buffer.concat([u24(a.length + b.length + 6), vec(3, a), vec(3, b)]))).to.deep.equal([a, b]);
    const ske = Buffer.concat([Buffer.from([3]), u16(24), vec(1, Buffer.alloc(97, 4)), u16(0x0503), vec(2, Buffer.alloc(104, 1))]);
    expect(parseServerKeyExchange(ske, 'ECDHE', 0x0303)).to.deep.equal({ kind: 'ecdhe', group: 24, publicKeyLength: 97, sigalg: 0x0503 });
    // TLS 1.0: no signature algorithm field.
    const ske10 = Buffer.concat([Buffer.from([3]), u16(23), vec(1, Buffer.alloc(65, 4)), vec(2, Buffer.alloc(70, 1))]);
    expect(parseServerKeyExchange(ske10, 'ECDHE', 0x0301)).to.deep.equal({ kind: 'ecdhe', group: 23, publicKeyLength: 65 });
    const dhe = Buffer.concat([vec(2, Buffer.concat([Buffer.from([0x80]), Buffer.alloc(255, 1)])), vec(2, Buffer.from([2])), vec(2, Buffer.alloc(256, 3)), u16(0x0401), vec(2, Buffer.alloc(256))]);
    expect(parseServerKeyExchange(dhe, 'DHE', 0x0303)).to.deep.equal({ kind: 'dhe', primeBits: 2048, sigalg: 0x0401 });
    const emptyName = Buffer.from([0x30, 0]); // DER SEQUENCE {}: names stay opaque bytes here
    const cr = Buffer.concat([vec(1, Buffer.from([1, 64])), vec(2, Buffer.concat([u16(0x0401), u16(0x0403)])), vec(2, vec(2, emptyName))]);
    expect(parseCertificateRequest12(cr, 0x0303)).to.deep.equal({ certificateTypes: [1, 64], sigalgs: [0x0401, 0x0403], authorities: [Buffer.from([0x30, 0])] });
  });

  it('reads a whole TLS 1.2 flight split across records and chunks, and the same flight byte by byte', () => {
    const flight = tls12Flight(pki);
    const whole = new ServerFlightReader();
    whole.push(flight);
    expect(whole.flight.complete).to.equal(true);
    expect(whole.flight.messages).to.deep.equal(['serverHello', 'certificate', 'serverKeyExchange', 'serverHelloDone']);
    expect(whole.flight.certificates![0]).to.deep.equal(Buffer.from(pki.callManager.x509.raw));
    expect(whole.flight.serverKeyExchange).to.deep.equal({ kind: 'ecdhe', group: 23, publicKeyLength: 65, sigalg: 0x0804 });
    const bytewise = new ServerFlightReader();
    for (let i = 0; i < flight.length; i++) bytewise.push(flight.subarray(i, i + 1));
    expect(bytewise.flight.messages).to.deep.equal(whole.flight.messages);
  });

  it('reads alerts (first one, fatal or warning) and ends the flight there', () => {
    const r = new ServerFlightReader();
    r.push(record(21, Buffer.from([2, 40]), 0x0301));
    expect(r.flight.alert).to.deep.equal({ level: 2, description: 40, name: 'handshake_failure', fatal: true });
    expect(r.done).to.equal(true);
    const v = new ServerFlightReader();
    v.push(record(21, Buffer.from([2, 70])));
    expect(v.flight.alert!.name).to.equal('protocol_version');
  });

  it('names what is wrong in garbage: element, field and offset', () => {
    const bad = (bytes: Buffer) => {
      try {
        new ServerFlightReader().push(bytes);
      } catch (e) {
        expect(e).to.be.instanceOf(TlsWireError);
        return e as TlsWireError;
      }
      throw new Error('no error');
    };
    const http = bad(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    expect(http.element).to.equal('record header');
    expect(http.offset).to.equal(0);
    expect(http.message).to.match(/not a TLS record: content type 0x48 .*"HTTP\/1.1 400 Ba/);
    const sip = bad(Buffer.from('SIP/2.0 400 Bad Request\r\n'));
    expect(sip.message).to.match(/"SIP\/2.0 400 Bad /);
    const truncated = bad(record(22, hs(2, Buffer.concat([u16(0x0303), Buffer.alloc(32), Buffer.from([0]), Buffer.from([0xc0])]))));
    expect(truncated.element).to.equal('ServerHello');
    expect(truncated.message).to.match(/cipher_suite needs 2 byte\(s\), 1 left/);
    expect(bad(Buffer.from([22, 3, 3, 0x48, 0x01])).message).to.match(/record length 18433 exceeds/);
    expect(bad(record(22, hs(11, vec(3, Buffer.alloc(0))))).message).to.match(/certificate before ServerHello/);
    expect(bad(record(22, Buffer.concat([serverHello(0x0303, 0x002f), hs(99, Buffer.alloc(0))]))).message).to.match(/unexpected handshake\(99\)/);
    expect(bad(Buffer.from([22, 2, 0])).message).to.match(/record version 2\.0/);
  });

  it('encrypts and decrypts TLS 1.3 records for all five suites; a flipped bit does not authenticate', () => {
    for (const suite of [0x1301, 0x1302, 0x1303, 0x1304, 0x1305]) {
      const secret = Buffer.alloc(hashForSuite(suite) === 'sha384' ? 48 : 32, suite & 0xff);
      const enc = new RecordEncrypter(suite, secret);
      const dec = new RecordDecrypter(suite, secret);
      for (const msg of [Buffer.from('first'), Buffer.from('second record, sequence number 1')]) {
        const rec = enc.encrypt(22, msg);
        const { records } = readRecords(rec);
        expect(dec.decrypt(records[0]!.header, records[0]!.fragment)).to.deep.equal({ type: 22, content: msg });
      }
      const rec = enc.encrypt(22, Buffer.from('third'));
      rec[rec.length - 1]! ^= 1;
      const { records } = readRecords(rec);
      expect(() => dec.decrypt(records[0]!.header, records[0]!.fragment)).to.throw(TlsWireError, /does not authenticate/);
    }
  });

  it("derives the server handshake traffic secret OpenSSL logs, and decrypts OpenSSL's TLS 1.3 flight with it", async () => {
    for (const [suite, group] of [
      [0x1301, 29],
      [0x1302, 24],
      [0x1303, 23],
      [0x1304, 30],
    ] as const) {
      const serverSecrets: string[] = [];
      const server = tls.createServer({ key: pki.callManagerEcdsa.key, cert: pki.callManagerEcdsa.cert, minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256' });
      server.on('keylog', (line: Buffer) => serverSecrets.push(line.toString()));
      server.on('tlsClientError', () => {});
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const share = generateKeyShare(group);
        const hello = buildClientHello({ version: 'TLSv1.3', supportedVersions: ['TLSv1.3'], suites: [suite], groups: [group], sigalgs: [0x0403], keyShares: [{ group, key: share.publicKey }] });
        let derived: Buffer | undefined;
        const reader = new ServerFlightReader({
          tls13Secret: (sh, shRaw) => {
            const hash = hashForSuite(sh.suite);
            derived = serverHandshakeTrafficSecret(hash, share.derive(sh.keyShare!.key!), transcriptHash(hash, hello.handshake, shRaw));
            return derived;
          },
        });
        await new Promise<void>((resolve, reject) => {
          const s = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => s.write(hello.record));
          s.on('data', (d) => {
            try {
              reader.push(d);
            } catch (e) {
              reject(e);
            }
            if (reader.done) {
              s.destroy();
              resolve();
            }
          });
          s.on('error', reject);
          setTimeout(() => reject(new Error('timeout')), 5000);
        });
        const logged = serverSecrets.find((l) => l.startsWith('SERVER_HANDSHAKE_TRAFFIC_SECRET'))!.trim().split(' ')[2];
        expect(derived!.toString('hex')).to.equal(logged);
        expect(reader.flight.messages).to.deep.equal(['serverHello', 'encryptedExtensions', 'certificate', 'certificateVerify', 'finished']);
        expect(reader.flight.certificates![0]).to.deep.equal(Buffer.from(pki.callManagerEcdsa.x509.raw));
        expect(reader.flight.certificateVerify!.sigalg).to.equal(0x0403);
      } finally {
        server.close();
      }
    }
  });

  it('fuzz: random bytes never throw anything but TlsWireError and always return', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
        const r = new ServerFlightReader({ tls13Secret: () => Buffer.alloc(32) });
        try {
          for (let i = 0; i < bytes.length && !r.done; i += chunk) r.push(Buffer.from(bytes.subarray(i, i + chunk)));
        } catch (e) {
          if (!(e instanceof TlsWireError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzz: a valid flight with bytes flipped, cut or repeated only ever fails with TlsWireError', () => {
    const flight = tls12Flight(pki);
    const tls13 = Buffer.concat([
      record(22, serverHello(0x0303, 0x1301, [ext(43, u16(0x0304)), ext(51, Buffer.concat([u16(29), vec(2, Buffer.alloc(32, 9))]))])),
      record(20, Buffer.from([1])),
      new RecordEncrypter(0x1301, Buffer.alloc(32, 1)).encrypt(22, hs(8, vec(2, Buffer.alloc(0)))),
    ]);
    fc.assert(
      fc.property(
        fc.constantFrom(flight, tls13),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 1, max: 200 }),
        (base, flips, cut, chunk) => {
          const b = Buffer.from(base.subarray(0, (cut % base.length) + 1));
          for (const [at, v] of flips) b[at % b.length] = v;
          const r = new ServerFlightReader({ tls13Secret: () => Buffer.alloc(32, 1) });
          try {
            for (let i = 0; i < b.length && !r.done; i += chunk) r.push(b.subarray(i, i + chunk));
          } catch (e) {
            if (!(e instanceof TlsWireError)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
