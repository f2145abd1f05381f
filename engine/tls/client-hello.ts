// TLS ClientHello reader (RFC 5246 7.4.1.2, RFC 8446 4.1.2): what the client offers, read before OpenSSL sees it, so
// the listener can log offers, explain refusals and let the client's curve preference win (seed 001 L2017).
// Wire codec only: no policy here.
import { TLS_VERSION_CODES, type TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';

export interface ClientHelloInfo {
  /** legacy_version of the ClientHello body (0x0303 for TLS 1.2 and 1.3 clients). */
  readonly legacyVersion: number;
  /** Versions offered: supported_versions when present, else every version up to legacyVersion from TLS 1.0. */
  readonly versions: readonly TlsVersionName[];
  /** cipher_suites in the client's order, GREASE and signalling values included. */
  readonly cipherSuites: readonly number[];
  /** supported_groups (named groups, RFC 8422 5.1.1 / RFC 8446 4.2.7), client order; undefined when not sent. */
  readonly groups: readonly number[] | undefined;
  /** signature_algorithms (RFC 8446 4.2.3 code points); undefined when not sent. */
  readonly sigalgs: readonly number[] | undefined;
  /** Groups with a TLS 1.3 key_share entry, client order. */
  readonly keyShareGroups: readonly number[];
  readonly serverName: string | undefined;
  readonly alpn: readonly string[];
  readonly extensions: readonly number[];
  /** Byte length of the whole handshake message (header included). */
  readonly length: number;
}

export class ClientHelloError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'ClientHelloError';
  }
}

/** Named groups by code (IANA TLS Supported Groups). Names are the ones node's `ecdhCurve` and OpenSSL accept. */
export const GROUP_NAMES: Readonly<Record<number, string>> = {
  23: 'P-256',
  24: 'P-384',
  25: 'P-521',
  29: 'X25519',
  30: 'X448',
  256: 'ffdhe2048',
  257: 'ffdhe3072',
  258: 'ffdhe4096',
  259: 'ffdhe6144',
  260: 'ffdhe8192',
};

/** Names made up for code points without one, kept so that each is formatted once (every hello has GREASE values). */
const madeUpNames = new Map<number, string>();

function madeUpName(kind: 'group' | 'sigalg', code: number): string {
  const key = kind === 'group' ? code : code + 0x10000;
  let n = madeUpNames.get(key);
  if (n === undefined) {
    n = `${kind}(0x${code.toString(16).padStart(4, '0')})`;
    if (madeUpNames.size < 4096) madeUpNames.set(key, n);
  }
  return n;
}

export function groupName(code: number): string {
  return GROUP_NAMES[code] ?? madeUpName('group', code);
}

/** Groups by name, accepting OpenSSL's aliases. */
export function groupCode(name: string): number | undefined {
  const n = name.trim().toLowerCase();
  const alias: Record<string, number> = { prime256v1: 23, secp256r1: 23, secp384r1: 24, secp521r1: 25 };
  if (alias[n] !== undefined) return alias[n];
  for (const [code, gn] of Object.entries(GROUP_NAMES)) if (gn.toLowerCase() === n) return Number(code);
  return undefined;
}

/** Signature schemes (RFC 8446 4.2.3; 0x0201/0x0203 are the TLS 1.2 SHA-1 pairs) with OpenSSL's names. */
export const SIGALG_NAMES: Readonly<Record<number, string>> = {
  0x0201: 'rsa_pkcs1_sha1',
  0x0203: 'ecdsa_sha1',
  0x0301: 'rsa_pkcs1_sha224',
  0x0303: 'ecdsa_sha224',
  0x0401: 'rsa_pkcs1_sha256',
  0x0403: 'ecdsa_secp256r1_sha256',
  0x0501: 'rsa_pkcs1_sha384',
  0x0503: 'ecdsa_secp384r1_sha384',
  0x0601: 'rsa_pkcs1_sha512',
  0x0603: 'ecdsa_secp521r1_sha512',
  0x0804: 'rsa_pss_rsae_sha256',
  0x0805: 'rsa_pss_rsae_sha384',
  0x0806: 'rsa_pss_rsae_sha512',
  0x0807: 'ed25519',
  0x0808: 'ed448',
  0x0809: 'rsa_pss_pss_sha256',
  0x080a: 'rsa_pss_pss_sha384',
  0x080b: 'rsa_pss_pss_sha512',
};

