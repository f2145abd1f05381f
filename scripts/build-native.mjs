#!/usr/bin/env node
// Builds the native SRTP core (binding.gyp -> build/Release/trustline_srtp.node) with node-gyp. This is the package's
// `install` script: it must never fail `npm install`. Without the core trustline runs on the TypeScript SRTP backend,
// so a failed build only prints why. `npm run build:native` passes --verbose --strict (compiler output, exit 1 on failure).
// TRUSTLINE_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');
const strict = process.argv.includes('--strict');
const addon = join(root, 'build', 'Release', 'trustline_srtp.node');
const FALLBACK = 'trustline will use the TypeScript SRTP backend';

function done(ok, msg) {
  process.stdout.write(`trustline: ${msg}\n`);
  process.exit(ok || !strict ? 0 : 1);
}

/** node-gyp as npm ships it (npm sets npm_config_node_gyp for lifecycle scripts), else next to this node, else PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ];
  for (const c of candidates) if (c && existsSync(c)) return [process.execPath, c];
  const which = spawnSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return [which.stdout.trim()];
  return null;
}

function lastLines(text, n) {
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('gyp info'));
  const errs = lines.filter((l) => /error|not found|No such file/i.test(l));
  return (errs.length ? errs : lines).slice(-n).join(' | ').slice(0, 600);
}

if (process.env.TRUSTLINE_SKIP_NATIVE === '1') done(true, `native SRTP core skipped (TRUSTLINE_SKIP_NATIVE=1); ${FALLBACK}`);

const gyp = nodeGyp();
if (!gyp) done(false, `native SRTP core not built: node-gyp not found; ${FALLBACK}`);

const args = ['rebuild', '--release'];
// Debian's nodejs ships the headers (node_api.h and OpenSSL's) under /usr/include/node; point node-gyp there rather
// than letting it download a header tarball.
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
if (verbose) args.push('--loglevel=warn');

const t0 = Date.now();
const r = spawnSync(gyp[0], [...gyp.slice(1), ...args], {
  cwd: root,
  encoding: 'utf8',
  stdio: verbose ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
  timeout: 5 * 60 * 1000,
  env: { ...process.env, JOBS: process.env.JOBS ?? '2' },
});
if (r.error || r.status !== 0 || !existsSync(addon)) {
  const why = r.error ? r.error.message : verbose ? `node-gyp exited with ${r.status}` : lastLines(`${r.stdout ?? ''}\n${r.stderr ?? ''}`, 3);
  done(false, `native SRTP core not built (${why}); ${FALLBACK}`);
}

// The addon resolves OpenSSL from the node binary at load time: check it loads here rather than at first use.
try {
  const info = createRequire(import.meta.url)(addon).info();
  done(true, `native SRTP core built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${info.openssl}, GCM via ${info.gcm}): build/Release/trustline_srtp.node`);
} catch (err) {
  done(false, `native SRTP core built but does not load (${String(err.message).split('\n')[0]}); ${FALLBACK}`);
}
