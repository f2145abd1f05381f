// Reads a server's first flight from the bytes it sent: ServerHello, then (TLS <= 1.2, plaintext) Certificate,
// ServerKeyExchange, CertificateRequest, ServerHelloDone, or (TLS 1.3, decrypted when the handshake secret is known)
// EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished. Alerts end the flight. Pure and
// synchronous: bytes in, a summary out; anything malformed throws TlsWireError, nothing else.
import { findSuite, type TlsVersionName } from '../ciphers/tls/suite-catalogue.js';
import {
  CONTENT_TYPE,
  HANDSHAKE_TYPE,
  HandshakeAssembler,
  TlsWireError,
  handshakeName,
  parseAlert,
  parseCertificate12,
  parseCertificate13,
  parseCertificateRequest12,
  parseCertificateRequest13,
  parseCertificateVerify,
  parseServerHello,
  parseServerKeyExchange,
  readRecords,
  type CertificateRequestInfo,
  type HandshakeMessage,
  type ServerHello,
  type ServerKeyExchange,
  type TlsAlert,
} from './tls-wire.js';
import { RecordDecrypter, isTls13Suite } from './tls13-keys.js';

/** Gives the server_handshake_traffic_secret for a TLS 1.3 ServerHello, when it can be known. */
export type Tls13SecretSource = (serverHello: ServerHello, serverHelloRaw: Buffer) => Buffer | undefined;

export interface ServerFlight {
  serverHello?: ServerHello;
  version?: TlsVersionName;
  suite?: number;
  /** DER chain, leaf first. */
  certificates?: Buffer[];
  serverKeyExchange?: ServerKeyExchange;
  certificateRequest?: CertificateRequestInfo;
  certificateVerify?: { sigalg: number; signatureLength: number };
  /** The first alert the server sent (plaintext, or decrypted in TLS 1.3). */
  alert?: TlsAlert;
  /** ServerHelloDone (TLS <= 1.2) or the server's Finished (TLS 1.3) was read. */
  complete: boolean;
  /** Handshake messages in arrival order, by name. */
  messages: string[];
  /** Why the encrypted part of a TLS 1.3 flight was not read. */
  encryptedNote?: string;
  /** Bytes received. */
  bytes: number;
}

export interface ServerFlightOptions {
  tls13Secret?: Tls13SecretSource;
  /** Refuse flights larger than this (default 512 KiB). */
  maxBytes?: number;
}

export class ServerFlightReader {
  readonly flight: ServerFlight = { complete: false, messages: [], bytes: 0 };
  private pending: Buffer = Buffer.alloc(0);
  private readonly plain = new HandshakeAssembler();
  private readonly inner = new HandshakeAssembler();
  private decrypter: RecordDecrypter | undefined;
  /** TLS <= 1.2 after the server's ChangeCipherSpec: the rest is encrypted and ignored. */
  private ccsSeen = false;
  private stopped = false;
  private readonly maxBytes: number;

  constructor(private readonly opts: ServerFlightOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 512 * 1024;
  }

  /** True once nothing more is worth reading: flight complete, an alert, a HelloRetryRequest, or unreadable. */
  get done(): boolean {
    return this.stopped;
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.flight.bytes += chunk.length;
    if (this.flight.bytes > this.maxBytes) throw new TlsWireError(`server sent over ${this.maxBytes} bytes without finishing its flight`, this.maxBytes, 'server flight');
    const base = this.flight.bytes - chunk.length - this.pending.length;
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const { records, consumed } = readRecords(buf, base);
    this.pending = Buffer.from(buf.subarray(consumed));
    for (const rec of records) {
      if (this.stopped) break;
      this.onRecord(rec.type, rec.fragment, rec.header, rec.offset);
    }
  }

  private stop(): void {
    this.stopped = true;
  }

  private onRecord(type: number, fragment: Buffer, header: Buffer, offset: number): void {
    const f = this.flight;
    if (type === CONTENT_TYPE.alert) {
      if (this.ccsSeen) return this.stop(); // encrypted alert after ChangeCipherSpec: unreadable
      f.alert = parseAlert(fragment);
      return this.stop();
    }
    if (type === CONTENT_TYPE.changeCipherSpec) {
      if (fragment.length !== 1 || fragment[0] !== 1) throw new TlsWireError(`ChangeCipherSpec of ${fragment.length} byte(s), value ${fragment[0]}`, offset + 5, 'ChangeCipherSpec');
      if (f.serverHello && f.version !== 'TLSv1.3') {
        this.ccsSeen = true;
        this.stop();
      }
      return; // TLS 1.3 middlebox-compatibility CCS: ignored
    }
    if (type === CONTENT_TYPE.heartbeat) return;
    if (type === CONTENT_TYPE.applicationData) {
      if (!f.serverHello) throw new TlsWireError('application data before ServerHello', offset, 'record');
      if (f.version !== 'TLSv1.3') throw new TlsWireError(`application data during a ${f.version ?? 'pre-TLS 1.3'} handshake`, offset, 'record');
      if (!this.decrypter) return this.stop();
      const { type: innerType, content } = this.decryptOrStop(header, fragment, offset);
      if (innerType < 0) return;
      if (innerType === CONTENT_TYPE.alert) {
        f.alert = parseAlert(content);
        return this.stop();
      }
      if (innerType !== CONTENT_TYPE.handshake) throw new TlsWireError(`encrypted content type ${innerType} during the handshake`, offset, 'TLS 1.3 record');
      for (const m of this.inner.push(content)) {
        this.onEncryptedHandshake(m);
        if (this.stopped) break;
      }
      return;
    }
    // handshake
    if (f.version === 'TLSv1.3') throw new TlsWireError('plaintext handshake record after a TLS 1.3 ServerHello', offset, 'record');
    for (const m of this.plain.push(fragment)) {
      this.onPlainHandshake(m);
      if (this.stopped) break;
    }
  }

