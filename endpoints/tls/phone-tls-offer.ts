// The phone as a TLS client: what a model offers (versions, suites in its order, its client certificate) given the
// cluster's parameters (<disableTLSCiphers>, <tls12Only>, the device security mode), and how it falls back when the
// handshake fails. Used for HTTPS 6971 now and for SIP TLS, TVS and CAPF connections. Each connection records the
// attempts, the negotiated version and suite, and the server certificate, for the trust store and for reports.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import { findSuite, isSuiteAvailable, TLS_VERSIONS, type TlsSuite, type TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import { DISABLE_TLS_CIPHER_CODES } from '../../engine/tftp/cnf-xml.js';
import type { ModelProfile } from '../models/model-profiles.js';

export type TlsOfferPurpose = 'https-config' | 'tvs' | 'capf' | 'sip';

/** The certificate the phone presents (its LSC, else its MIC) and the key that goes with it. */
export interface ClientCredential {
  certificate: Buffer;
  privateKey: KeyObject;
  /** Issuer chain sent after the leaf (PEM). */
  chainPems?: string[];
  /** For records: 'LSC' or 'MIC'. */
  label?: string;
}

export interface PhoneTlsOfferParams {
  model: ModelProfile;
  purpose: TlsOfferPurpose;
  /** SIP: the device security mode the configuration gives (Authenticated offers NULL-SHA, 001 L5750). */
  mode?: 'authenticated' | 'encrypted';
  /** `<disableTLSCiphers>` codes of the configuration (anchors §3). */
  disableTlsCiphers?: readonly number[];
  /** `<tls12Only>` of the configuration. */
  tls12Only?: boolean;
  clientCertificate?: ClientCredential;
  /** SNI (host names only; phones connect by address). */
  servername?: string;
}

export interface TlsOfferAttempt {
  label: string;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  suites: TlsSuite[];
  /** OpenSSL cipher string, with @SECLEVEL=0 when TLS < 1.2 or NULL suites are offered (docs/decisions.md, TLS). */
  ciphers: string;
  options: ConnectionOptions;
  /** 'LSC' / 'MIC' when a client certificate goes with the offer (sent if the server asks for one). */
  clientCertificate?: string;
}

export interface TlsOffer {
  attempts: TlsOfferAttempt[];
  /** Suites of the model left out, and why. */
  dropped: { suite: string; reason: string }[];
  description: string;
}

const versionIndex = (v: TlsVersionName) => TLS_VERSIONS.indexOf(v);

/** The model's offer for one purpose, as the ordered list of handshakes it will try. */
export function phoneTlsOffer(p: PhoneTlsOfferParams): TlsOffer {
  const m = p.model;
  const names = p.purpose === 'sip' && p.mode === 'authenticated' ? m.tls.authenticatedSuites : m.tls.suites;
  const disabled = new Set((p.disableTlsCiphers ?? []).map((c) => DISABLE_TLS_CIPHER_CODES[c]).filter((x): x is string => !!x));
  const dropped: TlsOffer['dropped'] = [];
  const suites: TlsSuite[] = [];
  for (const name of names) {
    const s = findSuite(name);
    if (!s) dropped.push({ suite: name, reason: 'not in the suite catalogue' });
    else if (disabled.has(s.iana)) dropped.push({ suite: s.iana, reason: 'disabled by the configuration (<disableTLSCiphers>)' });
    else if (s.authentication === 'ECDSA' && !m.tls.serverKeyTypes.includes('EC')) dropped.push({ suite: s.iana, reason: 'the model cannot verify EC server certificates' });
    else if (!isSuiteAvailable(s)) dropped.push({ suite: s.iana, reason: "node's OpenSSL cannot negotiate it" });
    else if (p.purpose === 'https-config' && s.authentication !== 'ECDSA') {
      // Config download over 6971 uses the "advanced" EC suites, so the server answers with CallManager-ECDSA
      // (anchors §3: the 6971 certificate must be EC; 004:L246) [inferred: only EC suites are offered there].
      dropped.push({ suite: s.iana, reason: 'HTTPS 6971 configuration download offers ECDSA suites only' });
    } else suites.push(s);
  }
  let versions = [...m.tls.versions].filter((v) => v !== 'TLSv1.3').sort((a, b) => versionIndex(a) - versionIndex(b));
  if (p.tls12Only) versions = versions.filter((v) => v === 'TLSv1.2');
  const ranges: { label: string; versions: TlsVersionName[] }[] = [];
  if (versions.length) {
    if (m.tls.fallback === 'lower-versions' && versions.length > 1) {
      ranges.push({ label: versions.at(-1)!, versions: [versions.at(-1)!] }, { label: `fallback ${versions.slice(0, -1).join('/')}`, versions: versions.slice(0, -1) });
    } else ranges.push({ label: versions.join('/'), versions });
  }
  const attempts: TlsOfferAttempt[] = [];
  for (const r of ranges) {
    const offer = suites.filter((s) => s.versions.some((v) => r.versions.includes(v)));
    if (!offer.length) continue;
    const minVersion = r.versions[0]!;
    const maxVersion = r.versions.at(-1)!;
    const legacy = versionIndex(minVersion) < versionIndex('TLSv1.2') || offer.some((s) => s.nullCipher);
    const ciphers = offer.map((s) => s.openssl).join(':') + (legacy ? ':@SECLEVEL=0' : '');
    const options: ConnectionOptions = { minVersion, maxVersion, ciphers, rejectUnauthorized: false };
    if (p.servername && !isIP(p.servername)) options.servername = p.servername;
    const cred = p.clientCertificate;
    if (cred) {
      options.key = cred.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      options.cert = new X509Certificate(cred.certificate).toString() + (cred.chainPems ?? []).join('');
    }
    attempts.push({ label: r.label, minVersion, maxVersion, suites: offer, ciphers, options, ...(cred ? { clientCertificate: cred.label ?? 'given' } : {}) });
  }
  const what = `${m.id} ${p.purpose}${p.mode ? ` (${p.mode})` : ''}`;
  const description = attempts.length
    ? `${what}: ${attempts.map((a) => `${a.label} [${a.suites.map((s) => s.openssl).join(', ')}]`).join(' then ')}${p.clientCertificate ? `, client certificate ${p.clientCertificate.label ?? 'given'}` : ''}`
    : `${what}: nothing to offer (${versions.length ? 'no suite left' : 'no TLS version left'})`;
  return { attempts, dropped, description };
}

