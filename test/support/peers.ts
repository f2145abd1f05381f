// Real peers (Debian packages) used by interop tests. In CI they must exist (.ci/run installs them): a missing one
// fails the test. On a developer machine without them the test is skipped with a note saying what to install.
import { execFileSync } from 'node:child_process';
import type { Context } from 'mocha';

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Call at the top of a test or hook: skips (locally) or fails (CI=true) when `cmd` is not installed. */
export function requirePeer(ctx: Context, cmd: string, debianPackage: string): void {
  if (hasCommand(cmd)) return;
  if (process.env.CI) throw new Error(`${cmd} is missing: .ci/run must install the Debian package ${debianPackage}`);
  ctx.skip();
}
