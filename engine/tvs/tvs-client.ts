// The phone side of TVS: ask the TVS members of the phone's configuration, in priority order, whether a certificate is
// trusted. A member that does not respond sends the phone to the next one (Cisco's Serviceability description of the
// service); a member that answers, valid or invalid, ends the search. One request per connection, as tvsc.
import { randomInt, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { logger } from '../../common/log.js';
import type { TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import type { ParsedRecord } from '../trust/records.js';
import { Role } from '../trust/tags.js';
import { decodeResponse, encodeRequest, TVS_HEADER_LENGTH, TvsFramer, TvsProtocolError, type TvsRequestKind, type TvsResponse } from './tvs-codec.js';
import { TVS_PORT, tvsTlsProfile } from './tvs-tls.js';

const log = logger('tvs-client');

export interface TvsMember {
  host: string;
  /** Default 2445. */
  port?: number;
  /** Name in verdicts and logs (default host:port). */
  label?: string;
  /** SNI name; none by default (phones connect by address). */
  servername?: string;
}

export interface TvsClientTlsParams {
  /** Default TLSv1 (what the 2445 row of Table 21 allows at minimum 1.0); a 7900-series phone is TLSv1..TLSv1. */
  minVersion?: TlsVersionName;
  maxVersion?: TlsVersionName;
  /** OpenSSL cipher string; default the port's list (seed 001 L2273) at security level 0. */
  ciphers?: string;
}

/** Decides on the TVS server's certificate: true, or the reason it is not trusted. */
export type TvsServerCheck = (cert: X509Certificate, member: TvsMember) => true | string | Promise<true | string>;

export interface TvsClientOptions {
  /** The TVS members, highest priority first. */
  members: readonly TvsMember[];
  /** This phone's "CP-<model>-SEP<MAC>". */
  deviceName: string;
  /** TCP connect and TLS handshake (default 5000 ms). */
  connectTimeoutMs?: number;
  /** From the request written to the answer read (default 5000 ms). */
  responseTimeoutMs?: number;
  tls?: TvsClientTlsParams;
  /** Checks the server certificate (e.g. itlServerCheck with the phone's ITL); none means not checked. */
  verifyServer?: TvsServerCheck;
  /** Largest answer accepted, header included (default 4096). */
  maxResponseBytes?: number;
}

export type TvsAttemptOutcome = 'answered' | 'refused' | 'timeout' | 'network-error' | 'tls-error' | 'untrusted-server' | 'protocol-error' | 'closed';

export interface TvsAttempt {
  member: string;
  outcome: TvsAttemptOutcome;
  reason?: string;
  tls?: { protocol: string; cipher: string };
}

interface VerdictBase {
  /** Every member tried, in order. */
  attempts: TvsAttempt[];
}

export type TvsVerdict =
  | (VerdictBase & { status: 'valid'; member: string; sessionId: number; roles: number[]; roleNames: string[]; ttlSeconds?: number })
  | (VerdictBase & { status: 'invalid'; member: string; sessionId: number })
  | (VerdictBase & { status: 'unreachable'; reason: string });

function memberLabel(m: TvsMember): string {
  return m.label ?? `${m.host}:${m.port ?? TVS_PORT}`;
}

function classify(e: NodeJS.ErrnoException, secure: boolean): TvsAttemptOutcome {
  const code = e.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS/.test(e.message)) return 'tls-error';
  if (code === 'ECONNRESET' && secure) return 'closed';
  return 'network-error';
}

function positive(v: number | undefined, dflt: number, what: string): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} ${n} must be a positive integer`);
  return n;
}

export class TvsClient {
  readonly #o: TvsClientOptions;
  readonly #tls: { ciphers: string; minVersion: TlsVersionName; maxVersion: TlsVersionName };
  readonly #connectMs: number;
  readonly #responseMs: number;
  readonly #maxBody: number;

  constructor(o: TvsClientOptions) {
    this.#o = o;
    const profile = tvsTlsProfile();
    this.#tls = { ciphers: o.tls?.ciphers ?? profile.ciphers, minVersion: o.tls?.minVersion ?? profile.minVersion, maxVersion: o.tls?.maxVersion ?? profile.maxVersion };
    this.#connectMs = positive(o.connectTimeoutMs, 5000, 'connectTimeoutMs');
    this.#responseMs = positive(o.responseTimeoutMs, 5000, 'responseTimeoutMs');
    this.#maxBody = positive(o.maxResponseBytes, 4096, 'maxResponseBytes') - TVS_HEADER_LENGTH;
    if (this.#maxBody < 1) throw new RangeError(`maxResponseBytes must exceed the ${TVS_HEADER_LENGTH}-byte header`);
    // Fail now on a name the codec cannot carry.
    encodeRequest({ sessionId: 0, deviceName: o.deviceName, certificate: Buffer.from([0x30, 0]) });
  }

  /** Asks the members in order about `certificate` (PEM, DER or X509Certificate). Never throws for network trouble. */
  async verify(certificate: Uint8Array | string | X509Certificate, opts: { kind?: TvsRequestKind } = {}): Promise<TvsVerdict> {
    const der = certificate instanceof X509Certificate ? certificate.raw : typeof certificate === 'string' ? new X509Certificate(certificate).raw : Buffer.from(certificate);
    const kind = opts.kind ?? 'verify';
    const attempts: TvsAttempt[] = [];
    if (!this.#o.members.length) return { status: 'unreachable', reason: 'no TVS member configured', attempts };
    for (const member of this.#o.members) {
      const sessionId = randomInt(1, 0xffffffff);
      const request = encodeRequest({ kind, sessionId, deviceName: this.#o.deviceName, certificate: der });
      const { attempt, response } = await this.#attempt(member, request, kind, sessionId);
      attempts.push(attempt);
      if (!response) {
        log.info(`${this.#o.deviceName}: TVS ${attempt.member} ${attempt.outcome}: ${attempt.reason}; trying the next member`);
        continue;
      }
      log.info(`${this.#o.deviceName}: TVS ${attempt.member} answered ${response.status}${response.status === 'valid' ? ` (${response.roleNames.join(',') || 'no roles'}, TTL ${response.ttlSeconds ?? '-'})` : ''}`);
      if (response.status === 'invalid') return { status: 'invalid', member: attempt.member, sessionId, attempts };
      return {
        status: 'valid',
        member: attempt.member,
        sessionId,
        roles: response.roles,
        roleNames: response.roleNames,
        ...(response.ttlSeconds !== undefined ? { ttlSeconds: response.ttlSeconds } : {}),
        attempts,
      };
    }
    return { status: 'unreachable', reason: attempts.map((a) => `${a.member}: ${a.outcome} (${a.reason})`).join('; '), attempts };
  }

  #attempt(member: TvsMember, request: Buffer, kind: TvsRequestKind, sessionId: number): Promise<{ attempt: TvsAttempt; response?: TvsResponse }> {
    const label = memberLabel(member);
    return new Promise((resolve) => {
      let done = false;
      let secure = false;
      let tlsInfo: TvsAttempt['tls'];
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: TvsAttemptOutcome, reason?: string, response?: TvsResponse) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve({ attempt: { member: label, outcome, ...(reason ? { reason } : {}), ...(tlsInfo ? { tls: tlsInfo } : {}) }, ...(response ? { response } : {}) });
      };
      const servername = member.servername ?? undefined;
      const socket = tls.connect({
        host: member.host,
        port: member.port ?? TVS_PORT,
        ...this.#tls,
        rejectUnauthorized: false, // the verdict on the server certificate is verifyServer's
        ...(servername && !isIP(servername) ? { servername } : {}),
      });
      timer = setTimeout(() => finish('timeout', `no TLS session within ${this.#connectMs} ms`), this.#connectMs);
      const framer = new TvsFramer({ maxBodyLength: this.#maxBody });
      socket.once('secureConnect', () => {
        secure = true;
        clearTimeout(timer);
        tlsInfo = { protocol: socket.getProtocol() ?? '?', cipher: socket.getCipher()?.name ?? '?' };
        void this.#checkServer(socket, member).then((problem) => {
          if (done) return;
          if (problem) return finish('untrusted-server', problem);
          timer = setTimeout(() => finish('timeout', `no answer within ${this.#responseMs} ms`), this.#responseMs);
          socket.write(request);
        });
      });
      socket.on('data', (chunk: Buffer) => {
        if (done) return;
        try {
          const [m] = framer.push(chunk);
          if (!m) return;
          const r = decodeResponse(m);
          if (r.kind !== kind) throw new TvsProtocolError('COMMAND', `a ${r.kind} response to a ${kind} request`, { field: 'header.command', offset: 2 });
          if (r.sessionId !== sessionId) throw new TvsProtocolError('SESSION', `session id ${r.sessionId}, the request's was ${sessionId}`, { field: 'header.sessionId', offset: 4 });
          finish('answered', undefined, r);
        } catch (e) {
          finish('protocol-error', (e as Error).message);
        }
      });
      socket.on('error', (e: NodeJS.ErrnoException) => finish(classify(e, secure), `${e.code ? `${e.code}: ` : ''}${e.message.split('\n')[0]}`));
      socket.on('close', () => finish('closed', secure ? 'TVS closed the connection without answering' : 'connection closed during the TLS handshake'));
    });
  }

  async #checkServer(socket: tls.TLSSocket, member: TvsMember): Promise<string | undefined> {
    const check = this.#o.verifyServer;
    if (!check) return undefined;
    const cert = socket.getPeerX509Certificate();
    if (!cert) return 'the server sent no certificate';
    try {
      const v = await check(cert, member);
      return v === true ? undefined : v;
    } catch (e) {
      return `server certificate check failed: ${(e as Error).message}`;
    }
  }
}

