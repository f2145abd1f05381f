// One question to the server: connect, send a crafted ClientHello, read its first flight (decrypting TLS 1.3 with our
// own key share), close. Always settles within the timeout with a verdict, whatever the server does.
import net from 'node:net';
import { TLS_VERSIONS, type TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import { ServerFlightReader, type ServerFlight } from './server-flight.js';
import { DEFAULT_GROUPS, DEFAULT_SIGALGS, TlsWireError, buildClientHello, formatVersion, type ClientHelloSpec } from './tls-wire.js';
import { KEY_SHARE_GROUPS, generateKeyShare, hashForSuite, serverHandshakeTrafficSecret, transcriptHash, type KeyShare } from './tls13-keys.js';
import { groupName } from '../engine/tls/client-hello.js';

export interface Target {
  host: string;
  port: number;
  /** SNI; undefined for IP literals. */
  serverName?: string;
}

export interface HelloOffer {
  /** Versions offered; a TLS 1.3 offer uses supported_versions, older ones legacy_version = the highest. */
  versions: readonly TlsVersionName[];
  suites: readonly number[];
  groups?: readonly number[];
  sigalgs?: readonly number[];
  fallbackScsv?: boolean;
}

export type RawOutcome = 'server-hello' | 'alert' | 'closed' | 'timeout' | 'garbage' | 'unreachable';

export interface RawProbeResult {
  outcome: RawOutcome;
  flight: ServerFlight;
  /** For 'server-hello': the flight stopped early because the server closed or went silent. */
  interrupted?: 'closed' | 'timeout';
  /** One line for reports. */
  detail: string;
  ms: number;
}

export interface RawProbeOptions {
  timeoutMs: number;
  /** Stop reading at the ServerHello (enough to learn the version and suite chosen); default: the whole flight. */
  stopAt?: 'server-hello' | 'flight';
}

function specFor(offer: HelloOffer, target: Target): { spec: ClientHelloSpec; shares: KeyShare[] } {
  const versions = TLS_VERSIONS.filter((v) => offer.versions.includes(v));
  if (versions.length === 0) throw new RangeError('offer lists no TLS version');
  const groups = offer.groups ?? DEFAULT_GROUPS;
  const sigalgs = offer.sigalgs ?? DEFAULT_SIGALGS;
  const base = { suites: offer.suites, groups, sigalgs, ...(target.serverName ? { serverName: target.serverName } : {}), ...(offer.fallbackScsv ? { fallbackScsv: true } : {}) };
  if (!versions.includes('TLSv1.3')) return { spec: { ...base, version: versions[versions.length - 1]! }, shares: [] };
  const shares = groups.filter((g) => KEY_SHARE_GROUPS.includes(g)).map(generateKeyShare);
  return {
    spec: { ...base, version: 'TLSv1.3', supportedVersions: [...versions].reverse(), keyShares: shares.map((s) => ({ group: s.group, key: s.publicKey })) },
    shares,
  };
}

export function describeFlight(f: ServerFlight): string {
  const sh = f.serverHello;
  if (!sh) return 'no ServerHello';
  if (sh.helloRetryRequest) return `HelloRetryRequest for ${sh.keyShare ? groupName(sh.keyShare.group) : 'another group'}`;
  return `ServerHello ${formatVersion(sh.versionCode)} 0x${sh.suite.toString(16).padStart(4, '0')}` + (f.messages.length > 1 ? ` (${f.messages.slice(1).join(', ')})` : '');
}

/** Sends one ClientHello and reads the answer. Never rejects. */
export function rawProbe(target: Target, offer: HelloOffer, opts: RawProbeOptions): Promise<RawProbeResult> {
  const started = Date.now();
  let spec: ClientHelloSpec;
  let shares: KeyShare[];
  let hello: ReturnType<typeof buildClientHello>;
  try {
    ({ spec, shares } = specFor(offer, target));
    hello = buildClientHello(spec);
  } catch (e) {
    return Promise.resolve({ outcome: 'unreachable', flight: { complete: false, messages: [], bytes: 0 }, detail: `cannot build the ClientHello: ${(e as Error).message}`, ms: 0 });
  }
  const reader = new ServerFlightReader({
    tls13Secret: (sh, shRaw) => {
      const share = shares.find((s) => s.group === sh.keyShare?.group);
      if (!share || !sh.keyShare?.key) return undefined;
      const hash = hashForSuite(sh.suite);
      return serverHandshakeTrafficSecret(hash, share.derive(sh.keyShare.key), transcriptHash(hash, hello.handshake, shRaw));
    },
  });
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const socket = net.connect({ host: target.host, port: target.port });
    const finish = (outcome: RawOutcome, detail: string, interrupted?: 'closed' | 'timeout') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
      resolve({ outcome, flight: reader.flight, ...(interrupted ? { interrupted } : {}), detail, ms: Date.now() - started });
    };
    const settleOnEnd = (how: 'closed' | 'timeout', why: string) => {
      const f = reader.flight;
      if (f.serverHello) finish('server-hello', `${describeFlight(f)}; then ${why}`, how);
      else if (how === 'timeout') finish('timeout', connected ? (f.bytes ? `${why} mid-handshake after ${f.bytes} byte(s)` : `no reply to the ClientHello: ${why}`) : `TCP connect: ${why}`);
      else finish('closed', f.bytes ? `connection ${why} mid-handshake after ${f.bytes} byte(s), no complete ServerHello` : `connection ${why} without a reply to the ClientHello`);
    };
    const timer = setTimeout(() => settleOnEnd('timeout', `timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      connected = true;
      socket.write(hello.record);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        if (e instanceof TlsWireError) return finish('garbage', `not TLS: ${e.message}`);
        return finish('garbage', `unreadable reply: ${(e as Error).message}`);
      }
      const f = reader.flight;
      if (f.alert && !f.serverHello) return finish('alert', `alert ${f.alert.name} (${f.alert.fatal ? 'fatal' : 'warning'})`);
      if (reader.done || f.complete || (opts.stopAt === 'server-hello' && f.serverHello))
        return finish('server-hello', describeFlight(f) + (f.alert ? `; then alert ${f.alert.name}` : ''));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected) return finish('unreachable', `TCP connect to ${target.host}:${target.port}: ${e.code ?? e.message}`);
      settleOnEnd('closed', e.code === 'ECONNRESET' ? 'reset' : `failed (${e.code ?? e.message})`);
    });
    socket.on('close', () => settleOnEnd('closed', 'closed'));
  });
}
