// The libsrtp reference of the SRTP bench: bench/srtp/libsrtp-bench.c, compiled on first use into bench/.build with
// gcc against Debian's libsrtp2-dev (the bench's only use of libsrtp; the native core never links it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/paths.js';
import type { SrtpBenchOp } from './measure.js';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';

export type LibsrtpHarness = { ok: true; path: string } | { ok: false; reason: string };

/** Builds the harness when missing or older than its source; never throws. */
export function buildLibsrtpHarness(): LibsrtpHarness {
  const root = projectRoot();
  const src = join(root, 'bench', 'srtp', 'libsrtp-bench.c');
  const dir = join(root, 'bench', '.build');
  const exe = join(dir, 'libsrtp-bench');
  if (!existsSync(src)) return { ok: false, reason: `${src} is missing` };
  if (existsSync(exe) && statSync(exe).mtimeMs >= statSync(src).mtimeMs) return { ok: true, path: exe };
  if (!existsSync('/usr/include/srtp2/srtp.h')) return { ok: false, reason: 'libsrtp2-dev is not installed (apt-get install libsrtp2-dev)' };
  mkdirSync(dir, { recursive: true });
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', exe, src, '-lsrtp2'], { encoding: 'utf8' });
  if (cc.error) return { ok: false, reason: `cannot run gcc: ${cc.error.message}` };
  if (cc.status !== 0) return { ok: false, reason: `gcc failed: ${cc.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  return { ok: true, path: exe };
}

export interface LibsrtpRun {
  pps: number[];
  version: string;
}

function runOne(exe: string, op: SrtpBenchOp, suite: SrtpSuiteName, size: number, repeats: number, seconds: number): Promise<LibsrtpRun | null> {
  return new Promise((resolve, reject) => {
    const p = spawn(exe, [op, suite, String(size), String(repeats), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 2) return resolve(null); // libsrtp lacks the suite
      if (code !== 0) return reject(new Error(`libsrtp-bench ${op} ${suite} ${size} exited with ${code}: ${err.trim()}`));
      resolve(JSON.parse(out) as LibsrtpRun);
    });
  });
}

/** Runs `workers` harness processes at once; per repeat, the sum of their packets/s. null: suite unsupported. */
export async function runLibsrtp(
  exe: string,
  op: SrtpBenchOp,
  suite: SrtpSuiteName,
  size: number,
  repeats: number,
  seconds: number,
  workers: number,
): Promise<LibsrtpRun | null> {
  const runs = await Promise.all(Array.from({ length: workers }, () => runOne(exe, op, suite, size, repeats, seconds)));
  if (runs.some((r) => r === null)) return null;
  const ok = runs as LibsrtpRun[];
  return { version: ok[0]!.version, pps: ok[0]!.pps.map((_, i) => ok.reduce((sum, r) => sum + r.pps[i]!, 0)) };
}