  private decryptOrStop(header: Buffer, fragment: Buffer, offset: number): { type: number; content: Buffer } {
    try {
      return this.decrypter!.decrypt(header, fragment, offset);
    } catch (e) {
      this.flight.encryptedNote = `cannot decrypt the server's handshake: ${(e as Error).message}`;
      this.stop();
      return { type: -1, content: Buffer.alloc(0) };
    }
  }

  private onPlainHandshake(m: HandshakeMessage): void {
    const f = this.flight;
    if (!f.serverHello) {
      if (m.type === 0) return; // HelloRequest: ignored
      if (m.type !== HANDSHAKE_TYPE.serverHello) throw new TlsWireError(`${handshakeName(m.type)} before ServerHello`, 0, 'handshake');
      const sh = parseServerHello(m.body);
      f.serverHello = sh;
      f.messages.push(sh.helloRetryRequest ? 'helloRetryRequest' : 'serverHello');
      f.version = sh.version;
      f.suite = sh.suite;
      if (sh.helloRetryRequest) return this.stop();
      if (sh.versionCode === 0x0304) {
        if (!isTls13Suite(sh.suite)) throw new TlsWireError(`TLS 1.3 ServerHello with suite 0x${sh.suite.toString(16).padStart(4, '0')}`, 0, 'ServerHello');
        const secret = this.opts.tls13Secret?.(sh, m.raw);
        if (secret) this.decrypter = new RecordDecrypter(sh.suite, secret);
        else {
          f.encryptedNote = 'the rest of the TLS 1.3 flight is encrypted and no key is available';
          this.stop();
        }
      }
      return;
    }
    if (f.version === 'TLSv1.3') throw new TlsWireError(`plaintext ${handshakeName(m.type)} after a TLS 1.3 ServerHello`, 0, 'handshake');
    f.messages.push(handshakeName(m.type));
    const v = f.serverHello.versionCode;
    switch (m.type) {
      case HANDSHAKE_TYPE.certificate:
        f.certificates = parseCertificate12(m.body);
        break;
      case HANDSHAKE_TYPE.serverKeyExchange: {
        const s = findSuite(f.serverHello.suite);
        if (s && (s.keyExchange === 'ECDHE' || s.keyExchange === 'DHE')) f.serverKeyExchange = parseServerKeyExchange(m.body, s.keyExchange, v, s.authentication === 'none');
        break;
      }
      case HANDSHAKE_TYPE.certificateRequest:
        f.certificateRequest = parseCertificateRequest12(m.body, v);
        break;
      case HANDSHAKE_TYPE.serverHelloDone:
        if (m.body.length !== 0) throw new TlsWireError(`ServerHelloDone with a ${m.body.length}-byte body`, 0, 'ServerHelloDone');
        f.complete = true;
        break;
      case HANDSHAKE_TYPE.certificateStatus:
      case HANDSHAKE_TYPE.newSessionTicket:
      case HANDSHAKE_TYPE.finished:
        break;
      default:
        throw new TlsWireError(`unexpected ${handshakeName(m.type)} in a ${f.version ?? 'TLS'} server flight`, 0, 'handshake');
    }
  }

  private onEncryptedHandshake(m: HandshakeMessage): void {
    const f = this.flight;
    f.messages.push(handshakeName(m.type));
    switch (m.type) {
      case HANDSHAKE_TYPE.encryptedExtensions:
        break;
      case HANDSHAKE_TYPE.certificateRequest:
        f.certificateRequest = parseCertificateRequest13(m.body);
        break;
      case HANDSHAKE_TYPE.certificate:
        f.certificates = parseCertificate13(m.body).certificates;
        break;
      case HANDSHAKE_TYPE.certificateVerify:
        f.certificateVerify = parseCertificateVerify(m.body);
        break;
      case HANDSHAKE_TYPE.finished:
        f.complete = true;
        this.stop();
        break;
      default:
        throw new TlsWireError(`unexpected ${handshakeName(m.type)} in a TLS 1.3 server flight`, 0, 'handshake');
    }
  }
}
