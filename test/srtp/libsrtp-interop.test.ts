// Cross-check with Debian's libsrtp2 (a real peer, through test/srtp/libsrtp-peer.c compiled here): randomised
// packets (keys, SSRCs, ROCs, sequence numbers across the 65535 wrap, CSRCs, extensions, padding, MKIs, session
// parameters, SRTCP) protected by trustline are unprotected by libsrtp and the reverse, for every suite libsrtp has.
// Every trustline backend must produce the same bytes, and those must equal libsrtp's own output.
// Two departures of Debian's libsrtp 2.5.0 from the RFCs are pinned down rather than followed:
//  - AES_192_CM_*: it derives the session keys with the AES-256 PRF over key||salt padded to 46 bytes, not RFC 6188's
//    AES_192_CM_PRF (trustline follows the RFC vectors in test/srtp/vectors.ts), so no AES-192 packet interoperates;
//  - *_HMAC_SHA1_32 with MKIs: its SRTCP unprotect looks for the MKI before the 4-byte SRTP tag instead of the 10-byte
//    SRTCP tag and fails with bad_mki even on its own packets. Its SRTCP protect is right (and equals ours);
//  - UNAUTHENTICATED_SRTP: its protect adds no tag (as ours), but its unprotect still strips a tag's worth of payload
//    (or fails with bad_mki) on its own packets. Only the libsrtp -> trustline direction is checked there.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../common/paths.js';
import { availableSrtpBackends, createSrtpSession } from '../../ciphers/srtp/session.js';
import { SRTP_SUITE_NAMES, SRTP_SUITES, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure, type SrtpPolicy, type SrtpResult, type SrtpSession } from '../../ciphers/srtp/types.js';
import { requirePeer } from '../support/peers.js';
import { rtcpPacket, rtpPacket } from './native-support.js';

