// The one file service behind TFTP, HTTP 6970 and HTTPS 6971/6972: maps a requested name to bytes, with CUCM's
// naming, fallback and signing rules. Generated files (signed, encrypted) are cached until the source announces a
// change, so a regeneration gives phones new files and a new encryption key, as CUCM does.
import { X509Certificate } from 'node:crypto';
import { logger } from '../../common/log.js';
import { buildStubConfig, encryptConfig, signFile, type Signer } from '../trust/index.js';
import { generateCnfXml, generateXmlDefault } from './cnf-xml.js';
import { defaultConfigFor, effectiveSecurityMode, phoneConfigFor } from './device-config.js';
import { normalizeMacAddress, type ClusterInputs, type DeviceRecord, type FileBytes, type ProvisioningSource, type SourceChange } from './provisioning-source.js';

const log = logger('tftp');

export type FrontDoor = 'tftp' | 'http' | 'https-6971' | 'https-6972';

export interface RequestContext {
  frontDoor: FrontDoor;
  /** The client certificate (DER) presented on an HTTPS front door. */
  clientCertificate?: Uint8Array;
  remoteAddress?: string;
}

export type ResolveResult =
  | {
      status: 'ok';
      /** The canonical file name (Cisco's spelling). */
      name: string;
      body: Buffer;
      contentType: string;
      /** What was served, for the journal: "ITL", "full config, signed (sha1)", "stub config (encryption on)" … */
      served: string;
    }
  | { status: 'not-found' | 'forbidden' | 'error'; name?: string; reason: string };

/** Who must present their LSC on the HTTPS front doors to get their configuration files. */
export type LscRequirement = 'ecdsa-lsc-encrypted' | 'lsc-encrypted' | 'never';

export interface FileServiceOptions {
  /**
   * Answer `SEP<MAC>.cnf.xml.sgn` on 6971 with the unsigned file (usecallmanager.nz, anchors §3: the HTTPS channel
   * authenticates the server). Default true.
   */
  unsignedConfigOnHttps6971?: boolean;
  /** Default 'ecdsa-lsc-encrypted': "Clients that are enrolled with ECDSA LSCs and Encrypted TFTP configurations are required to present their LSC" (004 L264). */
  requireLsc?: LscRequirement;
  /** Time written into signed files; default now. */
  now?: () => Date;
  /** Bound on cached generated files; default 4096 (the oldest go first). */
  maxCacheEntries?: number;
}

type ConfigVariant = '' | '.sgn' | '.enc.sgn';

type FileRef =
  | { kind: 'itl' | 'ctl'; mac?: string }
  | { kind: 'config'; mac: string; variant: ConfigVariant }
  | { kind: 'xml-default'; signed: boolean }
  | { kind: 'static'; name: string; signed: boolean };

const MAX_NAME = 255;
const OCTETS = 'application/octet-stream';
const XML = 'text/xml; charset=utf-8';

export class FileNameError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FileNameError';
  }
}

/**
 * Checks a requested name and strips one leading "/". Refuses anything that could leave the served set: "." and
 * ".." segments, empty segments, backslashes, drive letters, control characters, over-long names.
 */
export function checkRequestedName(raw: string): string {
  if (raw.length > MAX_NAME) throw new FileNameError(`file name of ${raw.length} characters (at most ${MAX_NAME})`);
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new FileNameError('control character in the file name');
  const name = raw.startsWith('/') ? raw.slice(1) : raw;
  if (name === '') throw new FileNameError('no file name (directory listings are not served)');
  if (name.includes('\\')) throw new FileNameError('path traversal: backslash in the file name');
  if (/^[A-Za-z]:/.test(name)) throw new FileNameError('path traversal: drive letter in the file name');
  for (const seg of name.split('/')) {
    if (seg === '..' || seg === '.') throw new FileNameError(`path traversal: "${seg}" segment`);
    if (seg === '') throw new FileNameError('path traversal: empty path segment');
  }
  return name;
}

