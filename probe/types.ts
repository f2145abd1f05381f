// The probe report: what `trustline probe` prints, writes as JSON and draws as HTML.
import type { TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import type { CertSummary } from './certs.js';

/** The outcome of a SIP request sent through an established TLS connection. */
export interface SipResult {
  method: 'OPTIONS' | 'REGISTER';
  outcome: 'answered' | 'no-answer' | 'closed' | 'garbage' | 'mismatch' | 'not-sent';
  /** Final status and reason when answered. */
  status?: number;
  reason?: string;
  /** Server / User-Agent header of the answer. */
  server?: string;
  detail: string;
  ms: number;
}

/** A real handshake with node:tls (used for SIP and client certificates). */
export interface HandshakeSummary {
  outcome: 'completed' | 'failed' | 'unavailable';
  protocol?: string;
  suite?: string;
  certificate?: string;
  detail: string;
}

export type SuiteResult = 'accepted' | 'rejected' | 'other-version' | 'error';

export interface SuiteProbe {
  code: number;
  iana: string;
  openssl: string;
  result: SuiteResult;
  /** What the server did: alert name, ServerHello details, timeout... */
  detail: string;
  /** Leaf certificate served with this suite (TLS 1.3: decrypted from the flight). */
  certificate?: CertSummary;
  /** Key exchange detail: "ECDHE X25519", "DHE 2048", "RSA". */
  keyExchange?: string;
  /** TLS 1.2 ServerKeyExchange or TLS 1.3 CertificateVerify signature scheme. */
  signature?: string;
  /** Handshake completed with node:tls for the SIP step. */
  handshake?: HandshakeSummary;
  sip?: SipResult;
  /** REGISTER after OPTIONS on the same connection (--register). */
  register?: SipResult;
}

export type Preference = 'server' | 'client' | 'single' | 'none' | 'undetermined';

export interface VersionReport {
  version: TlsVersionName;
  supported: boolean;
  /** Verdict of the version probe (all suites of the version offered). */
  detail: string;
  /** Every catalogue suite of the version, probed one per connection (empty when the version is not supported). */
  suites: SuiteProbe[];
  /** Server preference: first = most preferred. With client preference, the order the server picked our offer in. */
  order: string[];
  preference: Preference;
  orderNote?: string;
}

export interface GroupReport {
  version: TlsVersionName;
  group: string;
  accepted: boolean;
  detail: string;
}

export interface SigalgReport {
  version: TlsVersionName;
  sigalg: string;
  accepted: boolean;
  /** Certificate the server signed with under this scheme. */
  certificate?: string;
  detail: string;
}

export interface CertificateReport {
  certificate: CertSummary;
  /** "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384", ... */
  servedWith: string[];
}

export interface ClientCertReport {
  /** "none", "MIC/LSC mic.pem", "generated RSA 2048", "generated ECDSA P-256". */
  variant: string;
  /** Subject of the certificate offered. */
  subject?: string;
  version?: string;
  /** The server sent a CertificateRequest (undefined: unknown). */
  requested?: boolean;
  /** CA names and signature schemes of the CertificateRequest. */
  acceptableCas?: string[];
  requestSigalgs?: string[];
  /** Handshake and connection outcome. */
  outcome: 'accepted' | 'refused-in-handshake' | 'closed-after-handshake' | 'error';
  detail: string;
  sip?: SipResult;
}

export interface FallbackAttempt {
  label: string;
  offer: { versions: string[]; suites: string[]; fallbackScsv: boolean };
  outcome: 'success' | 'failure';
  version?: string;
  suite?: string;
  certificate?: CertSummary;
  detail: string;
  /** Real handshake with node:tls for the same offer, when node's OpenSSL can run the suite. */
  handshake?: HandshakeSummary;
  sip?: SipResult;
}

export interface FallbackReport {
  profile: string;
  description: string;
  attempts: FallbackAttempt[];
  outcome: 'success' | 'failure';
  /** "TLSv1 AES128-SHA with RSA 2048" or why it fails. */
  summary: string;
}

export interface ProbeReport {
  tool: 'trustline probe';
  trustlineVersion: string;
  target: { host: string; port: number; serverName?: string };
  startedAt: string;
  durationMs: number;
  /** Connections opened. */
  connections: number;
  options: { concurrency: number; timeoutMs: number; delayMs: number; sip: string };
  /** One line: reachable, TLS versions, number of suites... */
  verdict: string;
  versions: VersionReport[];
  groups: GroupReport[];
  sigalgs: SigalgReport[];
  certificates: CertificateReport[];
  clientCertificates: ClientCertReport[];
  fallback: FallbackReport[];
  notes: string[];
}
