// The native SRTP core (native/srtp, N-API): published vectors on both GCM paths, robustness against any input,
// batch semantics, lifecycle, and the logged fallback to the TypeScript backend when the addon is missing.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { projectRoot } from '../../common/paths.js';
import { createNativeSrtpSession, loadNativeSrtpAddon } from '../../ciphers/srtp/native/load.js';
import { SRTP_SUITE_NAMES, SRTP_SUITES } from '../../ciphers/srtp/suites.js';
import {
  SRTP_MAX_TRAILER,
  SrtpError,
  SrtpStatus,
  isSrtpFailure,
  type SrtpBatch,
  type SrtpPolicy,
  type SrtpResult,
  type SrtpSession,
} from '../../ciphers/srtp/types.js';
import { requireNative, katPolicy, randomPolicy, rtcpPacket, rtpPacket } from './native-support.js';
import { ALL_PACKET_VECTORS, type SrtpPacketVector, type VectorKey } from './vectors.js';

const hex = (s: string) => Buffer.from(s, 'hex');

function ok(r: SrtpResult): Buffer {
  if (isSrtpFailure(r)) throw new Error(`unexpected failure: ${r}`);
  return r;
}

function policyOf(v: SrtpPacketVector, keys: VectorKey[] = v.keys): SrtpPolicy {
  return {
    suite: v.suite,
    keys: keys.map((k) => ({ key: hex(k.key), salt: hex(k.salt), ...(k.mki ? { mki: hex(k.mki) } : {}) })),
    ...(v.flags ?? {}),
  };
}

function batchOf(packets: Uint8Array[], room: number): SrtpBatch {
  const offsets = new Uint32Array(packets.length);
  const lengths = new Uint32Array(packets.length);
  let total = 0;
  packets.forEach((p, k) => ((offsets[k] = total), (lengths[k] = p.length), (total += p.length + room)));
  const data = Buffer.alloc(total);
  packets.forEach((p, k) => data.set(p, offsets[k]));
  return { data, offsets, lengths, status: new Uint8Array(packets.length), count: packets.length };
}

const slot = (b: SrtpBatch, k: number) => b.data.subarray(b.offsets[k], b.offsets[k]! + b.lengths[k]!);