/** What a request names. Cisco's file names are matched without regard to case [decision: docs/decisions.md]. */
function classify(name: string, staticNames: ReadonlyMap<string, string>): FileRef | undefined {
  const lower = name.toLowerCase();
  if (lower === 'itlfile.tlv') return { kind: 'itl' };
  if (lower === 'ctlfile.tlv') return { kind: 'ctl' };
  if (lower === 'xmldefault.cnf.xml') return { kind: 'xml-default', signed: false };
  if (lower === 'xmldefault.cnf.xml.sgn') return { kind: 'xml-default', signed: true };
  let m = /^(itl|ctl)sep([0-9a-f]{12})\.tlv$/.exec(lower);
  if (m) return { kind: m[1] as 'itl' | 'ctl', mac: m[2]!.toUpperCase() };
  m = /^sep([0-9a-f]{12})\.cnf\.xml(\.sgn|\.enc\.sgn)?$/.exec(lower);
  if (m) return { kind: 'config', mac: m[1]!.toUpperCase(), variant: (m[2] ?? '') as ConfigVariant };
  const exact = staticNames.get(lower);
  if (exact) return { kind: 'static', name: exact, signed: false };
  if (lower.endsWith('.sgn')) {
    const base = staticNames.get(lower.slice(0, -4));
    if (base) return { kind: 'static', name: base, signed: true };
  }
  return undefined;
}

