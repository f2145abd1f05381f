// Crash-safe persistence of the cluster state in a directory:
//   manifest.json   the whole state (JSON) plus the SHA-256 of every object it references; replaced atomically
//   objects/        immutable, content-named files (certificates, keys): written once, never modified
//   lock            the pid of the process committing a change
// A commit writes the new objects (temp file, fsync, rename), fsyncs objects/, then writes manifest.json the same way
// and fsyncs the directory; only then are unreferenced objects removed. A kill at any moment leaves either the old or
// the new manifest, and every object the surviving manifest names is complete, so reopening gives the last good state.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.js';
import { acquirePidLock } from '../../common/pid-lock.js';
import { PkiError } from './errors.js';

export const MANIFEST = 'manifest.json';
export const OBJECTS = 'objects';
const LOCK = 'lock';
const FORMAT = 'trustline-pki';
const VERSION = 1;

export type StoreStep = 'object-written' | 'objects-synced' | 'manifest-written' | 'manifest-renamed' | 'committed';

/** Test seam: called after each durable step of a commit (the kill-safety tests stop the process there). */
export interface StoreHooks {
  onStep?: (step: StoreStep, detail: string) => void;
}

export interface Manifest<T> {
  format: typeof FORMAT;
  version: typeof VERSION;
  generation: number;
  savedAt: string;
  /** Object name → SHA-256 (hex) of its content. */
  objects: Record<string, string>;
  state: T;
}

export interface Loaded<T> {
  manifest: Manifest<T>;
  objects: Map<string, Buffer>;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A content-derived object name: `<label>-<first 24 hex of SHA-256>.<ext>`; the label is for people only. */
export function objectName(label: string, content: Uint8Array, ext: string): string {
  return `${label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}-${sha256(content).slice(0, 24)}.${ext}`;
}

async function fsyncPath(path: string): Promise<void> {
  const fd = await open(path, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}



/** Commits in progress per directory in this process (the lock file only tells processes apart). */
const inProcess = new Map<string, Promise<unknown>>();

export class StateStore<T> {
  readonly dir: string;
  private readonly hooks: StoreHooks;
  private readonly lockTimeoutMs: number;
  /** Objects known to be complete on disk (written or loaded by us). */
  private readonly onDisk = new Set<string>();
  /** Releases the directory lock of the commit in progress. */
  private release: (() => Promise<void>) | undefined;

  constructor(dir: string, hooks: StoreHooks = {}, lockTimeoutMs = 10_000) {
    this.dir = dir;
    this.hooks = hooks;
    this.lockTimeoutMs = lockTimeoutMs;
  }

  exists(): boolean {
    return existsSync(join(this.dir, MANIFEST));
  }

  /** The generation on disk, or undefined when there is no manifest. */
  diskGeneration(): number | undefined {
    const path = join(this.dir, MANIFEST);
    if (!existsSync(path)) return undefined;
    return this.parseManifest(readFileSync(path, 'utf8')).generation;
  }

  private parseManifest(text: string): Manifest<T> {
    const path = join(this.dir, MANIFEST);
    let m: Manifest<T>;
    try {
      m = JSON.parse(text) as Manifest<T>;
    } catch (err) {
      throw new PkiError('E_STATE', `${path}: not valid JSON (${(err as Error).message})`);
    }
    if (m?.format !== FORMAT) throw new PkiError('E_STATE', `${path}: not a trustline cluster state (format "${String(m?.format)}")`);
    if (m.version !== VERSION) throw new PkiError('E_STATE', `${path}: state version ${String(m.version)} is not supported (expected ${VERSION})`);
    if (!Number.isInteger(m.generation) || typeof m.objects !== 'object' || typeof m.state !== 'object') throw new PkiError('E_STATE', `${path}: missing generation, objects or state`);
    return m;
  }

  /** Reads the manifest and every object it names, checking each object's SHA-256. */
  async load(): Promise<Loaded<T>> {
    const path = join(this.dir, MANIFEST);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PkiError('E_NO_STATE', `no cluster state in ${this.dir} (run \`trustline pki init --state ${this.dir}\`)`);
      throw err;
    }
    const manifest = this.parseManifest(text);
    const objects = new Map<string, Buffer>();
    for (const [name, digest] of Object.entries(manifest.objects)) {
      const file = join(this.dir, OBJECTS, name);
      let data: Buffer;
      try {
        data = await readFile(file);
      } catch {
        throw new PkiError('E_STATE', `${file}: missing (referenced by ${MANIFEST})`);
      }
      if (sha256(data) !== digest) throw new PkiError('E_STATE', `${file}: content does not match its SHA-256 in ${MANIFEST} (corrupted)`);
      objects.set(name, data);
      this.onDisk.add(name);
    }
    return { manifest, objects };
  }

  /**
   * Commits `state` with exactly `objects` (name → content) as its objects. `expectedGeneration` is the generation the
   * change was based on (undefined: there must be no state yet; 'any': replace whatever is there). Returns the new
   * generation. Refuses when another process committed in between.
   */
  commit(state: T, objects: ReadonlyMap<string, Uint8Array>, expectedGeneration: number | undefined | 'any'): Promise<number> {
    const previous = inProcess.get(this.dir) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.commitLocked(state, objects, expectedGeneration));
    const tail = run.catch(() => undefined);
    inProcess.set(this.dir, tail);
    void tail.then(() => {
      if (inProcess.get(this.dir) === tail) inProcess.delete(this.dir);
    });
    return run;
  }