describe('SRTP native core', function () {
  before(function () {
    requireNative(this);
  });

  it('loads the build that matches this checkout and links the OpenSSL inside node', () => {
    const info = loadNativeSrtpAddon()!.info();
    expect(info.abi).to.equal(1);
    expect(info.openssl).to.contain(process.versions.openssl.replace(/\+.*$/, ''));
    expect(['pclmul', 'evp']).to.include(info.gcm);
  });

  describe('published vectors (test/srtp/vectors.ts) on both GCM paths', () => {
    for (const v of ALL_PACKET_VECTORS) {
      for (const forceEvpGcm of SRTP_SUITES[v.suite].aead ? [false, true] : [false]) {
        it(`${v.name} ${v.suite}${forceEvpGcm ? ' (EVP GCM)' : ''}`, () => {
          const tx = createNativeSrtpSession(policyOf(v), { forceEvpGcm });
          const plain = hex(v.plain);
          let out: Buffer;
          if (v.rtcp) {
            for (let i = 1; i < (v.srtcpIndex ?? 1); i++) ok(tx.protectRtcp(plain));
            out = ok(tx.protectRtcp(plain));
          } else {
            if (v.roc) tx.setRoc(plain.readUInt32BE(8), v.roc);
            out = ok(tx.protectRtp(plain));
          }
          expect(out.toString('hex')).to.equal(v.protected);
          const rx = createNativeSrtpSession(policyOf(v, [...v.keys].reverse()), { forceEvpGcm });
          if (!v.rtcp && v.roc) rx.setRoc(plain.readUInt32BE(8), v.roc);
          expect(ok(v.rtcp ? rx.unprotectRtcp(out) : rx.unprotectRtp(out)).toString('hex')).to.equal(v.plain);
        });
      }
    }
  });

  it('own PCLMULQDQ GHASH and EVP GCM give the same bytes at every size (1 to 4 block runs, chunk edges)', () => {
    for (const suite of ['AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'] as const) {
      for (const encryptRtcp of [true, false]) {
        const policy = randomPolicy(suite, { encryptRtcp });
        const a = createNativeSrtpSession(policy);
        const b = createNativeSrtpSession(policy, { forceEvpGcm: true });
        const ra = createNativeSrtpSession(policy, { forceEvpGcm: true });
        const rb = createNativeSrtpSession(policy);
        let seq = 0;
        for (const len of [0, 1, 15, 16, 17, 31, 48, 63, 64, 65, 100, 160, 1200, 1519, 1520, 1536, 1537, 3100, 65000]) {
          for (const cc of [0, 1, 15]) {
            const p = rtpPacket({ ssrc: 7, seq: seq++, csrcs: Array.from({ length: cc }, (_, i) => i), payload: Buffer.alloc(len, len & 0xff) });
            const x = ok(a.protectRtp(p));
            expect(ok(b.protectRtp(p)).equals(x), `RTP ${len} bytes, ${cc} CSRCs`).to.equal(true);
            expect(ok(ra.unprotectRtp(x)).equals(p)).to.equal(true);
            expect(ok(rb.unprotectRtp(x)).equals(p)).to.equal(true);
          }
          const c = rtcpPacket(9, Buffer.alloc(len, 3));
          const y = ok(a.protectRtcp(c));
          expect(ok(b.protectRtcp(c)).equals(y), `RTCP ${len} bytes`).to.equal(true);
          expect(ok(ra.unprotectRtcp(y)).equals(c)).to.equal(true);
          expect(ok(rb.unprotectRtcp(y)).equals(c)).to.equal(true);
        }
      }
    }
  });

  it('refuses packets beyond 1 MiB as malformed, handles 64 KiB ones', () => {
    const s = createNativeSrtpSession(randomPolicy('AES_CM_128_HMAC_SHA1_80'));
    const r = createNativeSrtpSession(katPolicy('AES_CM_128_HMAC_SHA1_80'));
    const big = rtpPacket({ ssrc: 1, seq: 1, payload: Buffer.alloc(65000, 1) });
    const t = createNativeSrtpSession(katPolicy('AES_CM_128_HMAC_SHA1_80'));
    expect(ok(r.unprotectRtp(ok(t.protectRtp(big)))).equals(big)).to.equal(true);
    const huge = rtpPacket({ ssrc: 1, seq: 2, payload: Buffer.alloc(1 << 20) });
    const f = s.protectRtp(huge);
    expect(isSrtpFailure(f) && f.status).to.equal(SrtpStatus.Malformed);
    expect(String(f)).to.match(/exceeds/);
  });

  describe('never crashes and never changes state on a bad packet', () => {
    for (const suite of SRTP_SUITE_NAMES) {
      it(suite, () => {
        const policy: SrtpPolicy = { ...randomPolicy(suite), replayWindow: 64 };
        const tx = createNativeSrtpSession(policy);
        const rx = createNativeSrtpSession(policy);
        const good = [1, 2, 3].map((seq) => ok(tx.protectRtp(rtpPacket({ ssrc: 0xabc, seq, payload: Buffer.alloc(20, seq) }))));
        const goodRtcp = ok(tx.protectRtcp(rtcpPacket(0xabc)));
        ok(rx.unprotectRtp(good[0]!));
        const packet = fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.record({ base: fc.constantFrom(good[1]!, good[2]!, goodRtcp), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), cut: fc.nat(40) }).map(({ base, at, xor, cut }) => {
            const p = Buffer.from(base);
            p[at % p.length]! ^= xor;
            return p.subarray(0, Math.max(0, p.length - (cut % 3 === 0 ? cut : 0)));
          }),
        );
        fc.assert(
          fc.property(packet, fc.nat(3), (p, op) => {
            const target = op < 2 ? rx : tx;
            const before = [0xabc, 0].map((ssrc) => JSON.stringify(target.stream(ssrc) ?? null));
            const r = [rx.unprotectRtp, rx.unprotectRtcp, tx.protectRtp, tx.protectRtcp][op]!.call(target, p);
            if (isSrtpFailure(r)) {
              expect(r.status).to.be.within(1, 6);
              expect(r.detail).to.be.a('string').and.not.equal('');
              expect([0xabc, 0].map((ssrc) => JSON.stringify(target.stream(ssrc) ?? null))).to.deep.equal(before);
            }
          }),
          { numRuns: 300 },
        );
        // The receiver still takes the genuine packets.
        ok(rx.unprotectRtp(good[2]!));
        ok(rx.unprotectRtp(good[1]!));
      });
    }
  });

  it('creates no stream for packets that do not authenticate (10 000 forged SSRCs)', () => {
    const policy = randomPolicy('AES_CM_128_HMAC_SHA1_80');
    const rx = createNativeSrtpSession(policy);
    const forged = ok(createNativeSrtpSession(randomPolicy('AES_CM_128_HMAC_SHA1_80')).protectRtp(rtpPacket({ ssrc: 1, seq: 1, payload: Buffer.alloc(10) })));
    for (let i = 0; i < 10000; i++) {
      forged.writeUInt32BE(i * 2654435761 >>> 0, 8);
      expect((rx.unprotectRtp(forged) as { status: number }).status).to.equal(SrtpStatus.AuthFail);
    }
    for (let i = 0; i < 10000; i += 997) expect(rx.stream(i * 2654435761 >>> 0)).to.equal(undefined);
  });

  it('keeps thousands of streams apart (hash table growth)', () => {
    const policy = randomPolicy('AEAD_AES_128_GCM');
    const tx = createNativeSrtpSession(policy);
    const rx = createNativeSrtpSession(policy);
    const wire: Buffer[] = [];
    // odd multiples and multiples of 2^16 (SSRCs with many trailing zero bits must not pile up in one slot)
    const ssrc = (i: number) => (i % 2 ? i * 7919 : (i * 0x10000) >>> 0);
    for (let i = 0; i < 3000; i++) wire.push(ok(tx.protectRtp(rtpPacket({ ssrc: ssrc(i), seq: i, payload: Buffer.from([i & 0xff]) }))));
    wire.forEach((w, i) => expect(ok(rx.unprotectRtp(w))[12]).to.equal(i & 0xff));
    for (let i = 0; i < 3000; i += 111) expect(rx.stream(ssrc(i))).to.deep.include({ seq: i, rtpPackets: 1 });
  });

  describe('batches', () => {
    it('protect and unprotect in place in one call, with a status per packet', () => {
      const policy = randomPolicy('AES_CM_128_HMAC_SHA1_32');
      const tx = createNativeSrtpSession(policy);
      const rx = createNativeSrtpSession(policy);
      const packets = Array.from({ length: 40 }, (_, k) => rtpPacket({ ssrc: 5 + (k % 3), seq: 65520 + k, payload: Buffer.alloc(k * 3, k) }));
      const b = batchOf(packets, SRTP_MAX_TRAILER);
      expect(tx.protectRtpBatch(b)).to.equal(0);
      const single = createNativeSrtpSession(policy);
      packets.forEach((p, k) => expect(slot(b, k).equals(ok(single.protectRtp(p))), `packet ${k}`).to.equal(true));
      const wire = packets.map((_, k) => Buffer.from(slot(b, k)));
      wire[7]![wire[7]!.length - 1]! ^= 1; // bad tag
      const u = batchOf([...wire, wire[3]!], 0); // and a replay of packet 3
      expect(rx.unprotectRtpBatch(u)).to.equal(2);
      expect(u.status[7]).to.equal(SrtpStatus.AuthFail);
      expect(u.status[40]).to.equal(SrtpStatus.ReplayDuplicate);
      packets.forEach((p, k) => k !== 7 && expect(slot(u, k).equals(p), `packet ${k}`).to.equal(true));
      expect(slot(u, 7).equals(wire[7]!), 'a refused packet stays as it was').to.equal(true);
      expect(rx.stream(5)).to.deep.include({ roc: 1 });
    });

    it('refuses a slot without room for the trailer or past the buffer, and a count beyond the arrays', () => {
      const s = createNativeSrtpSession(randomPolicy('AEAD_AES_256_GCM'));
      const p = rtpPacket({ ssrc: 1, seq: 1, payload: Buffer.alloc(10) });
      const b = batchOf([p, p, p], 16);
      b.lengths[1] = 10_000;
      b.offsets[2] = b.offsets[2]! + 10; // leaves 6 bytes of room for a 16-byte tag
      expect(s.protectRtpBatch(b)).to.equal(2);
      expect(Array.from(b.status)).to.deep.equal([0, SrtpStatus.Malformed, SrtpStatus.Malformed]);
      expect(() => s.protectRtpBatch({ ...b, count: 4 })).to.throw(SrtpError, /count/);
      expect(s.protectRtcpBatch({ ...b, count: 0 })).to.equal(0);
    });
  });

  it('single-packet calls return a new buffer and leave the input alone', () => {
    const s = createNativeSrtpSession(randomPolicy('AES_256_CM_HMAC_SHA1_80'));
    const r = createNativeSrtpSession(katPolicy('AES_256_CM_HMAC_SHA1_80'));
    const p = rtpPacket({ ssrc: 3, seq: 3, payload: Buffer.alloc(50, 9) });
    const copy = Buffer.from(p);
    const out = ok(s.protectRtp(p));
    expect(p.equals(copy)).to.equal(true);
    expect(out.buffer === p.buffer && out.byteOffset === p.byteOffset).to.equal(false);
    const bad = Buffer.from(out);
    const f = r.unprotectRtp(bad);
    expect(isSrtpFailure(f) && f.status).to.equal(SrtpStatus.AuthFail);
    expect(bad.equals(out)).to.equal(true);
  });

  it('after close, calls fail with KeyExhausted and batches mark every packet', () => {
    const s: SrtpSession = createNativeSrtpSession(randomPolicy('NULL_HMAC_SHA1_80'));
    ok(s.protectRtp(rtpPacket({ ssrc: 1, seq: 1, payload: Buffer.alloc(4) })));
    s.close();
    s.close();
    const f = s.protectRtp(rtpPacket({ ssrc: 1, seq: 2, payload: Buffer.alloc(4) }));
    expect(isSrtpFailure(f) && f.status).to.equal(SrtpStatus.KeyExhausted);
    const b = batchOf([Buffer.alloc(20), Buffer.alloc(20)], 0);
    expect(s.unprotectRtcpBatch(b)).to.equal(2);
    expect(Array.from(b.status)).to.deep.equal([SrtpStatus.KeyExhausted, SrtpStatus.KeyExhausted]);
    expect(s.stream(1)).to.equal(undefined);
  });

  it('enforces per-key lifetimes for SRTP and SRTCP', () => {
    const policy = randomPolicy('AES_CM_128_HMAC_SHA1_80');
    policy.keys[0]!.lifetime = 3;
    const s = createNativeSrtpSession(policy);
    for (let i = 0; i < 3; i++) ok(s.protectRtp(rtpPacket({ ssrc: 1, seq: i, payload: Buffer.alloc(4) })));
    const f = s.protectRtp(rtpPacket({ ssrc: 2, seq: 9, payload: Buffer.alloc(4) }));
    expect(isSrtpFailure(f) && f.status).to.equal(SrtpStatus.KeyExhausted);
    for (let i = 0; i < 3; i++) ok(s.protectRtcp(rtcpPacket(1)));
    expect((s.protectRtcp(rtcpPacket(1)) as { status: number }).status).to.equal(SrtpStatus.KeyExhausted);
  });

  it('rejects invalid policies with an SrtpError naming the field', () => {
    expect(() => createNativeSrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: Buffer.alloc(15), salt: Buffer.alloc(14) }] })).to.throw(SrtpError, /keys\[0\]\.key/);
    expect(() => createNativeSrtpSession({ ...katPolicy('AEAD_AES_128_GCM'), encryptRtp: false })).to.throw(SrtpError, /UNENCRYPTED_SRTP/);
    expect(() => createNativeSrtpSession({ ...katPolicy('AES_CM_128_HMAC_SHA1_80'), replayWindow: 63 })).to.throw(SrtpError, /replayWindow/);
    expect(() => createNativeSrtpSession({ ...katPolicy('AES_CM_128_HMAC_SHA1_80'), kdr: 3 })).to.throw(SrtpError, /kdr/);
  });
});

