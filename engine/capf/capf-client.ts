// The phone side of CAPF, for the emulated phones: connect to 3804 over TLS, wait for AUTH_REQUEST, authenticate as the
// phone's `<capfAuthMode>` says (authentication string, null string, LSC or MIC with CAPF's raw-hash signatures and an
// optional SUDI), then do what CAPF asks: generate the key (RSA size or EC curve), send its SubjectPublicKeyInfo, store
// the certificate, hand over a certificate (Troubleshoot), delete the LSC. A communication failure is retried three
// more times at 30-second intervals (001 L5209; the delay is an option so tests run fast). Returns a typed outcome.
import { createPublicKey, generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { CapfCertificateType, CapfCommand, CapfCurve, CapfKeyType, CapfProtocolError, CapfReason, commandName, reasonName, type CapfFields, type CapfMessage } from './capf-codec.js';
import { CapfConnection, CapfConnectionClosedError, CapfTimeoutError, type TranscriptEntry } from './capf-connection.js';
import { buildSignedData, buildSudiData } from './capf-signature.js';
import { CAPF_PORT } from './capf-tls.js';
import { AUTH_MODE_CODES, type CapfAuthMode, type KeyRequest } from './device-operations.js';

const generate = promisify(generateKeyPair);

/** A certificate the phone holds, with its private key. */
export interface PhoneCertificate {
  /** DER of the certificate. */
  der: Buffer;
  privateKey: KeyObject;
}

/** What the phone keeps in flash. The client updates it in place (LSC stored or deleted, Offline CA key kept). */
export interface PhoneCredentials {
  mic?: PhoneCertificate;
  lsc?: PhoneCertificate;
  /** A SUDI certificate (RSA): when present, SUDI_DATA is sent with certificate authentication. */
  sudi?: PhoneCertificate;
  /** The key generated for an Offline CA request, kept until its certificate arrives. */
  pendingKey?: KeyObject;
}

export interface CapfClientOptions {
  host: string;
  /** Default 3804. */
  port?: number;
  deviceName: string;
  /** The phone's `<capfAuthMode>`. */
  authMode: CapfAuthMode;
  /** Entered on the phone for By Authentication String. */
  authString?: string;
  credentials: PhoneCredentials;
  /** CAPF protocol version the phone speaks (default 3; below 3 there are no EC keys). */
  capfVersion?: number;
  /** Whether the phone can generate EC keys (default: capfVersion >= 3). */
  supportsEc?: boolean;
  /** CAPF certificate(s) from the phone's ITL/CTL (PEM). Without them the server is not verified (logged in the outcome). */
  trustedCertificates?: string[];
  /** TLS client settings, e.g. { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:@SECLEVEL=0' } for a 7900. */
  tls?: Pick<ConnectionOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;
  /** Retries after a communication failure (default 3) and the delay between attempts (default 30 000 ms). */
  retries?: number;
  retryDelayMs?: number;
  /** How long to wait for each server message (default 60 s) and for the TLS connection (default 10 s). */
  messageTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Key generation (default node:crypto); tests pass pre-generated keys because RSA generation is slow. */
  generateKey?: (req: KeyRequest) => Promise<KeyObject>;
  /** Holds KEY_GENERATE_RESPONSE back this long after REQUEST_IN_PROGRESS (a slow phone, to see keepalives). */
  keyGenerationDelayMs?: number;
  /** Keep the bytes of every message of every attempt. */
  recordTranscript?: boolean;
  signal?: AbortSignal;
}

export type CapfClientStatus = 'installed' | 'deleted' | 'fetched' | 'no-operation' | 'refused' | 'retry-later' | 'failed';

export interface CapfClientOutcome {
  status: CapfClientStatus;
  /** One line saying what happened. */
  detail: string;
  sessionId?: number;
  /** END_SESSION REASON, when the server sent one. */
  reason?: number;
  reasonName?: string;
  /** installed: the new LSC (also now in credentials.lsc). */
  lsc?: { der: Buffer; pem: string; privateKey: KeyObject; keyType: 'RSA' | 'EC'; keySize: number; subject: string; issuer: string };
  /** fetched: what the phone handed over. */
  fetched?: 'LSC' | 'MIC' | 'none';
  /** Which certificate authenticated the phone (certificate modes). */
  authenticatedWith?: 'LSC' | 'MIC' | 'none';
  /** retry-later: RETRY_DELAY in seconds. */
  retryDelaySeconds?: number;
  /** Connection attempts made (1 + retries used). */
  attempts: number;
  /** TLS protocol and suite of the last attempt. */
  tls?: { protocol: string; cipher: string; serverVerified: boolean };
  /** Every attempt's messages, when recordTranscript is set. */
  transcript?: TranscriptEntry[];
}

/** A communication failure worth retrying (as opposed to a server decision). */
class CommunicationFailure extends Error {}

const CURVE_SIZE: Readonly<Record<number, number>> = { [CapfCurve.SECP256R1]: 256, [CapfCurve.SECP384R1]: 384, [CapfCurve.SECP521R1]: 521 };
const CURVE_NAME: Readonly<Record<number, string>> = { 256: 'prime256v1', 384: 'secp384r1', 521: 'secp521r1' };

async function defaultGenerateKey(req: KeyRequest): Promise<KeyObject> {
  const pair = req.keyType === 'RSA' ? await generate('rsa', { modulusLength: req.keySize, publicExponent: 0x10001 }) : await generate('ec', { namedCurve: CURVE_NAME[req.keySize]! });
  return pair.privateKey;
}

function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function openTls(o: CapfClientOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const verify = (o.trustedCertificates?.length ?? 0) > 0;
    const socket = connect({
      host: o.host,
      port: o.port ?? CAPF_PORT,
      ...(verify ? { ca: o.trustedCertificates, rejectUnauthorized: true } : { rejectUnauthorized: false }),
      // Phones check the CAPF certificate against their trust list, not a host name (capfc does the same).
      checkServerIdentity: () => undefined,
      minVersion: o.tls?.minVersion ?? 'TLSv1.2',
      maxVersion: o.tls?.maxVersion ?? 'TLSv1.2',
      ...(o.tls?.ciphers ? { ciphers: o.tls.ciphers } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CommunicationFailure(`no TLS connection to ${o.host}:${o.port ?? CAPF_PORT} within ${o.connectTimeoutMs ?? 10_000} ms`));
    }, o.connectTimeoutMs ?? 10_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new CommunicationFailure(`TLS connection to ${o.host}:${o.port ?? CAPF_PORT}: ${err.message}`));
    });
  });
}

