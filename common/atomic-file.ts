// Files that must survive a kill at any moment (cluster keys, a CA, reports): written to a temporary file in the same
// directory, fsynced, renamed over the target, then the directory fsynced so the rename itself is durable. A reader
// sees the old file or the new one, never a part.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o644; keys want 0o600). */
  mode?: number;
  /** Create the directory when missing (default true). */
  mkdir?: boolean;
  /** fsync the directory after the rename (default true; a caller writing many files syncs it once at the end). */
  syncDirectory?: boolean;
}

/** Writes `data` to `path` atomically (see above). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, o: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  if (o.mkdir !== false) await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = await open(tmp, 'wx', o.mode ?? 0o644);
  try {
    await fd.writeFile(data);
    await fd.sync();
  } catch (e) {
    await fd.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fd.close();
  await rename(tmp, path);
  if (o.syncDirectory !== false) await syncDirectory(dir);
}

/** fsync of a directory (makes a rename in it durable); a no-op where directories cannot be opened (Windows). */
export async function syncDirectory(dir: string): Promise<void> {
  let d;
  try {
    d = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await d.sync().catch(() => undefined);
  } finally {
    await d.close();
  }
}
