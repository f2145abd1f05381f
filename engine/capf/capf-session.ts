// One CAPF session, server side (anchors §2.5): AUTH_REQUEST first, the device looked up, its pending operation and
// deadline checked, the phone authenticated as its Authentication Mode says, then the operation: Install/Upgrade (key
// generation, LSC issued by CAPF or queued for the Offline CA, STORE_CERTIFICATE), Delete or Troubleshoot (fetch), and
// END_SESSION with reason 1 (done), 0 (nothing to do / after a fetch, as capfd), 7 (declined) or 9 (unknown device).
// Every decision goes to the journal. Seed lines: 001 unless another seed is named.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import { parseCertificate, type CertificateInfo } from '../pki/certificates.js';
import type { ClusterPki } from '../pki/cluster-pki.js';
import { describeKey } from '../pki/keys.js';
import { CapfCommand, CapfCurve, CapfKeyType, CapfProtocolError, CapfReason, commandName, describeMessage, reasonName, type CapfFields, type CapfMessage } from './capf-codec.js';
import { CapfConnectionClosedError, CapfTimeoutError, type CapfConnection, type TranscriptEntry } from './capf-connection.js';
import { verifySignedData, verifySudiSignatures } from './capf-signature.js';
import { spkiSha256, type CapfDeviceRecord, type CapfStore, type JournalOutcome, type PendingCsr } from './capf-store.js';
import { isDeviceName, operationExpired, planKeyRequest, type CapfOperation, type KeyRequest } from './device-operations.js';
import { describeOnlineCa, onlineCaSigner, type OnlineCa } from './lsc-issuer.js';
import { buildOfflineCsr } from './offline-csr.js';

export interface SessionTimeouts {
  /** Waiting for AUTH_RESPONSE (default 30 s). */
  authResponseMs: number;
  /** Waiting for KEY_GENERATE_RESPONSE: phones may take 30 minutes or more (001 L5765); default 60 min. */
  keyGenerationMs: number;
  /** Waiting for the other responses (default 30 s). */
  responseMs: number;
}

export interface SessionContext {
  conn: CapfConnection;
  sessionId: number;
  peer: string;
  pki: ClusterPki;
  store: CapfStore;
  now: () => Date;
  timeouts: SessionTimeouts;
  /** Keepalive interval while the phone generates its key (STATUS_REQUEST). */
  keepAliveMs: number;
  /** RETRY_DELAY sent with RETRY_LATER (seconds). */
  retryLaterSeconds: number;
  requireSudi: boolean;
  /** AUTH_REQUEST with VERSION and AUTH_TYPE 0 (capfd), or VERSION only (CUCM, Jabber4Linux capture). */
  authRequest: 'version-and-auth-type' | 'version-only';
  /** Devices (lower case) with a session in progress. */
  busy: Set<string>;
  log: Logger;
  transcript?: TranscriptEntry[];
  /** Online CA mode's CA (Certificate Issuer to Endpoint = Online CA); without it that mode issues nothing. */
  onlineCa?: OnlineCa;
}

export type SessionOutcome = 'installed' | 'deleted' | 'fetched' | 'queued' | 'no-operation' | 'refused' | 'failed' | 'retry-later';

export interface SessionRecord {
  sessionId: number;
  peer: string;
  device?: string;
  operation?: CapfOperation;
  outcome: SessionOutcome;
  /** REASON of the END_SESSION sent, if one was. */
  endReason?: number;
  detail: string;
  startedAt: string;
  endedAt: string;
  transcript?: TranscriptEntry[];
}

type Auth = { ok: true; summary: string } | { ok: false; reason: string };
type KeyResult = { ok: true; key: KeyObject; request: KeyRequest } | { ok: false; declined: boolean; reason: string };

class PhoneAbort extends Error {}

const CURVE_CODE: Readonly<Record<number, number>> = { 256: CapfCurve.SECP256R1, 384: CapfCurve.SECP384R1, 521: CapfCurve.SECP521R1 };

class ServerSession {
  private readonly ctx: SessionContext;
  private readonly startedAt: string;
  private device: string | undefined;
  private operation: CapfOperation | undefined;
  private holding: string | undefined;

  constructor(ctx: SessionContext) {
    this.ctx = ctx;
    this.startedAt = ctx.now().toISOString();
  }

