// A lock between processes: a file created exclusively that holds the holder's pid. A holder killed while holding it
// leaves a stale lock, taken over once that pid is gone; an empty file (its creator has not written the pid yet, or
// was killed in between) counts as stale after EMPTY_STALE_MS. Used where state directories are changed by several
// trustline processes (engine/pki's state store, the CAPF change log).
import { open, readFile, stat, unlink } from 'node:fs/promises';

const EMPTY_STALE_MS = 2000;

/** Whether a process with this pid exists (EPERM: it does, it is someone else's). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PidLockOptions {
  /** How long to wait for a live holder before giving up. */
  timeoutMs: number;
  /** Time between attempts (default 50 ms). */
  pollMs?: number;
  /** The error thrown when a live holder keeps the lock past timeoutMs. */
  busy: (holderPid: number) => Error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pidIn = async (path: string) => Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);

/** Takes the lock at `path`; resolves to its release. */
export async function acquirePidLock(path: string, o: PidLockOptions): Promise<() => Promise<void>> {
  const deadline = Date.now() + o.timeoutMs;
  const poll = o.pollMs ?? 50;
  for (;;) {
    try {
      const fd = await open(path, 'wx', 0o600);
      try {
        await fd.writeFile(`${process.pid}\n`);
      } finally {
        await fd.close();
      }
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await pidIn(path);
    if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
      if (Date.now() > deadline) throw o.busy(holder);
      await sleep(poll);
      continue;
    }
    if (Number.isNaN(holder)) {
      const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0);
      if (age < EMPTY_STALE_MS) {
        await sleep(poll);
        continue;
      }
    }
    // The holder died: the lock is stale. Remove it only if nobody took it over meanwhile.
    const again = await pidIn(path);
    if (again === holder || (Number.isNaN(again) && Number.isNaN(holder))) await unlink(path).catch(() => undefined);
  }
}

/** Runs `fn` holding the lock at `path`. */
export async function withPidLock<R>(path: string, o: PidLockOptions, fn: () => Promise<R>): Promise<R> {
  const release = await acquirePidLock(path, o);
  try {
    return await fn();
  } finally {
    await release();
  }
}
