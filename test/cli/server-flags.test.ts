// `trustline cluster start` through the installed entry point (bin/trustline.js → dist/) runs in a child node with the
// server V8 flags, passes SIGTERM on, and exits 0 with the cluster stopped; other commands run in the same process.
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasServerFlags, runsServer, SERVER_NODE_FLAGS } from '../../common/node-flags.js';
import { projectRoot } from '../../common/paths.js';

describe('server node flags', function () {
  this.timeout(60_000);

  it('only cluster start is a server, whatever global options come first', () => {
    expect(runsServer(['cluster', 'start', '--ports', '0'])).to.equal(true);
    expect(runsServer(['-v', 'cluster', 'start'])).to.equal(true);
    expect(runsServer(['cluster', 'show'])).to.equal(false);
    expect(runsServer(['run', 'cluster'])).to.equal(false);
    expect(hasServerFlags([...SERVER_NODE_FLAGS, '--import', 'tsx'])).to.equal(true);
    expect(hasServerFlags([])).to.equal(SERVER_NODE_FLAGS.length === 0);
  });

  it('bin/trustline.js cluster start: the cluster runs in a child with the flags; SIGTERM stops both, exit 0', async function () {
    const root = projectRoot();
    if (!existsSync(join(root, 'dist', 'common', 'node-flags.js'))) this.skip(); // dist/ is built by npm install (prepare)
    const dir = mkdtempSync(join(tmpdir(), 'trustline-server-flags-'));
    try {
      const parent = spawn(process.execPath, [join(root, 'bin', 'trustline.js'), 'cluster', 'start', '--state', join(dir, 's'), '--ports', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((r) => parent.on('exit', (code) => r(code)));
      const kill = setTimeout(() => parent.kill('SIGKILL'), 45_000);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        parent.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve();
        });
        parent.on('exit', (c) => reject(new Error(`exited ${c} before printing the endpoints`)));
      });
      const children = execFileSync('ps', ['-o', 'args=', '--ppid', String(parent.pid)], { encoding: 'utf8' });
      for (const f of SERVER_NODE_FLAGS) expect(children).to.contain(f);
      parent.kill('SIGTERM');
      expect(await exited).to.equal(0);
      clearTimeout(kill);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
