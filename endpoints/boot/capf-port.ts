// The CAPF step's seam: what the boot sequence asks of a CAPF client, and the adapter to engine/capf's phone-side
// client (runCapfClient). The boot sequence decides when to go to CAPF (a pending operation in the configuration, or
// an encrypted configuration the phone cannot decrypt, 001 L6079-6082); the port does the session.
import type { KeyObject } from 'node:crypto';
import { runCapfClient, type CapfAuthMode, type CapfClientOutcome, type KeyRequest } from '../../engine/capf/index.js';
import type { ModelProfile } from '../models/model-profiles.js';
import type { TlsOfferAttempt } from '../tls/phone-tls-offer.js';

export interface HeldCertificate {
  der: Buffer;
  privateKey: KeyObject;
}

export interface CapfRequest {
  host: string;
  port: number;
  /** SEP<MAC> (CSF… for Jabber): the name CAPF knows the device by. */
  deviceName: string;
  authMode: CapfAuthMode;
  /** Entered on the phone (By Authentication String). */
  authString?: string;
  mic?: HeldCertificate;
  lsc?: HeldCertificate;
  model: ModelProfile;
  /** CAPF certificates from the phone's ITL/CTL (PEM): the server is checked against them (001 L2817). */
  trustedCertificates: string[];
  /** The model's first TLS attempt for CAPF (versions and suites). */
  tls?: TlsOfferAttempt;
}

export type CapfStatus = CapfClientOutcome['status'];

export interface CapfResult {
  status: CapfStatus;
  detail: string;
  /** The new LSC when installed. */
  lsc?: HeldCertificate & { keyType: 'RSA' | 'EC'; keySize: number; subject: string; issuer: string };
  /** True when CAPF deleted the LSC. */
  deleted?: boolean;
  authenticatedWith?: 'LSC' | 'MIC' | 'none';
  sessionId?: number;
  tls?: { protocol: string; cipher: string; serverVerified: boolean };
}

export interface CapfPort {
  enroll(req: CapfRequest): Promise<CapfResult>;
}

export interface EngineCapfPortOptions {
  /** Communication retries (default 3) and delay (default 30 s, 001 L5209); tests shorten them. */
  retries?: number;
  retryDelayMs?: number;
  messageTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Key generation (default node:crypto; tests hand out pre-generated keys). */
  generateKey?: (req: KeyRequest) => Promise<KeyObject>;
}

/** The CAPF port on engine/capf's phone client. */
export function engineCapfPort(o: EngineCapfPortOptions = {}): CapfPort {
  return {
    async enroll(req: CapfRequest): Promise<CapfResult> {
      const credentials = { ...(req.mic ? { mic: { der: req.mic.der, privateKey: req.mic.privateKey } } : {}), ...(req.lsc ? { lsc: { der: req.lsc.der, privateKey: req.lsc.privateKey } } : {}) };
      const version = req.model.certificates.capfVersion ?? 2;
      const out = await runCapfClient({
        host: req.host,
        port: req.port,
        deviceName: req.deviceName,
        authMode: req.authMode,
        ...(req.authString !== undefined ? { authString: req.authString } : {}),
        credentials,
        capfVersion: version,
        supportsEc: version >= 3 && req.model.certificates.keyGeneration.EC.length > 0,
        trustedCertificates: req.trustedCertificates,
        ...(req.tls ? { tls: { minVersion: req.tls.minVersion, maxVersion: req.tls.maxVersion, ciphers: req.tls.ciphers } } : {}),
        ...(o.retries !== undefined ? { retries: o.retries } : {}),
        ...(o.retryDelayMs !== undefined ? { retryDelayMs: o.retryDelayMs } : {}),
        ...(o.messageTimeoutMs !== undefined ? { messageTimeoutMs: o.messageTimeoutMs } : {}),
        ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
        ...(o.generateKey ? { generateKey: o.generateKey } : {}),
      });
      const r: CapfResult = { status: out.status, detail: out.detail };
      if (out.lsc) r.lsc = { der: out.lsc.der, privateKey: out.lsc.privateKey, keyType: out.lsc.keyType, keySize: out.lsc.keySize, subject: out.lsc.subject, issuer: out.lsc.issuer };
      if (out.status === 'deleted') r.deleted = true;
      if (out.authenticatedWith) r.authenticatedWith = out.authenticatedWith;
      if (out.sessionId !== undefined) r.sessionId = out.sessionId;
      if (out.tls) r.tls = out.tls;
      return r;
    },
  };
}
