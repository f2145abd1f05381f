// Shared fixtures of the tvs tests: clusters created once per process (RSA generation is the cost) and copied per test,
// raw TLS exchanges for fuzzing, and a port nobody listens on.
import { cpSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { setLogSink, getLogLevel, setLogLevel, type LogLevel } from '../../common/log.js';
import { ClusterPki, type ClusterPkiCreateOptions } from '../../engine/pki/index.js';
import { tvsTlsProfile } from '../../engine/tvs/index.js';
import { makeTempDir } from '../support/temp-dirs.js';

export function tempDir(prefix = 'tvs'): string {
  return makeTempDir(prefix);
}

const FAST: ClusterPkiCreateOptions['parameters'] = { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } };
const templates = new Map<string, Promise<string>>();

/** A private, opened copy of the cluster whose publisher is `hostname` (created once per process). */
export async function cluster(hostname: string, domain = `${hostname}.trustline.test`): Promise<ClusterPki> {
  let t = templates.get(hostname);
  if (!t) {
    t = (async () => {
      const dir = join(tempDir(`template-${hostname}`), 'state');
      await ClusterPki.create(dir, { hostname, domain, parameters: FAST });
      return dir;
    })();
    templates.set(hostname, t);
  }
  const dir = join(tempDir(`copy-${hostname}`), 'state');
  cpSync(await t, dir, { recursive: true });
  return ClusterPki.open(dir);
}

/** Runs `fn` with log lines captured (returned) instead of written to stderr. */
export async function captureLogs<T>(fn: () => Promise<T>, level: LogLevel = 'info'): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const before = getLogLevel();
  setLogLevel(level);
  setLogSink((l) => lines.push(l));
  try {
    return { result: await fn(), lines };
  } finally {
    setLogLevel(before);
    setLogSink((l) => process.stderr.write(l + '\n'));
  }
}

/** A TCP port that refuses connections (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A TCP server that accepts and never says anything (a hung TVS). */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((c) => {
    sockets.add(c);
    c.on('error', () => undefined);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    port: (s.address() as net.AddressInfo).port,
    close: async () => {
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

export interface RawOutcome {
  /** Bytes the server sent back before closing (or before `until` said enough). */
  data: Buffer;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Opens TLS to the TVS port, writes `bytes` (in the given chunks, then half-closes if `end`), and collects the reply
 * until the server closes or `until(data)` is satisfied. Rejects if neither happens within `limitMs` (a hang).
 */
export function rawExchange(port: number, chunks: readonly Buffer[], until: (data: Buffer) => boolean, opts: { end?: boolean; limitMs?: number } = {}): Promise<RawOutcome> {
  const limitMs = opts.limitMs ?? 5000;
  const p = tvsTlsProfile();
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ciphers: p.ciphers, minVersion: p.minVersion, maxVersion: p.maxVersion });
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no reply and no close within ${limitMs} ms`));
    }, limitMs);
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, closed });
    };
    socket.on('secureConnect', () => {
      for (const c of chunks) socket.write(c);
      if (opts.end) socket.end(); // half-close: the server still answers what it got, then closes
    });
    socket.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      if (until(data)) done(false);
    });
    socket.on('error', () => done(true));
    socket.on('close', () => done(true));
  });
}
