// Client certificates: handshake with none, with given MIC/LSC files, with a generated RSA and a generated ECDSA
// certificate; report whether the server asked for one (CertificateRequest, its CA names and schemes) and whether the
// connection survives. Servers such as trustline's listener (and CUCM) finish the handshake and then close on
// refusal, and TLS 1.3 servers refuse after the client's Finished: so the verdict waits a short window and, with SIP
// on, for the answer to OPTIONS.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type tls from 'node:tls';
import type { TlsSuite, TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import { sigalgName } from '../engine/tls/client-hello.js';
import { describeName, dnLine } from './certs.js';
import { generateClientCert } from './generated-certs.js';
import type { Limiter } from './limiter.js';
import type { Target } from './raw-probe.js';
import { sipCheck } from './sip-check.js';
import { alertFromError, tlsConnect } from './tls-client.js';
import type { ClientCertReport } from './types.js';

export interface ClientCertVariant {
  label: string;
  cert?: string;
  key?: string;
  subject?: string;
}

export interface ClientCertOptions {
  timeoutMs: number;
  /** Time allowed for the answer to OPTIONS (default timeoutMs). */
  sipTimeoutMs?: number;
  limiter: Limiter;
  version: TlsVersionName;
  /** Suites the server accepts in that version (the handshake must be able to succeed). */
  suites: readonly TlsSuite[];
  /** How long to watch for a close after the handshake (default 300 ms). */
  closeWindowMs?: number;
  /** Send OPTIONS through the connection (default true). */
  sip?: boolean;
}

/** Reads "cert.pem" (key in the same file) or "cert.pem,key.pem" into a variant. */
export function loadClientCert(spec: string): ClientCertVariant {
  const [certPath, keyPath] = spec.split(',').map((s) => s.trim());
  if (!certPath) throw new Error(`client certificate ${JSON.stringify(spec)}: expected cert.pem or cert.pem,key.pem`);
  const certText = fs.readFileSync(certPath, 'utf8');
  const keyText = keyPath ? fs.readFileSync(keyPath, 'utf8') : certText;
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
  if (!cert.test(certText)) throw new Error(`${certPath}: no PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) throw new Error(`${keyPath ?? certPath}: no PEM private key`);
  let subject: string | undefined;
  try {
    subject = dnLine(new X509Certificate(certText).subject);
  } catch (e) {
    throw new Error(`${certPath}: unreadable certificate: ${(e as Error).message}`);
  }
  return { label: `given ${certPath.split('/').pop()}`, cert: certText, key: keyText, ...(subject ? { subject } : {}) };
}

/** The standard variants: none, the given files, generated RSA, generated ECDSA. */
export function clientCertVariants(given: readonly ClientCertVariant[] = []): ClientCertVariant[] {
  const rsa = generateClientCert('RSA');
  const ec = generateClientCert('ECDSA');
  return [
    { label: 'none' },
    ...given,
    { label: rsa.label, cert: rsa.cert, key: rsa.key, subject: rsa.subject },
    { label: ec.label, cert: ec.cert, key: ec.key, subject: ec.subject },
  ];
}

function watchClose(socket: tls.TLSSocket, ms: number): Promise<{ closed: boolean; alert?: string; detail?: string }> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve({ closed: true, detail: 'server closed the connection right after the handshake' });
    let settled = false;
    const done = (r: { closed: boolean; alert?: string; detail?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('close', onClose);
      socket.off('error', onError);
      socket.off('end', onClose);
      resolve(r);
    };
    // An alert's 'error' may follow 'end': decide one turn later so the alert is named.
    const onClose = () => setImmediate(() => done({ closed: true, detail: 'server closed the connection right after the handshake' }));
    const onError = (e: NodeJS.ErrnoException) => {
      const alert = alertFromError(e);
      done({ closed: true, ...(alert ? { alert } : {}), detail: alert ? `server sent alert ${alert} after the handshake` : `connection failed after the handshake: ${e.code ?? e.message}` });
    };
    const timer = setTimeout(() => done({ closed: false }), ms);
    socket.once('close', onClose);
    socket.once('end', onClose);
    socket.on('error', onError);
    socket.resume();
  });
}

async function probeOne(target: Target, v: ClientCertVariant, opts: ClientCertOptions): Promise<ClientCertReport> {
  const r = await tlsConnect(target, {
    suites: opts.suites,
    minVersion: opts.version,
    maxVersion: opts.version,
    ...(v.cert && v.key ? { cert: v.cert, key: v.key } : {}),
    timeoutMs: opts.timeoutMs,
  });
  const cr = r.flight?.certificateRequest;
  const base: Omit<ClientCertReport, 'outcome' | 'detail'> = {
    variant: v.label,
    ...(v.subject ? { subject: v.subject } : {}),
    ...(r.protocol ? { version: r.protocol } : { version: opts.version }),
    ...(r.flight?.serverHello ? { requested: !!cr } : {}),
    ...(cr ? { acceptableCas: cr.authorities.map(describeName), ...(cr.sigalgs ? { requestSigalgs: cr.sigalgs.map(sigalgName) } : {}) } : {}),
  };
  if (!r.ok || !r.socket) {
    // The server's whole flight arrived, then the connection went without an alert: it refused what the client sent
    // in its last flight (the certificate), by closing (trustline, CUCM), possibly before its own Finished left.
    if (!r.alert && r.flight?.complete)
      return {
        ...base,
        outcome: 'closed-after-handshake',
        detail: `server closed the connection after the client's ${v.cert ? 'certificate and ' : ''}Finished, without an alert (${r.error})`,
      };
    const refused = !!r.alert || /closed/.test(r.error ?? '');
    return { ...base, outcome: refused ? 'refused-in-handshake' : 'error', detail: r.error ?? 'handshake failed' };
  }
  const socket = r.socket;
  try {
    const w = await watchClose(socket, opts.closeWindowMs ?? 300);
    if (w.closed) return { ...base, outcome: w.alert ? 'refused-in-handshake' : 'closed-after-handshake', detail: w.detail! };
    if (opts.sip === false) return { ...base, outcome: 'accepted', detail: `connection still open ${opts.closeWindowMs ?? 300} ms after the handshake` };
    const sip = await sipCheck(socket, target, { method: 'OPTIONS', timeoutMs: opts.sipTimeoutMs ?? opts.timeoutMs });
    if (sip.outcome === 'closed' || sip.outcome === 'not-sent') {
      const refusedByAlert = /alert/.test(sip.detail);
      return { ...base, outcome: refusedByAlert ? 'refused-in-handshake' : 'closed-after-handshake', detail: sip.detail, sip };
    }
    return { ...base, outcome: 'accepted', detail: `connection kept; OPTIONS: ${sip.detail}`, sip };
  } finally {
    socket.destroy();
  }
}

export function probeClientCerts(target: Target, variants: readonly ClientCertVariant[], opts: ClientCertOptions): Promise<ClientCertReport[]> {
  return opts.limiter.map(variants, (v) => probeOne(target, v, opts));
}