export function sigalgName(code: number): string {
  return SIGALG_NAMES[code] ?? madeUpName('sigalg', code);
}

const VERSION_BY_CODE = new Map<number, TlsVersionName>(
  Object.entries(TLS_VERSION_CODES).map(([name, code]) => [code, name as TlsVersionName]),
);

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
/** A ClientHello larger than this is refused (real ones are well under 2 KiB; post-quantum ones under 8 KiB). */
export const MAX_CLIENT_HELLO = 64 * 1024;

/**
 * Looks at the bytes received so far. Returns 'incomplete' while more bytes are needed, the parsed hello once the
 * whole handshake message has arrived (it may span several records), and throws ClientHelloError for anything that
 * is not a TLS ClientHello.
 */
export function readClientHello(buf: Buffer): ClientHelloInfo | 'incomplete' {
  const body: Buffer[] = [];
  let have = 0;
  let need = -1;
  let off = 0;
  while (off + 5 <= buf.length) {
    const type = buf[off]!;
    if (off === 0 && type !== RECORD_HANDSHAKE) {
      if (type & 0x80) throw new ClientHelloError('SSLv2-format ClientHello: not supported (SSLv3/TLS records only)', 0);
      const ascii = buf.subarray(0, Math.min(buf.length, 8)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
      throw new ClientHelloError(`not a TLS handshake record: first byte 0x${type.toString(16).padStart(2, '0')} ("${ascii}")`, 0);
    }
    if (type !== RECORD_HANDSHAKE) throw new ClientHelloError(`record type ${type} inside the ClientHello (expected 22, handshake)`, off);
    if (buf[off + 1] !== 3) throw new ClientHelloError(`record version ${buf[off + 1]}.${buf[off + 2]} (expected 3.x)`, off + 1);
    const len = buf.readUInt16BE(off + 3);
    if (len === 0 || len > 16384 + 2048) throw new ClientHelloError(`record length ${len} out of range`, off + 3);
    if (off + 5 + len > buf.length) break;
    body.push(buf.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (need < 0 && have >= 4) {
      const hs = joined(body, have);
      if (hs[0] !== HANDSHAKE_CLIENT_HELLO) throw new ClientHelloError(`handshake type ${hs[0]} (expected 1, ClientHello)`, 5);
      need = 4 + hs.readUIntBE(1, 3);
      if (need > MAX_CLIENT_HELLO) throw new ClientHelloError(`ClientHello of ${need} bytes exceeds ${MAX_CLIENT_HELLO}`, 6);
    }
    if (need >= 0 && have >= need) return parseBody(joined(body, have).subarray(0, need));
  }
  if (buf.length > MAX_CLIENT_HELLO + 5 * 8) throw new ClientHelloError('no complete ClientHello within the size limit', 0);
  return 'incomplete';
}

/** The handshake bytes of the records so far: a view when they came in one record (the usual case), else a copy. */
function joined(body: Buffer[], total: number): Buffer {
  return body.length === 1 ? body[0]! : Buffer.concat(body, total);
}

class Reader {
  constructor(
    readonly b: Buffer,
    public o: number,
    readonly end: number,
    readonly base: number,
  ) {}
  /** `what` names the field in errors; `id` (an extension type) is appended to it, so no name is built per field. */
  need(n: number, what: string, id?: number): void {
    if (this.o + n > this.end) throw new ClientHelloError(`${id === undefined ? what : `${what} ${id}`} runs past its enclosing length`, this.base + this.o);
  }
  u8(what: string, id?: number): number {
    this.need(1, what, id);
    return this.b[this.o++]!;
  }
  u16(what: string, id?: number): number {
    this.need(2, what, id);
    const b = this.b;
    const v = (b[this.o]! << 8) | b[this.o + 1]!;
    this.o += 2;
    return v;
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.o += n;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  vec(lenBytes: 1 | 2, what: string, id?: number): Reader {
    const n = lenBytes === 1 ? this.u8(what, id) : this.u16(what, id);
    this.need(n, what, id);
    const r = new Reader(this.b, this.o, this.o + n, this.base);
    this.o += n;
    return r;
  }
  /** A vector skipped over (`empty`: the error when it has no elements). */
  skipVec(lenBytes: 1 | 2, what: string, empty?: string): void {
    const n = lenBytes === 1 ? this.u8(what) : this.u16(what);
    this.need(n, what);
    if (n === 0 && empty !== undefined) throw new ClientHelloError(empty, this.base + this.o);
    this.o += n;
  }
  /** A vector of uint16 values, read without a Reader of its own (`empty`: the error when it has no elements). */
  u16vec(lenBytes: 1 | 2, what: string, empty?: string): number[] {
    const n = lenBytes === 1 ? this.u8(what) : this.u16(what);
    this.need(n, what);
    const start = this.o;
    if (n === 0 && empty !== undefined) throw new ClientHelloError(empty, this.base + start);
    if (n % 2) throw new ClientHelloError(`${what} has an odd length`, this.base + start);
    this.o += n;
    const b = this.b;
    const out = new Array<number>(n >> 1);
    for (let i = 0, p = start; i < out.length; i++, p += 2) out[i] = (b[p]! << 8) | b[p + 1]!;
    return out;
  }
}

function parseBody(hs: Buffer): ClientHelloInfo {
  // Offsets in errors count from the start of the first record (5-byte record header).
  const r = new Reader(hs, 4, hs.length, 5);
  const legacyVersion = r.u16('legacy_version');
  r.skip(32, 'random');
  r.skipVec(1, 'legacy_session_id');
  const cipherSuites = r.u16vec(2, 'cipher_suites', 'empty cipher_suites');
  r.skipVec(1, 'legacy_compression_methods', 'empty compression_methods');
  let groups: number[] | undefined;
  let sigalgs: number[] | undefined;
  let supportedVersions: number[] | undefined;
  let serverName: string | undefined;
  const keyShareGroups: number[] = [];
  const alpn: string[] = [];
  const extensions: number[] = [];
  if (r.o < r.end) {
    const exts = r.vec(2, 'extensions');
    while (exts.o < exts.end) {
      const type = exts.u16('extension type');
      const len = exts.u16('extension', type);
      exts.need(len, 'extension', type);
      const at = exts.o; // the extension's data: a Reader of its own only for the extensions read here
      exts.o += len;
      extensions.push(type);
      switch (type) {
        case 0: {
          const list = new Reader(hs, at, at + len, 5).vec(2, 'server_name list');
          while (list.o < list.end) {
            const nameType = list.u8('server_name type');
            const name = list.vec(2, 'server_name');
            if (nameType === 0) serverName = name.bytes(name.end - name.o, 'host_name').toString('latin1');
          }
          break;
        }
        case 10:
          groups = new Reader(hs, at, at + len, 5).u16vec(2, 'supported_groups');
          break;
        case 13:
          sigalgs = new Reader(hs, at, at + len, 5).u16vec(2, 'signature_algorithms');
          break;
        case 16: {
          const list = new Reader(hs, at, at + len, 5).vec(2, 'ALPN list');
          while (list.o < list.end) {
            const p = list.vec(1, 'ALPN protocol');
            alpn.push(p.bytes(p.end - p.o, 'ALPN protocol').toString('latin1'));
          }
          break;
        }
        case 43:
          supportedVersions = new Reader(hs, at, at + len, 5).u16vec(1, 'supported_versions');
          break;
        case 51: {
          const list = new Reader(hs, at, at + len, 5).vec(2, 'key_share');
          while (list.o < list.end) {
            keyShareGroups.push(list.u16('key_share group'));
            list.skipVec(2, 'key_exchange');
          }
          break;
        }
        default:
          break;
      }
    }
  }
  let versions: TlsVersionName[];
  if (supportedVersions) {
    versions = supportedVersions.map((v) => VERSION_BY_CODE.get(v)).filter((v): v is TlsVersionName => v !== undefined);
  } else {
    versions = [];
    for (let v = 0x0301; v <= Math.min(legacyVersion, 0x0303); v++) versions.push(VERSION_BY_CODE.get(v)!);
  }
  return { legacyVersion, versions, cipherSuites, groups, sigalgs, keyShareGroups, serverName, alpn, extensions, length: hs.length };
}