function bytesOf(f: FileBytes): Buffer {
  const b = typeof f === 'function' ? f() : f;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function keyTypeOf(der: Uint8Array | undefined): string | undefined {
  if (!der) return undefined;
  try {
    return new X509Certificate(der).publicKey.asymmetricKeyType;
  } catch {
    return undefined;
  }
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) => !!a && !!b && Buffer.from(a).equals(Buffer.from(b));

interface EncryptionKey {
  kind: 'manual' | 'LSC' | 'MIC';
  manualKey?: Uint8Array;
  certificate?: Uint8Array;
}

/** The key an .enc.sgn is made for: the manual key, else the LSC, else the MIC, when RSA (the key is RSA-wrapped). */
export function encryptionKeyFor(d: DeviceRecord): EncryptionKey | undefined {
  if (d.manualKey) return { kind: 'manual', manualKey: d.manualKey };
  if (keyTypeOf(d.lsc) === 'rsa') return { kind: 'LSC', certificate: d.lsc! };
  if (keyTypeOf(d.mic) === 'rsa') return { kind: 'MIC', certificate: d.mic! };
  return undefined;
}

interface Encrypted {
  encSgn: Buffer;
  stubXml: string;
  stubSgn: Buffer;
}

export class FileService {
  readonly #source: ProvisioningSource;
  readonly #o: Required<Omit<FileServiceOptions, 'now'>> & { now: () => Date };
  readonly #cache = new Map<string, Buffer | string | Encrypted>();
  readonly #unsubscribe: (() => void) | undefined;

  constructor(source: ProvisioningSource, o: FileServiceOptions = {}) {
    this.#source = source;
    this.#o = {
      unsignedConfigOnHttps6971: o.unsignedConfigOnHttps6971 ?? true,
      requireLsc: o.requireLsc ?? 'ecdsa-lsc-encrypted',
      now: o.now ?? (() => new Date()),
      maxCacheEntries: o.maxCacheEntries ?? 4096,
    };
    this.#unsubscribe = source.onChange?.((c) => this.#onChange(c));
  }

  /** Stops listening to the source. */
  close(): void {
    this.#unsubscribe?.();
  }

  /** Drops cached files: one device's, or all. */
  invalidate(mac?: string): void {
    if (mac === undefined) this.#cache.clear();
    else {
      const m = normalizeMacAddress(mac);
      for (const k of [...this.#cache.keys()]) if (k.startsWith(`dev:${m}:`)) this.#cache.delete(k);
    }
  }

  /** Cached entries (for tests and reports). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  #onChange(c: SourceChange): void {
    log.debug(`source change (${c.scope}${c.scope === 'device' ? ' ' + c.mac : ''}${c.reason ? ': ' + c.reason : ''}): cached files dropped`);
    this.invalidate(c.scope === 'device' ? c.mac : undefined);
  }

  #cached<T extends Buffer | string | Encrypted>(key: string, make: () => T): T {
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit as T;
    const v = make();
    if (this.#cache.size >= this.#o.maxCacheEntries) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, v);
    return v;
  }

  /** Resolves a request to a file or a refusal. Never throws: generation failures are status 'error'. */
  resolve(requested: string, ctx: RequestContext): ResolveResult {
    let name: string;
    try {
      name = checkRequestedName(requested);
    } catch (e) {
      if (e instanceof FileNameError) return { status: 'forbidden', reason: e.reason };
      throw e;
    }
    try {
      const cluster = this.#source.cluster();
      const statics = new Map([...(cluster.staticFiles?.keys() ?? [])].map((n) => [n.toLowerCase(), n]));
      const ref = classify(name, statics);
      if (!ref) return { status: 'not-found', reason: `no such file: ${name}` };
      return this.#serve(ref, cluster, ctx);
    } catch (e) {
      log.error(`${name} (${ctx.frontDoor}): ${(e as Error).message}`);
      return { status: 'error', name, reason: `could not build ${name}: ${(e as Error).message}` };
    }
  }

  #signer(cluster: ClusterInputs): Signer {
    return { certDer: cluster.tftpSigner.certDer, privateKey: cluster.tftpSigner.privateKey };
  }

  #digest(cluster: ClusterInputs): 'sha1' | 'sha512' {
    return cluster.parameters.tftpFileSignatureAlgorithm ?? 'sha1';
  }

  #serve(ref: FileRef, cluster: ClusterInputs, ctx: RequestContext): ResolveResult {
    const digest = this.#digest(cluster);
    const timestamp = this.#o.now();
    switch (ref.kind) {
      case 'itl':
      case 'ctl': {
        const base = ref.kind === 'itl' ? 'ITLFile.tlv' : 'CTLFile.tlv';
        if (ref.kind === 'ctl' && !cluster.ctl) return { status: 'not-found', name: base, reason: 'the cluster is not in mixed mode: there is no CTL' };
        if (ref.mac === undefined) {
          const body = this.#cached(`cluster:${ref.kind}`, () => bytesOf(ref.kind === 'itl' ? cluster.itl : cluster.ctl!));
          return { status: 'ok', name: base, body, contentType: OCTETS, served: ref.kind.toUpperCase() };
        }
        const name = `${ref.kind.toUpperCase()}SEP${ref.mac}.tlv`;
        if (!this.#source.device(ref.mac)) return { status: 'not-found', name, reason: `no device SEP${ref.mac} in the database` };
        const own = this.#source.deviceTrustList?.(ref.kind, ref.mac);
        const body = own ? bytesOf(own) : this.#cached(`cluster:${ref.kind}`, () => bytesOf(ref.kind === 'itl' ? cluster.itl : cluster.ctl!));
        return { status: 'ok', name, body, contentType: OCTETS, served: `${ref.kind.toUpperCase()} for SEP${ref.mac}` };
      }
      case 'xml-default': {
        const xml = this.#cached('cluster:xmldefault', () => generateXmlDefault(defaultConfigFor(cluster.parameters)));
        if (!ref.signed) return { status: 'ok', name: 'XMLDefault.cnf.xml', body: Buffer.from(xml, 'utf8'), contentType: XML, served: 'default config' };
        const body = this.#cached('cluster:xmldefault.sgn', () => signFile('XMLDefault.cnf.xml', xml, this.#signer(cluster), { digest, timestamp }));
        return { status: 'ok', name: 'XMLDefault.cnf.xml.sgn', body, contentType: OCTETS, served: `default config, signed (${digest})` };
      }
      case 'static': {
        const raw = Buffer.from(cluster.staticFiles!.get(ref.name)!);
        if (!ref.signed) return { status: 'ok', name: ref.name, body: raw, contentType: ref.name.endsWith('.xml') ? XML : OCTETS, served: 'static file' };
        const body = this.#cached(`cluster:static.sgn:${ref.name}`, () => signFile(ref.name, raw, this.#signer(cluster), { digest, timestamp }));
        return { status: 'ok', name: `${ref.name}.sgn`, body, contentType: OCTETS, served: `static file, signed (${digest})` };
      }
      case 'config':
        return this.#config(ref.mac, ref.variant, cluster, ctx);
    }
  }

  #config(mac: string, requested: ConfigVariant, cluster: ClusterInputs, ctx: RequestContext): ResolveResult {
    const base = `SEP${mac}.cnf.xml`;
    const requestedName = base + requested;
    const device = this.#source.device(mac);
    if (!device) return { status: 'not-found', name: requestedName, reason: `no device SEP${mac} in the database (auto-registration uses XMLDefault.cnf.xml)` };
    const encrypted = device.securityProfile.tftpEncryptedConfig === true;
    const https = ctx.frontDoor === 'https-6971' || ctx.frontDoor === 'https-6972';
    const lscPresented = https && sameBytes(ctx.clientCertificate, device.lsc);

    if (https && !lscPresented && this.#lscRequired(device)) {
      const why = ctx.clientCertificate ? 'the client certificate is not its LSC' : 'no client certificate was presented';
      return { status: 'forbidden', name: requestedName, reason: `SEP${mac} must present its LSC (${keyTypeOf(device.lsc) === 'ec' ? 'ECDSA LSC' : 'LSC'} and TFTP Encrypted Config): ${why}` };
    }

    let variant = requested;
    let note = '';
    if (ctx.frontDoor === 'https-6971' && requested === '.sgn' && this.#o.unsignedConfigOnHttps6971) {
      variant = '';
      note = ', unsigned on 6971';
    }
    const digest = this.#digest(cluster);
    const timestamp = this.#o.now();
    const signer = this.#signer(cluster);
    const mixedMode = cluster.ctl !== undefined;
    const key = encrypted ? encryptionKeyFor(device) : undefined;
    const fullXml = () =>
      this.#cached(`dev:${mac}:full`, () => {
        const ctxCfg = { parameters: cluster.parameters, mixedMode, ...(key?.certificate ? { encryptionCertificate: key.certificate } : {}) };
        if (effectiveSecurityMode(device, mixedMode) !== device.securityProfile.deviceSecurityMode) {
          log.warn(`SEP${mac}: profile asks for ${device.securityProfile.deviceSecurityMode} mode but the cluster is not in mixed mode; the config says non-secure`);
        }
        return generateCnfXml(phoneConfigFor(device, ctxCfg));
      });
    const ok = (body: Buffer | string, served: string, signed: boolean): ResolveResult => ({
      status: 'ok',
      name: requestedName,
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      contentType: signed ? OCTETS : XML,
      served: served + note,
    });

    if (!encrypted) {
      if (variant === '.enc.sgn') {
        return { status: 'not-found', name: requestedName, reason: `TFTP Encrypted Config is off for SEP${mac}: file not found (the phone then asks for ${base}.sgn)` };
      }
      if (variant === '') return ok(fullXml(), 'full config', false);
      return ok(this.#cached(`dev:${mac}:full.sgn`, () => signFile(base, fullXml(), signer, { digest, timestamp })), `full config, signed (${digest})`, true);
    }

    // Encryption on. A mutually authenticated HTTPS request from the phone's LSC gets the full config in the clear
    // on that channel [inferred]: that is what ECDSA-LSC phones, whose key cannot unwrap an .enc.sgn key, rely on.
    if (lscPresented && variant !== '.enc.sgn') {
      if (variant === '') return ok(fullXml(), 'full config (encryption on, LSC presented over HTTPS)', false);
      return ok(this.#cached(`dev:${mac}:full.sgn`, () => signFile(base, fullXml(), signer, { digest, timestamp })), `full config, signed (${digest}) (LSC presented over HTTPS)`, true);
    }
    if (!key) {
      if (variant === '.enc.sgn') {
        return { status: 'not-found', name: requestedName, reason: `SEP${mac} has no RSA phone certificate (LSC/MIC) or symmetric key to encrypt its config to` };
      }
      // The minimal config without <certHash>: the phone detects the problem and may start a CAPF session (001 L6091).
      const stub = this.#cached(`dev:${mac}:stub`, () => buildStubConfig(fullXml()));
      if (variant === '') return ok(stub, 'stub config (encryption on, no key)', false);
      return ok(this.#cached(`dev:${mac}:stub.sgn`, () => signFile(base, stub, signer, { digest, timestamp })), `stub config, signed (${digest}) (encryption on, no key)`, true);
    }
    const enc = this.#cached(`dev:${mac}:enc`, (): Encrypted => {
      const k = key.kind === 'manual' ? { manualKey: key.manualKey! } : { phoneCertificate: key.certificate! };
      const e = encryptConfig(fullXml(), k, signer, { name: base, digest, timestamp });
      return { encSgn: e.encSgn, stubXml: e.stubXml!, stubSgn: e.stubSgn! };
    });
    if (variant === '.enc.sgn') return ok(enc.encSgn, `encrypted config (${key.kind === 'manual' ? 'manual key' : `key wrapped to the ${key.kind}`}, ${digest})`, true);
    // "If the TFTP Encrypted Config setting is enabled but the phone requests an unencrypted configuration file …
    // the TFTP server offers an unencrypted file that contains minimal configuration settings" (001 L6091).
    if (variant === '') return ok(enc.stubXml, 'stub config (encryption on)', false);
    return ok(enc.stubSgn, `stub config, signed (${digest}) (encryption on)`, true);
  }

  #lscRequired(d: DeviceRecord): boolean {
    if (d.securityProfile.tftpEncryptedConfig !== true || !d.lsc) return false;
    switch (this.#o.requireLsc) {
      case 'never':
        return false;
      case 'lsc-encrypted':
        return true;
      case 'ecdsa-lsc-encrypted':
        return keyTypeOf(d.lsc) === 'ec';
    }
  }
}