  private async commitLocked(state: T, objects: ReadonlyMap<string, Uint8Array>, expectedGeneration: number | undefined | 'any'): Promise<number> {
    await mkdir(join(this.dir, OBJECTS), { recursive: true, mode: 0o700 });
    await this.lock();
    try {
      const current = this.diskGeneration();
      if (expectedGeneration !== 'any' && current !== expectedGeneration) {
        throw new PkiError(
          'E_CONFLICT',
          current === undefined
            ? `the cluster state in ${this.dir} has disappeared`
            : expectedGeneration === undefined
              ? `${this.dir} already holds a cluster state (generation ${current})`
              : `the cluster state in ${this.dir} was changed by another process (generation ${current}, this one is based on ${expectedGeneration}); reopen it`,
        );
      }
      const objDir = join(this.dir, OBJECTS);
      let wrote = false;
      for (const [name, data] of objects) {
        if (this.onDisk.has(name) && existsSync(join(objDir, name))) continue;
        await writeFileAtomic(join(objDir, name), data, { mode: 0o600, mkdir: false, syncDirectory: false }); // synced once below
        this.onDisk.add(name);
        wrote = true;
        this.hooks.onStep?.('object-written', name);
      }
      if (wrote) await fsyncPath(objDir);
      this.hooks.onStep?.('objects-synced', objDir);
      const generation = (current ?? 0) + 1;
      const manifest: Manifest<T> = {
        format: FORMAT,
        version: VERSION,
        generation,
        savedAt: new Date().toISOString(),
        objects: Object.fromEntries([...objects].map(([n, d]) => [n, sha256(d)])),
        state,
      };
      const tmp = join(this.dir, `.${MANIFEST}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      const fd = await open(tmp, 'wx', 0o600);
      try {
        await fd.writeFile(JSON.stringify(manifest, null, 1) + '\n');
        await fd.sync();
      } finally {
        await fd.close();
      }
      this.hooks.onStep?.('manifest-written', tmp);
      await rename(tmp, join(this.dir, MANIFEST));
      this.hooks.onStep?.('manifest-renamed', MANIFEST);
      await fsyncPath(this.dir);
      this.hooks.onStep?.('committed', String(generation));
      await this.collectGarbage(new Set(objects.keys()));
      return generation;
    } finally {
      await this.unlock();
    }
  }

  /** Removes objects no manifest references and temp files left by interrupted commits (only under the lock). */
  private async collectGarbage(keep: ReadonlySet<string>): Promise<void> {
    const objDir = join(this.dir, OBJECTS);
    for (const name of await readdir(objDir)) {
      if (keep.has(name)) continue;
      await unlink(join(objDir, name)).catch(() => undefined);
      this.onDisk.delete(name);
    }
    for (const name of await readdir(this.dir)) {
      if (name.startsWith(`.${MANIFEST}.`) && name.endsWith('.tmp')) await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  private async lock(): Promise<void> {
    this.release = await acquirePidLock(join(this.dir, LOCK), {
      timeoutMs: this.lockTimeoutMs,
      busy: (holder) => new PkiError('E_LOCKED', `${this.dir} is locked by process ${holder} (another trustline is changing the cluster)`),
    });
  }

  private async unlock(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }

}
