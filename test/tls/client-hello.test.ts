import { expect } from 'chai';
import fc from 'fast-check';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { ClientHelloError, readClientHello, type ClientHelloInfo } from '../../engine/tls/client-hello.js';

/** The first flight node's own client writes for these options. */
function helloBytes(opts: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let socket: tls.TLSSocket;
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) {
        resolve(Buffer.from(chunk));
        setImmediate(() => socket.destroy());
        cb();
      },
    });
    socket = tls.connect({ socket: sink, rejectUnauthorized: false, ...opts });
    socket.on('error', reject);
  });
}

function parsed(b: Buffer): ClientHelloInfo {
  const h = readClientHello(b);
  if (h === 'incomplete') throw new Error('incomplete');
  return h;
}

describe('engine/tls ClientHello reader', () => {
  it('reads suites, groups, sigalgs, versions, SNI and key shares of a TLS 1.3-capable hello', async () => {
    const b = await helloBytes({
      servername: 'cucm.example.test',
      ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:AES128-SHA',
      ecdhCurve: 'P-384:P-256',
      sigalgs: 'ecdsa_secp384r1_sha384:rsa_pss_rsae_sha256',
      ALPNProtocols: ['sip'],
    });
    const h = parsed(b);
    expect(h.legacyVersion).to.equal(0x0303);
    expect(h.versions).to.deep.equal(['TLSv1.3', 'TLSv1.2']);
    expect(h.cipherSuites).to.include.members([0xc02c, 0x002f, 0x1302]);
    expect(h.groups).to.deep.equal([24, 23]);
    expect(h.sigalgs).to.deep.equal([0x0503, 0x0804]);
    expect(h.keyShareGroups).to.deep.equal([24]);
    expect(h.serverName).to.equal('cucm.example.test');
    expect(h.alpn).to.deep.equal(['sip']);
    expect(h.length).to.equal(b.length - 5);
  });

  it('derives the versions of a TLS 1.0 hello without supported_versions', async () => {
    const h = parsed(await helloBytes({ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:@SECLEVEL=0' }));
    expect(h.legacyVersion).to.equal(0x0301);
    expect(h.versions).to.deep.equal(['TLSv1']);
  });

  it('waits for the whole message when it is split across reads and across records', async () => {
    const b = await helloBytes({ ciphers: 'ALL' });
    const whole = parsed(b);
    for (let cut = 0; cut < b.length; cut += 37) expect(readClientHello(b.subarray(0, cut))).to.equal('incomplete');
    // Re-frame the handshake message into 3 records of at most 100 bytes each... and a tail.
    const hs = b.subarray(5);
    const records: Buffer[] = [];
    for (let o = 0; o < hs.length; o += 100) {
      const part = hs.subarray(o, Math.min(o + 100, hs.length));
      records.push(Buffer.concat([Buffer.from([22, 3, 1, part.length >> 8, part.length & 0xff]), part]));
    }
    const framed = Buffer.concat(records);
    expect(readClientHello(framed.subarray(0, framed.length - 1))).to.equal('incomplete');
    expect(parsed(framed)).to.deep.equal(whole);
  });

  it('names what is wrong and where', () => {
    expect(() => readClientHello(Buffer.from('REGISTER sip:cucm SIP/2.0\r\n'))).to.throw(ClientHelloError, 'not a TLS handshake record: first byte 0x52 ("REGISTER") (at byte 0)');
    expect(() => readClientHello(Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02, 0, 0]))).to.throw('SSLv2-format ClientHello');
    expect(() => readClientHello(Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0]))).to.throw('handshake type 2 (expected 1, ClientHello) (at byte 5)');
    const bad = Buffer.from([22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0]);
    expect(() => readClientHello(bad)).to.throw('random runs past its enclosing length (at byte 11)');
  });

  it('never throws anything but ClientHelloError on arbitrary bytes, nor on a mutated real hello', async () => {
    const real = await helloBytes({ ciphers: 'ALL', servername: 'x.test' });
    const check = (b: Buffer) => {
      try {
        readClientHello(b);
      } catch (e) {
        if (!(e instanceof ClientHelloError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (a) => check(Buffer.from(a))), { numRuns: 500 });
    fc.assert(
      fc.property(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 }), (i, v) => {
        const m = Buffer.from(real);
        m[i] = v;
        check(m);
      }),
      { numRuns: 1000 },
    );
  });
});
