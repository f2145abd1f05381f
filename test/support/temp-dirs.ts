// Temporary directories of a test process, removed when it exits (one exit hook for all of them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];
let hooked = false;

/** A new directory `trustline-<prefix>-XXXXXX` in the system temp directory, removed at process exit. */
export function makeTempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `trustline-${prefix}-`));
  dirs.push(d);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const x of dirs) rmSync(x, { recursive: true, force: true });
    });
  }
  return d;
}
