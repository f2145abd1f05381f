#!/usr/bin/env node
// Entry point of the `trustline` command: runs the compiled CLI (built by `npm install` / `npm run build`).
// `trustline cluster start` is a long-lived server: it runs in a child node started with the server V8 flags
// (common/node-flags.ts), which must be given when a process starts; signals are passed on and its exit code kept.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const main = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`trustline: ${main} is missing; run "npm run build" in ${root} first\n`);
  process.exit(2);
}
const args = process.argv.slice(2);
const flags = await import(pathToFileURL(join(root, 'dist', 'common', 'node-flags.js')).href);
if (flags.runsServer(args) && !flags.hasServerFlags(process.execArgv)) {
  const child = spawn(process.execPath, [...process.execArgv, ...flags.SERVER_NODE_FLAGS, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal itself; SIGTERM (a supervisor) is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGTERM' ? 15 : 2) : 1)));
} else {
  const { runCli } = await import(pathToFileURL(main).href);
  process.exitCode = await runCli(process.argv);
}