/** One connection: the whole conversation until END_SESSION or RETRY_LATER. */
async function attempt(o: CapfClientOptions, attempts: number, transcript: TranscriptEntry[] | undefined): Promise<CapfClientOutcome> {
  const socket = await openTls(o);
  const conn = new CapfConnection(socket, { role: 'client', ...(transcript ? { transcript } : {}) });
  const tlsInfo = { protocol: socket.getProtocol() ?? '?', cipher: socket.getCipher()?.standardName ?? '?', serverVerified: (o.trustedCertificates?.length ?? 0) > 0 };
  const timeout = o.messageTimeoutMs ?? 60_000;
  const creds = o.credentials;
  const version = o.capfVersion ?? 3;
  const supportsEc = o.supportsEc ?? version >= 3;
  const base = (status: CapfClientStatus, detail: string): CapfClientOutcome => ({ status, detail, ...(conn.sessionId !== undefined ? { sessionId: conn.sessionId } : {}), attempts, tls: tlsInfo, ...(transcript ? { transcript } : {}) });
  let newKey: KeyObject | undefined;
  let stored: CapfClientOutcome['lsc'];
  let deleted = false;
  let deleteAsked = false;
  let fetched: 'LSC' | 'MIC' | 'none' | undefined;
  let authenticatedWith: 'LSC' | 'MIC' | 'none' | undefined;
  const receive = async (): Promise<CapfMessage> => {
    try {
      return await conn.receive(timeout);
    } catch (err) {
      if (err instanceof CapfConnectionClosedError || err instanceof CapfTimeoutError) throw new CommunicationFailure(`CAPF session ${conn.sessionId ?? '?'}: ${err.message}`);
      throw err;
    }
  };
  try {
    return await converse();
  } catch (err) {
    // The certificate stored, the connection gone before END_SESSION: the phone keeps its LSC (no retry needed).
    if (err instanceof CommunicationFailure && stored) return { ...base('installed', `LSC "${stored.subject}" installed; the connection closed before END_SESSION`), lsc: stored, ...(authenticatedWith ? { authenticatedWith } : {}) };
    throw err;
  } finally {
    conn.close(200);
  }

  async function converse(): Promise<CapfClientOutcome> {
    const first = await receive();
    if (first.command !== CapfCommand.AUTH_REQUEST) throw new CapfProtocolError(`CAPF: the server started with ${commandName(first.command)}, not AUTH_REQUEST`);
    const f: CapfFields = { reason: CapfReason.UPDATE_CERTIFICATE, version, deviceName: o.deviceName, password: o.authMode === 'auth-string' ? (o.authString ?? '') : '' };
    if (o.authMode === 'existing-lsc' || o.authMode === 'existing-mic') {
      const pick = o.authMode === 'existing-lsc' ? (creds.lsc ? 'LSC' : creds.mic ? 'MIC' : undefined) : creds.mic ? 'MIC' : creds.lsc ? 'LSC' : undefined;
      authenticatedWith = pick ?? 'none';
      const cert = pick === 'LSC' ? creds.lsc : pick === 'MIC' ? creds.mic : undefined;
      if (cert) {
        const signed = buildSignedData(cert.privateKey, o.deviceName, cert.der);
        f.certificate = { type: pick === 'MIC' ? CapfCertificateType.MIC : CapfCertificateType.LSC, der: cert.der };
        f.signedData = signed.signedData;
        if (signed.sha2SignedData) f.sha2SignedData = signed.sha2SignedData;
        if (creds.sudi) f.sudiData = buildSudiData(creds.sudi.privateKey, creds.sudi.der, conn.sessionId!);
      }
    }
    conn.send(CapfCommand.AUTH_RESPONSE, f);
    for (;;) {
      const m = await receive();
      switch (m.command) {
        case CapfCommand.KEY_GENERATE_REQUEST: {
          const keyType = m.fields.keyType ?? CapfKeyType.RSA;
          const req: KeyRequest | undefined =
            keyType === CapfKeyType.RSA && m.fields.keySize !== undefined && [512, 1024, 2048, 3072, 4096].includes(m.fields.keySize)
              ? { keyType: 'RSA', keySize: m.fields.keySize }
              : keyType === CapfKeyType.EC && supportsEc && m.fields.curve !== undefined && CURVE_SIZE[m.fields.curve] !== undefined
                ? { keyType: 'EC', keySize: CURVE_SIZE[m.fields.curve]! }
                : undefined;
          if (!req) {
            // Cannot do it (no EC support, unknown size): KEY_GENERATE_RESPONSE without a key (capfd reads REASON).
            conn.send(CapfCommand.KEY_GENERATE_RESPONSE, { reason: CapfReason.INVALID_ELEMENT });
            break;
          }
          conn.send(CapfCommand.REQUEST_IN_PROGRESS, {});
          newKey = await (o.generateKey ?? defaultGenerateKey)(req);
          if (o.keyGenerationDelayMs) await sleep(o.keyGenerationDelayMs, o.signal);
          conn.send(CapfCommand.KEY_GENERATE_RESPONSE, { publicKey: spki(newKey) });
          break;
        }
        case CapfCommand.STATUS_REQUEST:
          conn.send(CapfCommand.STATUS_RESPONSE, { reason: CapfReason.UPDATE_CERTIFICATE });
          break;
        case CapfCommand.STORE_CERTIFICATE_REQUEST: {
          const der = m.fields.certificate?.der;
          const key = newKey ?? creds.pendingKey;
          let x: X509Certificate | undefined;
          try {
            x = der ? new X509Certificate(der) : undefined;
          } catch {
            x = undefined;
          }
          if (!x || !key || !x.publicKey.export({ type: 'spki', format: 'der' }).equals(spki(key))) {
            conn.send(CapfCommand.STORE_CERTIFICATE_RESPONSE, { reason: CapfReason.INVALID_ELEMENT });
            break;
          }
          creds.lsc = { der: Buffer.from(der!), privateKey: key };
          delete creds.pendingKey;
          const d = key.asymmetricKeyDetails ?? {};
          const size = key.asymmetricKeyType === 'rsa' ? (d.modulusLength ?? 0) : ({ prime256v1: 256, secp384r1: 384, secp521r1: 521 } as Record<string, number>)[d.namedCurve ?? ''] ?? 0;
          stored = { der: Buffer.from(der!), pem: x.toString(), privateKey: key, keyType: key.asymmetricKeyType === 'rsa' ? 'RSA' : 'EC', keySize: size, subject: x.subject.split('\n').reverse().join(', '), issuer: x.issuer.split('\n').reverse().join(', ') };
          conn.send(CapfCommand.STORE_CERTIFICATE_RESPONSE, { reason: CapfReason.UPDATE_CERTIFICATE });
          break;
        }
        case CapfCommand.FETCH_CERTIFICATE_REQUEST: {
          const cert = creds.lsc ?? creds.mic;
          fetched = creds.lsc ? 'LSC' : creds.mic ? 'MIC' : 'none';
          conn.send(
            CapfCommand.FETCH_CERTIFICATE_RESPONSE,
            cert ? { reason: CapfReason.UPDATE_CERTIFICATE, certificate: { type: creds.lsc ? CapfCertificateType.LSC : CapfCertificateType.MIC, der: cert.der } } : { reason: CapfReason.INVALID_ELEMENT },
          );
          break;
        }
        case CapfCommand.DELETE_CERTIFICATE_REQUEST:
          deleteAsked = true;
          deleted = creds.lsc !== undefined;
          delete creds.lsc;
          conn.send(CapfCommand.DELETE_CERTIFICATE_RESPONSE, { reason: deleted ? CapfReason.UPDATE_CERTIFICATE : CapfReason.INVALID_ELEMENT });
          break;
        case CapfCommand.RETRY_LATER:
          if (newKey) creds.pendingKey = newKey;
          return { ...base('retry-later', `CAPF asked to come back later (RETRY_DELAY ${m.fields.retryDelay ?? '?'} s)${newKey ? '; the generated key is kept for the Offline CA certificate' : ''}`), ...(m.fields.retryDelay !== undefined ? { retryDelaySeconds: m.fields.retryDelay } : {}), ...(authenticatedWith ? { authenticatedWith } : {}) };
        case CapfCommand.END_SESSION: {
          const reason = m.fields.reason ?? -1;
          const extra = { reason, reasonName: reasonName(reason), ...(authenticatedWith ? { authenticatedWith } : {}) };
          if (stored) return { ...base('installed', `LSC "${stored.subject}" (${stored.keyType} ${stored.keySize}) issued by "${stored.issuer}" installed`), ...extra, lsc: stored };
          if (fetched !== undefined) return { ...base('fetched', `the phone's ${fetched} was handed to CAPF (Troubleshoot)`), ...extra, fetched };
          if (deleteAsked && reason === CapfReason.UPDATE_CERTIFICATE) return { ...base('deleted', deleted ? 'the LSC was deleted' : 'CAPF asked to delete an LSC the phone did not hold'), ...extra };
          if (reason === CapfReason.NO_ACTION) return { ...base('no-operation', 'CAPF has no pending operation for this phone'), ...extra };
          if (reason === CapfReason.UNKNOWN_DEVICE) return { ...base('refused', `CAPF does not know the device ${o.deviceName}`), ...extra };
          return { ...base('refused', `CAPF ended the session with REASON ${reason} (${reasonName(reason)})${authenticatedWith === 'none' ? ': the phone has no certificate to authenticate with' : ''}`), ...extra };
        }
        default:
          throw new CapfProtocolError(`CAPF: unexpected ${commandName(m.command)} from the server`);
      }
    }
  }
}