  private journal(step: string, outcome: JournalOutcome, reason: string): void {
    const c = this.ctx;
    c.store.record({ sessionId: c.sessionId, ...(this.device !== undefined ? { device: this.device } : {}), peer: c.peer, step, outcome, reason });
    const line = `session ${c.sessionId} ${c.peer}${this.device ? ` ${this.device}` : ''} ${step}: ${outcome}: ${reason}`;
    if (step === 'error') c.log.warn(line);
    else if (outcome === 'info') c.log.debug(line);
    else c.log.info(line);
  }

  private record(outcome: SessionOutcome, detail: string, endReason?: number): SessionRecord {
    return {
      sessionId: this.ctx.sessionId,
      peer: this.ctx.peer,
      ...(this.device !== undefined ? { device: this.device } : {}),
      ...(this.operation !== undefined ? { operation: this.operation } : {}),
      outcome,
      ...(endReason !== undefined ? { endReason } : {}),
      detail,
      startedAt: this.startedAt,
      endedAt: this.ctx.now().toISOString(),
      ...(this.ctx.transcript ? { transcript: this.ctx.transcript } : {}),
    };
  }

  private send(command: number, fields: CapfFields = {}): void {
    this.ctx.conn.send(command, fields);
  }

  /** END_SESSION with `reason`, journaled. */
  private end(reason: number, step: string, outcome: SessionOutcome, journalOutcome: JournalOutcome, detail: string): SessionRecord {
    this.send(CapfCommand.END_SESSION, { reason });
    this.journal(step, journalOutcome, `${detail} → END_SESSION reason ${reason} (${reasonName(reason)})`);
    return this.record(outcome, detail, reason);
  }

  private retryLater(step: string, detail: string, outcome: SessionOutcome = 'retry-later'): SessionRecord {
    this.send(CapfCommand.RETRY_LATER, { retryDelay: this.ctx.retryLaterSeconds });
    this.journal(step, 'info', `${detail} → RETRY_LATER (${this.ctx.retryLaterSeconds} s)`);
    return this.record(outcome, detail);
  }