/** One question to the members in order (a TvsClient for one use). */
export function verifyWithTvs(o: TvsClientOptions & { certificate: Uint8Array | string | X509Certificate; kind?: TvsRequestKind }): Promise<TvsVerdict> {
  const { certificate, kind, ...rest } = o;
  return new TvsClient(rest).verify(certificate, kind ? { kind } : {});
}

/**
 * The members of a phone's configuration (`<TVS><members><member priority="n">` of SEP<MAC>.cnf.xml, engine/tftp
 * CnfTvsMember) in the order a phone tries them: lowest priority number first, ties in file order.
 */
export function tvsMembersFromConfig(members: readonly { priority: number; address: string; port?: number }[]): TvsMember[] {
  return members
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.priority - b.m.priority || a.i - b.i)
    .map(({ m }) => ({ host: m.address, port: m.port ?? TVS_PORT, label: `${m.address}:${m.port ?? TVS_PORT}` }));
}

/** The TVS records of a parsed ITL (role 21): the certificates a phone may accept from a TVS server. */
export function itlTvsRecords(records: readonly ParsedRecord[]): { certificate: Buffer; dnsName?: string; subjectName?: string }[] {
  return records
    .filter((r) => r.role === Role.TVS && r.certificate?.length)
    .map((r) => ({ certificate: r.certificate!, ...(r.dnsName ? { dnsName: r.dnsName } : {}), ...(r.subjectName ? { subjectName: r.subjectName } : {}) }));
}

/** A server check that accepts exactly the certificates of the ITL's TVS records (how a phone trusts TVS, 001 L2816). */
export function itlServerCheck(records: readonly ParsedRecord[]): TvsServerCheck {
  const allowed = itlTvsRecords(records).map((r) => r.certificate);
  return (cert) => {
    if (allowed.some((a) => a.equals(cert.raw))) return true;
    return `the TVS certificate "${cert.subject.split('\n').join(', ')}" is not in a TVS record of the ITL (${allowed.length} TVS record(s))`;
  };
}