/** A libsrtp peer process: one command per line, one answer per line (see libsrtp-peer.c). */
class LibsrtpPeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];

  constructor(path: string) {
    this.proc = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(line));
  }

  /** Sends the commands at once (pipelined) and resolves with one answer per command. */
  send(commands: string[]): Promise<string[]> {
    const promises = commands.map(() => new Promise<string>((resolve) => this.waiting.push(resolve)));
    this.proc.stdin.write(commands.join('\n') + '\n');
    return Promise.all(promises);
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

/** mulberry32: reproducible randomness; the seed is printed with any failure. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  suite: SrtpSuiteName;
  policy: SrtpPolicy;
  ssrc: number;
  roc: number;
  seq0: number;
  rtp: Buffer[];
  rtcp: Buffer[];
  what: string;
}

function makeCase(suite: SrtpSuiteName, seed: number): Case {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const s = SRTP_SUITES[suite];
  const nkeys = r() < 0.35 ? 1 + int(3) : 0;
  const mkiLen = 1 + int(4);
  const keys = Array.from({ length: Math.max(1, nkeys) }, (_, i) => ({
    key: bytes(s.keyLen),
    salt: bytes(s.saltLen),
    ...(nkeys ? { mki: Buffer.concat([Buffer.from([i]), bytes(mkiLen - 1)]) } : {}),
  }));
  const cm = s.cipher === 'aes-cm';
  const policy: SrtpPolicy = {
    suite,
    keys,
    ...(cm && r() < 0.15 ? { encryptRtp: false } : {}),
    ...(r() < 0.15 ? { encryptRtcp: false } : {}),
    ...(cm && r() < 0.1 ? { authenticateRtp: false } : {}),
  };
  const ssrc = int(2 ** 32);
  const roc = [0, 1 + int(3), int(2 ** 32 - 2)][int(3)]!;
  const seq0 = r() < 0.8 ? 65535 - int(40) : int(65536);
  const rtp = Array.from({ length: 60 }, (_, i) =>
    rtpPacket({
      ssrc,
      seq: (seq0 + i) & 0xffff,
      ts: int(2 ** 32),
      pt: int(128),
      marker: r() < 0.1,
      csrcs: Array.from({ length: r() < 0.3 ? int(16) : 0 }, () => int(2 ** 32)),
      ...(r() < 0.3 ? { ext: { profile: r() < 0.5 ? 0xbede : 0x1000, words: int(6) } } : {}),
      payload: bytes(int(r() < 0.2 ? 1300 : 250)),
      padding: r() < 0.2 ? 1 + int(8) : 0,
    }),
  );
  const rtcp = Array.from({ length: 10 }, () => rtcpPacket(ssrc, bytes(int(200))));
  const flags = ['encryptRtp', 'encryptRtcp', 'authenticateRtp'].filter((f) => (policy as unknown as Record<string, unknown>)[f] === false);
  return { suite, policy, ssrc, roc, seq0, rtp, rtcp, what: `${suite} seed ${seed} (${nkeys} MKI keys, ROC ${roc}, seq ${seq0}${flags.length ? ', ' + flags.join('=false, ') + '=false' : ''})` };
}

function ok(res: SrtpResult, what: string): Buffer {
  if (isSrtpFailure(res)) throw new Error(`${what}: ${res}`);
  return res;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Suites where Debian's libsrtp 2.5.0 is not a reference (see the top of this file). */
const LIBSRTP_AES192 = (s: SrtpSuiteName) => s.startsWith('AES_192_');
const LIBSRTP_NO_SRTCP_MKI = (c: Case) => SRTP_SUITES[c.suite].srtpTagLen === 4 && c.policy.keys[0]!.mki !== undefined;

/** `new` command for libsrtp: ID in|out SUITE SSRC WINDOW FLAGS NKEYS (KEY MKI)*. */
function newCommand(id: number, dir: 'in' | 'out', c: Case): string {
  const p = c.policy;
  const flags = (p.encryptRtp === false ? 0 : 1) | (p.encryptRtcp === false ? 0 : 2) | (p.authenticateRtp === false ? 0 : 4);
  const keys = p.keys.map((k) => `${hex(k.key)}${hex(k.salt)} ${k.mki ? hex(k.mki) : '-'}`).join(' ');
  return `new ${id} ${dir} ${c.suite} ${c.ssrc} 1024 ${flags} ${p.keys.length} ${keys}`;
}

describe('SRTP interop with Debian libsrtp2', function () {
  this.timeout(60000);
  let dir = '';
  let peer: LibsrtpPeer | undefined;
  const backends = availableSrtpBackends();

  before(function () {
    requirePeer(this, 'gcc', 'gcc');
    if (!existsSync('/usr/include/srtp2/srtp.h')) {
      if (process.env.CI) throw new Error('libsrtp2-dev is missing: .ci/run must install the Debian package libsrtp2-dev');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'trustline-libsrtp-'));
    const exe = join(dir, 'libsrtp-peer');
    const cc = spawnSync('gcc', ['-O1', '-o', exe, join(projectRoot(), 'test/srtp/libsrtp-peer.c'), '-lsrtp2'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cannot build the libsrtp peer: ${cc.stderr}`);
    peer = new LibsrtpPeer(exe);
  });

  after(() => {
    peer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const base = Number(process.env.TRUSTLINE_TEST_SEED ?? Date.now() % 1_000_000);

  for (const suite of SRTP_SUITE_NAMES.filter((s) => !LIBSRTP_AES192(s))) {
    it(`${suite}: trustline -> libsrtp and libsrtp -> trustline, identical bytes`, async () => {
      for (let round = 0; round < 5; round++) {
        const c = makeCase(suite, base * 31 + SRTP_SUITE_NAMES.indexOf(suite) * 7 + round);
        const tx = backends.map((b) => createSrtpSession(c.policy, { backend: b }));
        const rx = backends.map((b) => createSrtpSession(c.policy, { backend: b }));
        for (const s of [...tx, ...rx]) s.setRoc(c.ssrc, c.roc);
        const setup = await peer!.send([newCommand(0, 'out', c), `roc 0 ${c.ssrc} ${c.roc}`, newCommand(1, 'in', c), `roc 1 ${c.ssrc} ${c.roc}`]);
        expect(setup, c.what).to.deep.equal(['ok', 'ok', 'ok', 'ok']);

        // trustline protects (every backend the same bytes); libsrtp protects the same packets: same bytes again.
        const ours = c.rtp.map((p, i) => {
          const outs = tx.map((s: SrtpSession) => hex(ok(s.protectRtp(p), `${c.what} protect RTP ${i}`)));
          for (const o of outs) expect(o, `${c.what} backends differ on RTP ${i}`).to.equal(outs[0]);
          return outs[0]!;
        });
        const oursRtcp = c.rtcp.map((p, i) => {
          const outs = tx.map((s: SrtpSession) => hex(ok(s.protectRtcp(p), `${c.what} protect RTCP ${i}`)));
          for (const o of outs) expect(o, `${c.what} backends differ on RTCP ${i}`).to.equal(outs[0]);
          return outs[0]!;
        });
        const theirs = await peer!.send([...c.rtp.map((p) => `p 0 rtp 0 ${hex(p)}`), ...c.rtcp.map((p) => `p 0 rtcp 0 ${hex(p)}`)]);
        theirs.forEach((a, i) => expect(a, `${c.what} libsrtp protect ${i}`).to.match(/^ok /));
        ours.forEach((o, i) => expect(o, `${c.what} RTP ${i} differs from libsrtp`).to.equal(theirs[i]!.slice(3)));
        oursRtcp.forEach((o, i) => expect(o, `${c.what} SRTCP ${i} differs from libsrtp`).to.equal(theirs[c.rtp.length + i]!.slice(3)));

        // libsrtp unprotects ours (with neighbours swapped now and then: ROC guessing across the wrap, the window).
        // (The first packet goes first: before it, no receiver can know whether the next one crossed the wrap.)
        const order = c.rtp.map((_, i) => i);
        for (let i = 1; i + 1 < order.length; i += 5) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
        const rtcpBack = LIBSRTP_NO_SRTCP_MKI(c) ? [] : oursRtcp;
        const rtpBack = c.policy.authenticateRtp === false ? [] : order;
        const back = await peer!.send([...rtpBack.map((i) => `u 1 rtp ${ours[i]}`), ...rtcpBack.map((o) => `u 1 rtcp ${o}`)]);
        rtpBack.forEach((i, k) => expect(back[k], `${c.what} libsrtp unprotect RTP ${i}`).to.equal(`ok ${hex(c.rtp[i]!)}`));
        rtcpBack.forEach((_, i) => expect(back[rtpBack.length + i], `${c.what} libsrtp unprotect SRTCP ${i}`).to.equal(`ok ${hex(c.rtcp[i]!)}`));

        // trustline unprotects libsrtp's packets, same reordering.
        for (const s of rx) {
          for (const i of order) {
            expect(hex(ok(s.unprotectRtp(Buffer.from(theirs[i]!.slice(3), 'hex')), `${c.what} ${s.backend} unprotect RTP ${i}`))).to.equal(hex(c.rtp[i]!));
          }
          c.rtcp.forEach((p, i) => {
            const w = Buffer.from(theirs[c.rtp.length + i]!.slice(3), 'hex');
            expect(hex(ok(s.unprotectRtcp(w), `${c.what} ${s.backend} unprotect SRTCP ${i}`))).to.equal(hex(p));
          });
          const st = s.stream(c.ssrc)!;
          const last = c.seq0 + c.rtp.length - 1;
          expect(st.roc, c.what).to.equal((c.roc + Math.floor(last / 65536)) >>> 0);
          expect(st.srtcpIndex, c.what).to.equal(c.rtcp.length);
        }
        // A tampered packet is refused by both sides.
        if (c.policy.authenticateRtp !== false) {
          const next = rtpPacket({ ssrc: c.ssrc, seq: (c.seq0 + c.rtp.length) & 0xffff, payload: Buffer.alloc(40, 1) });
          const bad = ok(tx[0]!.protectRtp(next), c.what);
          bad[20] = bad[20]! ^ 0x40; // a payload byte (the tag or, with GCM, the MKI come last)
          const [lib] = await peer!.send([`u 1 rtp ${hex(bad)}`]);
          expect(lib, `${c.what} libsrtp took a tampered packet`).to.equal('err 7'); // srtp_err_status_auth_fail
          for (const s of rx) expect((s.unprotectRtp(bad) as { code?: string }).code, `${c.what} ${s.backend}`).to.equal('auth-failure');
        }
        for (const s of [...tx, ...rx]) s.close();
        await peer!.send(['free 0', 'free 1']);
      }
    });
  }

  it('AES_192_CM_*: Debian libsrtp 2.5.0 departs from RFC 6188 (AES-256 PRF); trustline keeps the RFC 7.4 PRF', async () => {
    // trustline's AES-192 PRF is checked against RFC 6188 7.4 in vectors.test.ts; here: libsrtp still disagrees, so
    // AES-192 stays out of the byte-for-byte interop until Debian ships a fixed libsrtp (then enable it above).
    for (const suite of SRTP_SUITE_NAMES.filter(LIBSRTP_AES192)) {
      const c = makeCase(suite, 192);
      const ours = hex(ok(createSrtpSession(c.policy).protectRtp(c.rtp[0]!), c.what));
      const [created, theirs] = await peer!.send([newCommand(2, 'out', c), `p 2 rtp 0 ${hex(c.rtp[0]!)}`]);
      expect(created).to.equal('ok');
      expect(theirs, `${suite}: libsrtp now matches the RFC; enable AES-192 interop`).to.match(/^ok /).and.not.equal(`ok ${ours}`);
      await peer!.send(['free 2']);
    }
  });
});
