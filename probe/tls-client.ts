// A real handshake with node:tls, for what raw hellos cannot show: the SIP step, client certificates, and TLS 1.3
// behaviour after the server's flight. The server's bytes are tapped on the way in and read afterwards with the same
// flight reader as raw probes (TLS 1.3 records decrypted with the key log), so a CertificateRequest is seen in every
// version.
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { findSuite, isSuiteAvailable, type TlsSuite, type TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import { summarizeCertificate, type CertSummary } from './certs.js';
import type { Target } from './raw-probe.js';
import { ServerFlightReader, type ServerFlight } from './server-flight.js';
import { TlsWireError } from './tls-wire.js';

export interface TlsClientOptions {
  suites: readonly TlsSuite[];
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  /** OpenSSL groups list, e.g. "P-256:P-384". */
  ecdhCurve?: string;
  sigalgs?: string;
  /** Client certificate and key (PEM). */
  cert?: string | Buffer;
  key?: string | Buffer;
  timeoutMs: number;
}

export interface TlsClientResult {
  ok: boolean;
  /** Open connection when ok; the caller closes it. */
  socket?: tls.TLSSocket;
  protocol?: string;
  suite?: string;
  certificate?: CertSummary;
  /** What the tap read of the server's flight (CertificateRequest, alerts...). */
  flight?: ServerFlight;
  /** Why the handshake failed (alert name when there was one). */
  error?: string;
  alert?: string;
  ms: number;
}

/** node's `ciphers` string for an ordered suite list: TLS 1.3 names first, then the rest at security level 0. */
export function nodeCipherString(suites: readonly TlsSuite[]): string {
  const tls13 = suites.filter((s) => s.versions.includes('TLSv1.3')).map((s) => s.openssl);
  const legacy = suites.filter((s) => !s.versions.includes('TLSv1.3')).map((s) => s.openssl);
  if (legacy.length === 0) return tls13.join(':');
  return [...tls13, ...legacy, '@SECLEVEL=0'].join(':');
}

/** Suites of the list that node's OpenSSL cannot run (3DES, RC4...). */
export function unavailableSuites(suites: readonly TlsSuite[]): TlsSuite[] {
  return suites.filter((s) => !isSuiteAvailable(s));
}

/** Passes bytes between a TCP socket and node:tls, keeping a copy of what the server sends. */
class TapStream extends Duplex {
  readonly received: Buffer[] = [];
  receivedBytes = 0;

  constructor(
    private readonly raw: net.Socket,
    private readonly limit: number,
  ) {
    super();
    raw.on('data', (d: Buffer) => {
      if (this.receivedBytes < this.limit) {
        this.received.push(d);
        this.receivedBytes += d.length;
      }
      if (!this.push(d)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (e) => this.destroy(e));
    raw.on('close', () => {
      if (!this.destroyed) this.push(null);
    });
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.raw.destroyed) return cb(new Error('socket closed'));
    this.raw.write(chunk, (e) => cb(e ?? null));
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.raw.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }
}

/** The alert named in a node/OpenSSL error code, e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED → certificate_required. */
export function alertFromError(e: NodeJS.ErrnoException): string | undefined {
  const m = /ALERT_([A-Z0-9_]+)$/.exec(e.code ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Reads the tapped bytes: the flight, or undefined when there are none. */
export function readTappedFlight(bytes: Buffer, keylog: readonly string[]): { flight?: ServerFlight; note?: string } {
  if (bytes.length === 0) return {};
  const secrets = new Map<string, Buffer>();
  for (const line of keylog) {
    const [label, , secret] = line.trim().split(' ');
    if (label && secret) secrets.set(label, Buffer.from(secret, 'hex'));
  }
  const reader = new ServerFlightReader({ tls13Secret: () => secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET') });
  try {
    reader.push(bytes);
    return { flight: reader.flight };
  } catch (e) {
    return { flight: reader.flight, note: e instanceof TlsWireError ? e.message : String(e) };
  }
}

/** Handshakes with node:tls. Never rejects; on success the socket is open and the caller owns it. */
export function tlsConnect(target: Target, opts: TlsClientOptions): Promise<TlsClientResult> {
  const started = Date.now();
  const bad = unavailableSuites(opts.suites);
  const usable = opts.suites.filter((s) => !bad.includes(s));
  if (usable.length === 0)
    return Promise.resolve({ ok: false, error: `node's OpenSSL cannot run ${opts.suites.map((s) => s.openssl).join(', ') || 'an empty suite list'}`, ms: 0 });
  return new Promise((resolve) => {
    const raw = net.connect({ host: target.host, port: target.port });
    const tap = new TapStream(raw, 512 * 1024);
    const keylog: string[] = [];
    let settled = false;
    let socket: tls.TLSSocket;
    const finish = (r: Omit<TlsClientResult, 'ms' | 'flight'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const { flight } = readTappedFlight(Buffer.concat(tap.received), keylog);
      if (!r.ok) {
        socket?.destroy();
        raw.destroy();
      }
      resolve({ ...r, ...(flight ? { flight } : {}), ms: Date.now() - started });
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: tap.receivedBytes ? `handshake not finished within ${opts.timeoutMs} ms` : `no reply within ${opts.timeoutMs} ms` }),
      opts.timeoutMs,
    );
    raw.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, error: `TCP: ${e.code ?? e.message}` }));
    try {
      socket = tls.connect({
        socket: tap,
        ...(target.serverName ? { servername: target.serverName } : {}),
        ciphers: nodeCipherString(usable),
        minVersion: opts.minVersion,
        maxVersion: opts.maxVersion,
        ...(opts.ecdhCurve ? { ecdhCurve: opts.ecdhCurve } : {}),
        ...(opts.sigalgs ? { sigalgs: opts.sigalgs } : {}),
        ...(opts.cert && opts.key ? { cert: opts.cert, key: opts.key } : {}),
        rejectUnauthorized: false,
      });
    } catch (e) {
      finish({ ok: false, error: `node:tls refuses the options: ${(e as Error).message}` });
      return;
    }
    socket.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const alert = alertFromError(e);
      finish({ ok: false, error: alert ? `alert ${alert}` : `${e.code ?? 'error'}: ${e.message.split('\n')[0]}`, ...(alert ? { alert } : {}) });
    });
    // 'end' can overtake 'secureConnect' (and an alert's 'error') when the server closes right after its last
    // handshake flight: decide one turn later.
    const onClosed = () =>
      setImmediate(() => finish({ ok: false, error: tap.receivedBytes ? 'connection closed during the handshake' : 'connection closed without a reply' }));
    socket.once('close', onClosed);
    socket.once('end', onClosed);
    socket.once('secureConnect', () => {
      const cipher = socket.getCipher();
      const suite = findSuite(cipher.standardName) ?? findSuite(cipher.name);
      const peer = socket.getPeerX509Certificate();
      socket.off('close', onClosed);
      socket.off('end', onClosed);
      socket.removeAllListeners('error');
      socket.on('error', () => {}); // the caller attaches its own
      finish({
        ok: true,
        socket,
        protocol: socket.getProtocol() ?? undefined,
        suite: suite?.openssl ?? cipher.name,
        ...(peer ? { certificate: summarizeCertificate(Buffer.from(peer.raw)) } : {}),
      });
    });
  });
}