export interface ServerCertificateRecord {
  der: Buffer;
  keyType: string;
  subject: string;
  fingerprint256: string;
}

export interface TlsHandshakeRecord {
  attempt: string;
  outcome: 'connected' | 'failed';
  reason?: string;
  protocol?: string;
  /** IANA name of the negotiated suite. */
  suite?: string;
  openssl?: string;
  serverCertificate?: ServerCertificateRecord;
  /** The client certificate that went with the offer (sent when the server asked for one). */
  clientCertificate?: string;
}

export interface TlsConnectResult {
  /** The open connection, when a handshake succeeded and the server was trusted. */
  socket?: TLSSocket;
  attempts: TlsHandshakeRecord[];
  /** The handshake that succeeded (even if its server was then not trusted). */
  connected?: TlsHandshakeRecord;
  /** Set when no usable connection resulted. */
  failure?: { kind: 'network' | 'handshake' | 'untrusted-server' | 'no-offer'; reason: string };
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** TCP connect + handshake, per attempt; default 5000 ms. */
  timeoutMs?: number;
  /** Decides on the server certificate (the trust store): true, or why not. */
  verifyServer?: (cert: ServerCertificateRecord) => Promise<true | string> | true | string;
  /** Sees each attempt's socket as soon as it exists (e.g. for its 'keylog' events). */
  onSocket?: (socket: TLSSocket, attempt: TlsOfferAttempt) => void;
}

function serverRecord(socket: TLSSocket): ServerCertificateRecord | undefined {
  const c = socket.getPeerX509Certificate();
  if (!c) return undefined;
  return { der: Buffer.from(c.raw), keyType: c.publicKey.asymmetricKeyType ?? 'unknown', subject: c.subject.split('\n').join(', '), fingerprint256: c.fingerprint256 };
}

function once(host: string, port: number, a: TlsOfferAttempt, timeoutMs: number, onSocket?: ConnectOptions['onSocket']): Promise<{ socket?: TLSSocket; record: TlsHandshakeRecord; tcpFailed?: boolean }> {
  return new Promise((resolve) => {
    let tcp = false;
    let settled = false;
    const socket = tls.connect({ host, port, ...a.options });
    onSocket?.(socket, a);
    const timer = setTimeout(() => done(`no TLS session within ${timeoutMs} ms`), timeoutMs);
    const done = (reason?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (reason) {
        socket.destroy();
        resolve({ record: { attempt: a.label, outcome: 'failed', reason }, tcpFailed: !tcp });
        return;
      }
      const cipher = socket.getCipher();
      const record: TlsHandshakeRecord = { attempt: a.label, outcome: 'connected', protocol: socket.getProtocol() ?? '?', suite: cipher?.standardName ?? cipher?.name, openssl: cipher?.name };
      const server = serverRecord(socket);
      if (server) record.serverCertificate = server;
      if (a.clientCertificate) record.clientCertificate = a.clientCertificate;
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve({ socket, record });
    };
    socket.once('connect', () => (tcp = true));
    socket.once('secureConnect', () => done());
    socket.once('error', (e: NodeJS.ErrnoException) => done(`${e.code ? `${e.code}: ` : ''}${e.message.split('\n')[0]}`));
    socket.once('close', () => done(tcp ? 'the server closed the connection during the handshake' : 'connection closed'));
  });
}

/** Connects with the offer's attempts in order: a TLS failure moves to the next attempt, a TCP failure ends it. */
export async function connectWithOffer(offer: TlsOffer, o: ConnectOptions): Promise<TlsConnectResult> {
  const attempts: TlsHandshakeRecord[] = [];
  if (!offer.attempts.length) return { attempts, failure: { kind: 'no-offer', reason: offer.description } };
  for (const a of offer.attempts) {
    const r = await once(o.host, o.port, a, o.timeoutMs ?? 5000, o.onSocket);
    attempts.push(r.record);
    if (!r.socket) {
      if (r.tcpFailed) return { attempts, failure: { kind: 'network', reason: `${o.host}:${o.port}: ${r.record.reason}` } };
      continue;
    }
    const verdict = o.verifyServer && r.record.serverCertificate ? await o.verifyServer(r.record.serverCertificate) : o.verifyServer ? 'the server sent no certificate' : true;
    if (verdict !== true) {
      r.socket.destroy();
      r.record.reason = `server not trusted: ${verdict}`;
      return { attempts, connected: r.record, failure: { kind: 'untrusted-server', reason: verdict } };
    }
    return { socket: r.socket, attempts, connected: r.record };
  }
  return { attempts, failure: { kind: 'handshake', reason: attempts.map((x) => `${x.attempt}: ${x.reason}`).join('; ') } };
}
