// Shared fixtures of the pki tests. RSA key generation is the slow part, so one cluster is created per test process
// (mocha runs every test/pki file in one process) and each test that changes state works on a copy of its directory.
import { execFile } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClusterPki, type ClusterPkiCreateOptions } from '../../engine/pki/cluster-pki.js';
import { makeTempDir } from '../support/temp-dirs.js';

export const run = promisify(execFile);

export function tempDir(prefix = 'pki'): string {
  return makeTempDir(prefix);
}

/** P-256 for the ECDSA purposes where the rule under test allows it (RSA stays 2048: generation time is RSA's). */
export const FAST: ClusterPkiCreateOptions['parameters'] = { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } };

const templates = new Map<string, Promise<string>>();

/** The directory of a cluster created once per process for `key` (don't modify it: copy it with freshCluster). */
export function templateDir(key = 'default', options: ClusterPkiCreateOptions = {}): Promise<string> {
  let t = templates.get(key);
  if (!t) {
    t = (async () => {
      const dir = join(tempDir(`template-${key}`), 'state');
      await ClusterPki.create(dir, options);
      return dir;
    })();
    templates.set(key, t);
  }
  return t;
}

/** A private copy of a template cluster, opened. */
export async function freshCluster(key = 'default', options: ClusterPkiCreateOptions = {}, openOptions: Parameters<typeof ClusterPki.open>[1] = {}): Promise<ClusterPki> {
  const src = await templateDir(key, options);
  const dir = join(tempDir(`copy-${key}`), 'state');
  cpSync(src, dir, { recursive: true });
  return ClusterPki.open(dir, openOptions);
}

/** Runs openssl with arguments; resolves to stdout. */
export async function openssl(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run('openssl', args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  return stdout;
}