describe('SRTP native fallback', function () {
  this.timeout(60000);
  const probe = [
    "import { availableSrtpBackends, createSrtpSession } from './ciphers/srtp/session.ts';",
    "import { nativeSrtpUnavailableReason } from './ciphers/srtp/native/load.ts';",
    "const s = createSrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', keys: [{ key: new Uint8Array(16), salt: new Uint8Array(14) }] });",
    "console.log(JSON.stringify({ backends: availableSrtpBackends(), used: s.backend, reason: nativeSrtpUnavailableReason() }));",
  ].join('\n');
  const runProbe = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
      cwd: projectRoot(),
      env: { ...process.env, TRUSTLINE_LOG: 'info', ...env },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    return { out: JSON.parse(r.stdout.trim().split('\n').pop()!) as { backends: string[]; used: string; reason: string }, log: r.stderr };
  };

  it('falls back to the TypeScript backend, and logs why, when the addon is missing', () => {
    const { out, log } = runProbe({ TRUSTLINE_SRTP_NATIVE_PATH: '/nonexistent/trustline_srtp.node' });
    expect(out).to.deep.include({ backends: ['ts'], used: 'ts' });
    expect(out.reason).to.match(/not built.*npm run build:native/);
    expect(log).to.match(/SRTP backend: ts \(native unavailable: the native SRTP core is not built/);
  });

  it('TRUSTLINE_SRTP_BACKEND=ts forces the TypeScript backend', () => {
    const { out, log } = runProbe({ TRUSTLINE_SRTP_BACKEND: 'ts' });
    expect(out).to.deep.include({ backends: ['ts'], used: 'ts' });
    expect(log).to.match(/TRUSTLINE_SRTP_BACKEND=ts/);
  });

  it('the install script never fails npm install: a broken build only says trustline will use the TypeScript backend', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustline-build-'));
    try {
      for (const f of ['binding.gyp', 'native', 'scripts/build-native.mjs']) cpSync(join(projectRoot(), f), join(dir, f), { recursive: true });
      const r = spawnSync(process.execPath, [join(dir, 'scripts/build-native.mjs')], {
        cwd: dir,
        env: { ...process.env, npm_config_nodedir: join(dir, 'no-node-headers') },
        encoding: 'utf8',
        timeout: 60000,
      });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.match(/^trustline: native SRTP core not built \(.+\); trustline will use the TypeScript SRTP backend\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