/** Runs the phone's CAPF session, retrying communication failures; never throws for network or protocol problems. */
export async function runCapfClient(o: CapfClientOptions): Promise<CapfClientOutcome> {
  const retries = o.retries ?? 3;
  const delay = o.retryDelayMs ?? 30_000;
  const transcript: TranscriptEntry[] | undefined = o.recordTranscript ? [] : undefined;
  let last = '';
  for (let i = 0; i <= retries; i++) {
    if (i > 0) {
      try {
        await sleep(delay, o.signal);
      } catch {
        return { status: 'failed', detail: `aborted after ${i} attempt(s): ${last}`, attempts: i, ...(transcript ? { transcript } : {}) };
      }
    }
    try {
      return await attempt(o, i + 1, transcript);
    } catch (err) {
      if (err instanceof CommunicationFailure || err instanceof CapfConnectionClosedError || err instanceof CapfTimeoutError) {
        last = err.message;
        continue;
      }
      const e = err as Error;
      return { status: 'failed', detail: `${e instanceof CapfProtocolError ? 'protocol error' : 'error'}: ${e.message}`, attempts: i + 1, ...(transcript ? { transcript } : {}) };
    }
  }
  return { status: 'failed', detail: `communication failure after ${retries + 1} attempt(s) (${retries} retries at ${delay} ms, 001 L5209): ${last}`, attempts: retries + 1, ...(transcript ? { transcript } : {}) };
}

/** The cnf.xml `<capfAuthMode>` code of an authentication mode. */
export function capfAuthModeCode(mode: CapfAuthMode): number {
  return AUTH_MODE_CODES[mode];
}
