// A phone's persisted state: small JSON files in the phone's state directory, each replaced atomically (temp file in
// the same directory, fsync, rename, fsync of the directory), so a kill at any moment leaves the old or the new file,
// never a torn one. engine/pki/state-store.ts does the same for the cluster but does not export its helper.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type WriteStep = 'temp-written' | 'temp-synced' | 'renamed' | 'dir-synced';

/** Test seam: called after each durable step (the kill tests stop the process there). */
export interface StateFileHooks {
  onStep?: (step: WriteStep, path: string) => void;
}

export class StateFileError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'StateFileError';
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

const tempPrefix = (name: string) => `.${name}.`;

/** Replaces `path` with `data` atomically (the directory is created, mode 0700). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, o: { mode?: number; hooks?: StateFileHooks } = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `${tempPrefix(basename(path))}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = await open(tmp, 'wx', o.mode ?? 0o600);
  try {
    await fd.writeFile(data);
    o.hooks?.onStep?.('temp-written', tmp);
    await fd.sync();
    o.hooks?.onStep?.('temp-synced', tmp);
  } catch (e) {
    await fd.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fd.close();
  await rename(tmp, path);
  o.hooks?.onStep?.('renamed', path);
  await fsyncDir(dir);
  o.hooks?.onStep?.('dir-synced', path);
}

/** Removes temp files a killed writer left beside `path`. */
export async function removeStaleTemps(path: string): Promise<number> {
  const dir = dirname(path);
  const prefix = tempPrefix(basename(path));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
  await Promise.all(stale.map((n) => unlink(join(dir, n)).catch(() => undefined)));
  return stale.length;
}

/** Reads a JSON state file written by writeJsonState: undefined when absent, StateFileError when unreadable. */
export async function readJsonState<T>(path: string, format: string, check: (v: Record<string, unknown>) => T): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(path, `not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || (v as { format?: unknown }).format !== format) throw new StateFileError(path, `not a ${format} file`);
  return check(v as Record<string, unknown>);
}

export async function writeJsonState(path: string, format: string, state: object, hooks?: StateFileHooks): Promise<void> {
  await writeFileAtomic(path, JSON.stringify({ format, ...state }, null, 2) + '\n', hooks ? { hooks } : {});
}

/** Runs async jobs one at a time (a phone's writes must not interleave). */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(job, job);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