  /** The next message among `expected`; ABORT_REQUEST is answered and ends the session, anything else is a protocol error. */
  private async receive(expected: number[], timeoutMs: number, waitingFor: string): Promise<CapfMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let m: CapfMessage;
      try {
        m = await this.ctx.conn.receive(Math.max(1, deadline - Date.now()));
      } catch (err) {
        if (err instanceof CapfTimeoutError) throw new CapfTimeoutError(`no ${waitingFor} within ${timeoutMs} ms`);
        throw err;
      }
      if (expected.includes(m.command)) return m;
      if (m.command === CapfCommand.ABORT_REQUEST) {
        this.send(CapfCommand.ABORT_RESPONSE, { reason: CapfReason.UPDATE_CERTIFICATE });
        throw new PhoneAbort(`the phone user aborted the certificate operation while CAPF waited for ${waitingFor} (001 L4833)`);
      }
      throw new CapfProtocolError(`CAPF: ${commandName(m.command)} received while waiting for ${waitingFor}`, { command: commandName(m.command) });
    }
  }

  async run(): Promise<SessionRecord> {
    try {
      return await this.flow();
    } catch (err) {
      return await this.failure(err as Error);
    } finally {
      if (this.holding) this.ctx.busy.delete(this.holding);
      this.ctx.conn.close();
    }
  }

  private async failure(err: Error): Promise<SessionRecord> {
    const conn = this.ctx.conn;
    let step = 'error';
    if (err instanceof CapfProtocolError) step = 'protocol';
    else if (err instanceof CapfTimeoutError) step = 'timeout';
    else if (err instanceof CapfConnectionClosedError) step = 'connection';
    else if (err instanceof PhoneAbort) step = 'abort';
    let endReason: number | undefined;
    if (!(err instanceof CapfConnectionClosedError) && !(err instanceof PhoneAbort) && !conn.socket.destroyed) {
      try {
        conn.send(CapfCommand.END_SESSION, { reason: CapfReason.INVALID_ELEMENT });
        endReason = CapfReason.INVALID_ELEMENT;
      } catch {
        // Nothing more can be said on this connection.
      }
    }
    this.journal(step, 'failed', `${err.message}${endReason !== undefined ? ' → END_SESSION reason 7 (INVALID_ELEMENT)' : ''}; connection closed`);
    if (this.device && this.operation && (err instanceof PhoneAbort || err instanceof CapfTimeoutError)) {
      await this.ctx.store.failOperation(this.device, err.message).catch(() => undefined);
    }
    return this.record('failed', err.message, endReason);
  }

  private async flow(): Promise<SessionRecord> {
    const c = this.ctx;
    this.send(CapfCommand.AUTH_REQUEST, c.authRequest === 'version-only' ? { version: 3 } : { version: 3, authType: 0 });
    const m = await this.receive([CapfCommand.AUTH_RESPONSE], c.timeouts.authResponseMs, 'AUTH_RESPONSE');
    this.journal('auth-response', 'info', describeMessage(m));
    const f = m.fields;
    if (f.deviceName === undefined) return this.end(CapfReason.INVALID_ELEMENT, 'auth-response', 'refused', 'refused', 'AUTH_RESPONSE carries no DEVICE_NAME');
    this.device = f.deviceName;
    if (f.version === undefined) return this.end(CapfReason.INVALID_ELEMENT, 'auth-response', 'refused', 'refused', 'AUTH_RESPONSE carries no VERSION');
    const rec = isDeviceName(f.deviceName) ? c.store.device(f.deviceName) : undefined;
    if (!rec) return this.end(CapfReason.UNKNOWN_DEVICE, 'lookup', 'refused', 'refused', `unknown device "${f.deviceName}"`);
    this.device = rec.deviceName;
    if (rec.settings.operation === 'none') return this.end(CapfReason.NO_ACTION, 'lookup', 'no-operation', 'refused', 'Certificate Operation: No Pending Operation');
    this.operation = rec.settings.operation;
    const now = c.now();
    if (operationExpired(rec.settings, now)) {
      const detail = `the operation ${rec.settings.operation} had to complete by ${rec.settings.operationCompletesBy} ("Operation Completes By", 001 L7932)`;
      await c.store.failOperation(rec.deviceName, `expired: ${detail}`);
      return this.end(CapfReason.INVALID_ELEMENT, 'deadline', 'refused', 'refused', detail);
    }
    const key = rec.deviceName.toLowerCase();
    if (c.busy.has(key)) return this.retryLater('lookup', `another CAPF session of ${rec.deviceName} is in progress`);
    c.busy.add(key);
    this.holding = key;
    const auth = this.authenticate(rec, m);
    if (!auth.ok) return this.end(CapfReason.INVALID_ELEMENT, 'authenticate', 'refused', 'refused', auth.reason);
    this.journal('authenticate', 'ok', auth.summary);
    switch (rec.settings.operation) {
      case 'install-upgrade':
        return this.install(rec, f.version);
      case 'delete':
        return this.deleteCertificate(rec);
      case 'troubleshoot':
        return this.fetchCertificate(rec);
    }
  }

  // ---- authentication ------------------------------------------------------------------------------------------------

  private authenticate(rec: Readonly<CapfDeviceRecord>, m: CapfMessage): Auth {
    const f = m.fields;
    switch (rec.settings.authMode) {
      case 'auth-string': {
        const expected = rec.settings.authString;
        if (expected === undefined) return { ok: false, reason: 'By Authentication String: the string was already used; it supports one-time use only (001 L7925): set a new one' };
        const given = f.password ?? '';
        if (given !== expected) return { ok: false, reason: given ? 'By Authentication String: the string entered on the phone does not match (001 L5203)' : 'By Authentication String: no string was entered on the phone (001 L5203)' };
        return { ok: true, summary: 'By Authentication String: the string matches' };
      }
      case 'null-string':
        return { ok: true, summary: 'By Null String: no endpoint authentication (001 L5733: "This option provides no security")' };
      case 'existing-lsc':
      case 'existing-mic':
        return this.existingCertificate(rec, f);
    }
  }

  private existingCertificate(rec: Readonly<CapfDeviceRecord>, f: CapfFields): Auth {
    const c = this.ctx;
    const mode = rec.settings.authMode === 'existing-lsc' ? 'By Existing Certificate (Precedence to LSC)' : 'By Existing Certificate (Precedence to MIC)';
    if (!f.certificate) return { ok: false, reason: `${mode}: the phone presented no certificate; if no certificate exists in the phone, the operation fails (001 L5733, L5220)` };
    let cert: CertificateInfo;
    try {
      cert = parseCertificate(f.certificate.der, 'CERTIFICATE');
    } catch (err) {
      return { ok: false, reason: `${mode}: ${(err as Error).message}` };
    }
    const chain = c.pki.verifyCertificateChain('CAPF-trust', [cert], { purpose: 'clientAuth', at: c.now() });
    if (!chain.trusted) return { ok: false, reason: `${mode}: "${cert.subject}" is not trusted by CAPF-trust: ${chain.reason ?? 'untrusted'}` };
    const mfg = c.pki.manufacturingCa();
    const mfgPrints = new Set([mfg.root.fingerprintSha256, mfg.issuing.fingerprintSha256]);
    const anchor = chain.path.at(-1)!;
    const kind = chain.path.slice(1).some((p) => mfgPrints.has(p.fingerprintSha256)) ? 'MIC' : 'LSC';
    const cn = cert.subjectCN ?? '';
    const mic = /^CP-[^-]+-(.+)$/i.exec(cn);
    const bound = cn.toLowerCase() === rec.deviceName.toLowerCase() || (mic !== null && mic[1]!.toLowerCase() === rec.deviceName.toLowerCase());
    if (!bound) return { ok: false, reason: `${mode}: the ${kind} "${cert.subject}" belongs to another device than ${rec.deviceName}` };
    const sig = verifySignedData(cert.publicKey, f.deviceName!, f.certificate.der, f.signedData, f.sha2SignedData);
    if (!sig.ok) return { ok: false, reason: `${mode}: ${sig.reason}` };
    const checked = [...sig.checked];
    if (f.sudiData) {
      let sudi: CertificateInfo;
      try {
        sudi = parseCertificate(f.sudiData.certificate, 'SUDI certificate');
      } catch (err) {
        return { ok: false, reason: `SUDI_DATA: ${(err as Error).message}` };
      }
      const sudiChain = c.pki.verifyCertificateChain('CAPF-trust', [sudi], { at: c.now() });
      if (!sudiChain.trusted) return { ok: false, reason: `SUDI_DATA: "${sudi.subject}" is not trusted by CAPF-trust: ${sudiChain.reason ?? 'untrusted'}` };
      const s = verifySudiSignatures(f.sudiData, sudi.publicKey, c.sessionId);
      if (!s.ok) return { ok: false, reason: `SUDI_DATA: ${s.reason}` };
      checked.push(...s.checked);
    } else if (c.requireSudi) {
      return { ok: false, reason: 'SUDI_DATA is required and was not sent' };
    }
    const notes: string[] = [];
    if (rec.settings.authMode === 'existing-lsc' && kind === 'MIC' && rec.installed) notes.push('precedence to LSC, but the phone used its MIC although CAPF recorded an LSC installed');
    if (rec.settings.authMode === 'existing-mic' && kind === 'LSC') notes.push('precedence to MIC, but the phone used its LSC (no MIC in the phone)');
    return { ok: true, summary: `${mode}: ${kind} "${cert.subject}" verified up to "${anchor.subject}" (CAPF-trust), ${checked.join(', ')}${notes.length ? `; ${notes.join('; ')}` : ''}` };
  }

  // ---- Install/Upgrade -----------------------------------------------------------------------------------------------

  private async install(rec: Readonly<CapfDeviceRecord>, phoneVersion: number): Promise<SessionRecord> {
    const c = this.ctx;
    const params = c.store.parameters();
    if (params.certificateIssuer === 'offline-ca') {
      const pending = c.store.pendingCsr(rec.deviceName);
      if (pending?.certificatePem) return this.deliverOffline(rec, pending);
      if (pending) return this.retryLater('offline-ca', `the CSR queued at ${pending.createdAt} still waits for the offline CA's certificate`);
    }
    const plan = planKeyRequest(rec.settings, { phoneVersion, endpointAdvancedEncryption: params.endpointAdvancedEncryption, fips: c.pki.settings.fips });
    if (plan.decision === 'refuse') {
      await c.store.failOperation(rec.deviceName, `no LSC issued: ${plan.reason} (${plan.source})`);
      return this.end(CapfReason.INVALID_ELEMENT, 'key-plan', 'refused', 'refused', `no LSC issued: ${plan.reason} (${plan.source})`);
    }
    this.journal('key-plan', 'info', `${fmt(plan.first)}${plan.fallback ? `, backup ${fmt(plan.fallback)}` : ''}: ${plan.rule}`);
    let got = await this.keyGenerate(plan.first, phoneVersion);
    if (!got.ok && got.declined && plan.fallback) {
      this.journal('key-generate', 'info', `${got.reason}: the phone does not support EC keys, asking for the RSA backup (004 L238)`);
      got = await this.keyGenerate(plan.fallback, phoneVersion);
    }
    if (!got.ok) {
      await c.store.failOperation(rec.deviceName, got.reason);
      return this.end(CapfReason.INVALID_ELEMENT, 'key-generate', 'failed', 'failed', got.reason);
    }
    this.journal('key-generate', 'ok', `the phone generated ${fmt(got.request)}`);
    switch (params.certificateIssuer) {
      case 'capf':
        return this.issue(rec, got.key, got.request, params.validityDays);
      case 'offline-ca':
        return this.queueForOfflineCa(rec, got.key, got.request);
      case 'online-ca': {
        if (!c.onlineCa) {
          const detail = 'Certificate Issuer to Endpoint is Online CA, but no online CA is configured (Online CA Hostname, Port, Template: 002 L2244-2281): no LSC issued';
          await c.store.failOperation(rec.deviceName, detail);
          return this.end(CapfReason.INVALID_ELEMENT, 'issue', 'failed', 'failed', detail);
        }
        return this.issue(rec, got.key, got.request, params.validityDays, c.onlineCa);
      }
    }
  }

  /** KEY_GENERATE_REQUEST, then REQUEST_IN_PROGRESS / STATUS_RESPONSE until KEY_GENERATE_RESPONSE; keepalives meanwhile. */
  private async keyGenerate(req: KeyRequest, phoneVersion: number): Promise<KeyResult> {
    const c = this.ctx;
    // CAPF v3 names the key type; older phones get only KEY_SIZE (the Jabber4Linux capture of CUCM shows KEY_SIZE alone).
    const fields: CapfFields =
      phoneVersion >= 3 ? (req.keyType === 'RSA' ? { keyType: CapfKeyType.RSA, keySize: req.keySize } : { keyType: CapfKeyType.EC, curve: CURVE_CODE[req.keySize]! }) : { keySize: req.keySize };
    this.send(CapfCommand.KEY_GENERATE_REQUEST, fields);
    this.journal('key-generate', 'info', `KEY_GENERATE_REQUEST ${fmt(req)}`);
    const keepAlive = setInterval(() => {
      try {
        this.send(CapfCommand.STATUS_REQUEST, {});
        this.journal('keepalive', 'info', `STATUS_REQUEST keepalive after ${c.keepAliveMs} ms (001 L5132-5142)`);
      } catch {
        // The connection is going away; receive() reports it.
      }
    }, c.keepAliveMs);
    keepAlive.unref();
    try {
      const deadline = Date.now() + c.timeouts.keyGenerationMs;
      for (;;) {
        const m = await this.receive([CapfCommand.KEY_GENERATE_RESPONSE, CapfCommand.REQUEST_IN_PROGRESS, CapfCommand.STATUS_RESPONSE], Math.max(1, deadline - Date.now()), 'KEY_GENERATE_RESPONSE');
        if (m.command === CapfCommand.REQUEST_IN_PROGRESS) {
          this.journal('key-generate', 'info', 'REQUEST_IN_PROGRESS: the phone is generating its key');
          continue;
        }
        if (m.command === CapfCommand.STATUS_RESPONSE) continue;
        const pk = m.fields.publicKey;
        if (!pk) return { ok: false, declined: true, reason: `the phone did not generate ${fmt(req)} (KEY_GENERATE_RESPONSE without PUBLIC_KEY, REASON ${m.fields.reason ?? 'none'})` };
        let key: KeyObject;
        let desc: ReturnType<typeof describeKey>;
        try {
          key = createPublicKey({ key: pk, format: 'der', type: 'spki' });
          desc = describeKey(key);
        } catch (err) {
          return { ok: false, declined: false, reason: `PUBLIC_KEY is not a usable SubjectPublicKeyInfo: ${(err as Error).message}` };
        }
        if (desc.keyType !== req.keyType || desc.keySize !== req.keySize) {
          return { ok: false, declined: false, reason: `the phone sent ${desc.keyType} ${desc.keySize}, CAPF asked for ${fmt(req)}` };
        }
        return { ok: true, key, request: req };
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** CAPF signs the LSC, or hands the key to the online CA (through the pki either way, which persists the LSC). */
  private async issue(rec: Readonly<CapfDeviceRecord>, key: KeyObject, req: KeyRequest, validityDays: number, online?: OnlineCa): Promise<SessionRecord> {
    const c = this.ctx;
    const name = rec.deviceName;
    await c.store.beginIssue(name, { sessionId: c.sessionId, spkiSha256: spkiSha256(key), keyType: req.keyType, keySize: req.keySize });
    let issued: CertificateInfo | undefined;
    let settled = false;
    try {
      try {
        if (online) this.journal('issue', 'info', `sending the phone's key to the ${describeOnlineCa(online)}`);
        issued = (await c.pki.issueLsc({ deviceName: name, publicKey: key, validityDays, ...(online ? { signer: onlineCaSigner(online) } : {}) })).certificate;
      } catch (err) {
        const detail = online ? `the ${describeOnlineCa(online)} issued no LSC: ${(err as Error).message}` : `the pki refused the LSC: ${(err as Error).message}`;
        await c.store.abandonIssue(name, detail);
        settled = true;
        return this.end(CapfReason.INVALID_ELEMENT, 'issue', 'failed', 'failed', detail);
      }
      this.journal('issue', 'ok', `LSC ${issued.serialHex} "${issued.subject}" signed by "${issued.issuer}", valid until ${issued.notAfter.toISOString()}`);
      this.send(CapfCommand.STORE_CERTIFICATE_REQUEST, { certificateType: 1, certificate: { type: 1, der: issued.der } });
      const r = await this.receive([CapfCommand.STORE_CERTIFICATE_RESPONSE], c.timeouts.responseMs, 'STORE_CERTIFICATE_RESPONSE');
      if (r.fields.reason === CapfReason.UPDATE_CERTIFICATE) {
        await c.store.completeInstall(name, { certificate: issued, issuedBy: online ? 'online-ca' : 'capf', sessionId: c.sessionId });
        settled = true;
        return this.end(CapfReason.UPDATE_CERTIFICATE, 'store-certificate', 'installed', 'ok', `the phone stored LSC ${issued.serialHex}${online ? ` issued by the ${describeOnlineCa(online)}` : ''}; Certificate Operation back to No Pending Operation`);
      }
      const detail = `the phone did not store the LSC (STORE_CERTIFICATE_RESPONSE REASON ${r.fields.reason ?? 'none'})`;
      await c.store.abandonIssue(name, detail, issued);
      settled = true;
      return this.end(CapfReason.INVALID_ELEMENT, 'store-certificate', 'failed', 'failed', detail);
    } finally {
      if (!settled) await c.store.abandonIssue(name, 'the session ended before the phone confirmed the LSC', issued).catch(() => undefined);
    }
  }

  /** Offline CA mode: the phone's key goes to the pending CSR list; the phone keeps its key and comes back later. */
  private async queueForOfflineCa(rec: Readonly<CapfDeviceRecord>, key: KeyObject, req: KeyRequest): Promise<SessionRecord> {
    const c = this.ctx;
    const csr = buildOfflineCsr({ ...c.pki.settings.subject, commonName: rec.deviceName }, key, c.pki.privateKey('CAPF'));
    await c.store.queueCsr(rec.deviceName, {
      sessionId: c.sessionId,
      spkiSha256: spkiSha256(key),
      keyType: req.keyType,
      keySize: req.keySize,
      csrPem: csr.pem,
      publicKeyPem: key.export({ type: 'spki', format: 'pem' }) as string,
    });
    this.journal('offline-ca', 'ok', 'CSR queued in the pending CSR list (utils capf csr list, 001 L5178-5185)');
    return this.retryLater('offline-ca', 'Offline CA: the certificate is delivered once the CA-signed certificate is imported', 'queued');
  }

  private async deliverOffline(rec: Readonly<CapfDeviceRecord>, pending: Readonly<PendingCsr>): Promise<SessionRecord> {
    const c = this.ctx;
    const cert = parseCertificate(pending.certificatePem!, 'offline CA certificate');
    this.journal('offline-ca', 'info', `delivering the offline CA's certificate ${cert.serialHex} for the key queued in session ${pending.sessionId}`);
    this.send(CapfCommand.STORE_CERTIFICATE_REQUEST, { certificateType: 1, certificate: { type: 1, der: cert.der } });
    const r = await this.receive([CapfCommand.STORE_CERTIFICATE_RESPONSE], c.timeouts.responseMs, 'STORE_CERTIFICATE_RESPONSE');
    if (r.fields.reason === CapfReason.UPDATE_CERTIFICATE) {
      await c.store.completeInstall(rec.deviceName, { certificate: cert, issuedBy: 'offline-ca', sessionId: c.sessionId });
      return this.end(CapfReason.UPDATE_CERTIFICATE, 'store-certificate', 'installed', 'ok', `the phone stored the offline CA's certificate ${cert.serialHex}; Certificate Operation back to No Pending Operation`);
    }
    const detail = `the phone no longer holds the key of its CSR (STORE_CERTIFICATE_RESPONSE REASON ${r.fields.reason ?? 'none'}): the CSR is discarded and enrolment starts again (001 L4987)`;
    await c.store.dropPendingCsr(rec.deviceName, detail);
    return this.end(CapfReason.INVALID_ELEMENT, 'store-certificate', 'failed', 'failed', detail);
  }

  // ---- Delete and Troubleshoot -----------------------------------------------------------------------------------------

  private async deleteCertificate(rec: Readonly<CapfDeviceRecord>): Promise<SessionRecord> {
    const c = this.ctx;
    this.send(CapfCommand.DELETE_CERTIFICATE_REQUEST, {});
    const r = await this.receive([CapfCommand.DELETE_CERTIFICATE_RESPONSE], c.timeouts.responseMs, 'DELETE_CERTIFICATE_RESPONSE');
    const had = r.fields.reason === CapfReason.UPDATE_CERTIFICATE;
    if (c.pki.lsc(rec.deviceName)) await c.pki.deleteLsc(rec.deviceName);
    const detail = had ? 'the phone deleted its LSC' : `the phone reported no LSC to delete (REASON ${r.fields.reason ?? 'none'})`;
    await c.store.completeDelete(rec.deviceName, detail);
    return this.end(CapfReason.UPDATE_CERTIFICATE, 'delete', 'deleted', 'ok', `${detail}; Certificate Operation back to No Pending Operation`);
  }

  private async fetchCertificate(rec: Readonly<CapfDeviceRecord>): Promise<SessionRecord> {
    const c = this.ctx;
    this.send(CapfCommand.FETCH_CERTIFICATE_REQUEST, {});
    const r = await this.receive([CapfCommand.FETCH_CERTIFICATE_RESPONSE], c.timeouts.responseMs, 'FETCH_CERTIFICATE_RESPONSE');
    const got = r.fields.reason === CapfReason.UPDATE_CERTIFICATE ? r.fields.certificate : undefined;
    let detail = `Troubleshoot: the phone holds no certificate (REASON ${r.fields.reason ?? 'none'})`;
    let cert: CertificateInfo | undefined;
    if (got) {
      try {
        cert = parseCertificate(got.der, 'fetched certificate');
      } catch (err) {
        detail = `Troubleshoot: the phone returned a certificate that does not parse: ${(err as Error).message}`;
      }
    }
    if (got && cert) {
      const kind = got.type === 2 ? 'MIC' : 'LSC';
      await c.store.completeFetch(rec.deviceName, { kind, subject: cert.subject, issuer: cert.issuer, fingerprintSha256: cert.fingerprintSha256, pem: cert.pem });
      detail = `Troubleshoot: the phone's ${kind} "${cert.subject}" issued by "${cert.issuer}" retrieved`;
    } else {
      await c.store.completeFetch(rec.deviceName, { kind: 'none' });
    }
    return this.end(CapfReason.NO_ACTION, 'fetch', 'fetched', 'ok', detail);
  }
}

function fmt(r: KeyRequest): string {
  return r.keyType === 'RSA' ? `RSA ${r.keySize}` : `EC P-${r.keySize}`;
}

/** Runs one session on an accepted connection; never throws. */
export function runCapfSession(ctx: SessionContext): Promise<SessionRecord> {
  return new ServerSession(ctx).run();
}
