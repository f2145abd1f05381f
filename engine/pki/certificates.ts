// X.509 certificates and PKCS#10 requests, built with @peculiar/asn1-x509 / asn1-csr (the ASN.1 schema layer, so we
// choose every byte: string types, extension order, criticality) and signed with node:crypto. Parsing goes through
// the same schemas plus node's X509Certificate for fingerprints and signature checks.
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { createHash, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { PkiError } from './errors.js';
import { describeKey, spkiDer, toPublicKey, type KeyDescription } from './keys.js';
import { EKU_OIDS, type EkuName, type HashName, type KeyType, type KeyUsageName } from './purposes.js';

/** The subject fields CUCM fills from the node's web-security settings (`set web-security`). */
export interface DnFields {
  commonName: string;
  organizationalUnit?: string;
  organization?: string;
  locality?: string;
  state?: string;
  country?: string;
}

export interface ExtensionSpec {
  keyUsage?: KeyUsageName[];
  keyUsageCritical?: boolean;
  extendedKeyUsage?: EkuName[];
  extendedKeyUsageCritical?: boolean;
  basicConstraints?: { ca: boolean; pathLength?: number; critical: boolean };
  dnsNames?: string[];
  /** Adds subjectKeyIdentifier (RFC 5280 method 1: SHA-1 of the subjectPublicKey bits). Default true. */
  subjectKeyIdentifier?: boolean;
  authorityKeyIdentifier?: Buffer;
}

export interface CertificateInfo {
  der: Buffer;
  pem: string;
  x509: X509Certificate;
  /** RFC 4514 order, most specific first: "CN=cucm-pub, OU=…, O=…, L=…, ST=…, C=US". */
  subject: string;
  subjectCN?: string;
  issuer: string;
  issuerCN?: string;
  /** DER of the subject Name (to issue certificates under it). */
  subjectNameDer: Buffer;
  /** Serial number magnitude, big-endian, without a DER sign byte (what the ITL/CTL records carry). */
  serialNumber: Buffer;
  /** The same in lowercase hex. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  key: KeyDescription;
  signatureAlgorithmOid: string;
  signatureKeyType?: KeyType;
  signatureHash?: HashName;
  /** The certificate's own signatureValue bytes (ITL/CTL record tag 8). */
  signatureValue: Buffer;
  keyUsage?: KeyUsageName[];
  keyUsageCritical?: boolean;
  /** Names for the EKUs we know (serverAuth, clientAuth, ipsecEndSystem), dotted OIDs for the others. */
  extendedKeyUsage?: string[];
  basicConstraints?: { ca: boolean; pathLength?: number; critical: boolean };
  dnsNames: string[];
  subjectKeyId?: Buffer;
  authorityKeyId?: Buffer;
  /** Subject equals issuer and the certificate's signature verifies with its own key. */
  selfSigned: boolean;
  /** SHA-256 of the DER, lowercase hex without separators (TVS keys its store on it). */
  fingerprintSha256: string;
  fingerprintSha1: string;
}

const ATTR = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' } as const;
const SHORT: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.25': 'DC',
};

interface SigAlg {
  oid: string;
  keyType: KeyType;
  hash: HashName;
}
const SIG_ALGS: readonly SigAlg[] = [
  { oid: '1.2.840.113549.1.1.5', keyType: 'RSA', hash: 'SHA1' },
  { oid: '1.2.840.113549.1.1.11', keyType: 'RSA', hash: 'SHA256' },
  { oid: '1.2.840.113549.1.1.12', keyType: 'RSA', hash: 'SHA384' },
  { oid: '1.2.840.113549.1.1.13', keyType: 'RSA', hash: 'SHA512' },
  { oid: '1.2.840.10045.4.1', keyType: 'EC', hash: 'SHA1' },
  { oid: '1.2.840.10045.4.3.2', keyType: 'EC', hash: 'SHA256' },
  { oid: '1.2.840.10045.4.3.3', keyType: 'EC', hash: 'SHA384' },
  { oid: '1.2.840.10045.4.3.4', keyType: 'EC', hash: 'SHA512' },
];
const NODE_HASH: Readonly<Record<HashName, string>> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;
const ID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

const KU_FLAGS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: asn.KeyUsageFlags.digitalSignature,
  nonRepudiation: asn.KeyUsageFlags.nonRepudiation,
  keyEncipherment: asn.KeyUsageFlags.keyEncipherment,
  dataEncipherment: asn.KeyUsageFlags.dataEncipherment,
  keyAgreement: asn.KeyUsageFlags.keyAgreement,
  keyCertSign: asn.KeyUsageFlags.keyCertSign,
  cRLSign: asn.KeyUsageFlags.cRLSign,
};

function ab(buf: Uint8Array): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function attribute(oid: string, value: string): asn.RelativeDistinguishedName {
  // RFC 5280: countryName is a PrintableString; the other attributes UTF8String.
  const av = oid === ATTR.C ? new asn.AttributeValue({ printableString: value }) : new asn.AttributeValue({ utf8String: value });
  return new asn.RelativeDistinguishedName([new asn.AttributeTypeAndValue({ type: oid, value: av })]);
}

/** A Name in DER order C, ST, L, O, OU, CN (printed most specific first, as Cisco's `CN=…;OU=…;…;C=…`). */
export function buildName(f: DnFields): asn.Name {
  const rdns: asn.RelativeDistinguishedName[] = [];
  if (f.country) rdns.push(attribute(ATTR.C, f.country));
  if (f.state) rdns.push(attribute(ATTR.ST, f.state));
  if (f.locality) rdns.push(attribute(ATTR.L, f.locality));
  if (f.organization) rdns.push(attribute(ATTR.O, f.organization));
  if (f.organizationalUnit) rdns.push(attribute(ATTR.OU, f.organizationalUnit));
  rdns.push(attribute(ATTR.CN, f.commonName));
  return new asn.Name(rdns);
}

export function formatName(name: asn.Name): string {
  return [...name]
    .reverse()
    .map((rdn) => [...rdn].map((a) => `${SHORT[a.type] ?? a.type}=${a.value.toString()}`).join('+'))
    .join(', ');
}

function commonNameOf(name: asn.Name): string | undefined {
  for (const rdn of [...name].reverse()) for (const a of rdn) if (a.type === ATTR.CN) return a.value.toString();
  return undefined;
}

export function nameFromDer(der: Uint8Array): asn.Name {
  return AsnConvert.parse(der, asn.Name);
}

/** 16 random bytes, positive and without a leading zero octet: a 128-bit serial as CUCM writes them. */
export function randomSerial(): Buffer {
  const s = randomBytes(16);
  s[0] = (s[0]! & 0x7f) | 0x01;
  return s;
}

function signatureAlgorithm(keyType: KeyType, hash: HashName): asn.AlgorithmIdentifier {
  const alg = SIG_ALGS.find((a) => a.keyType === keyType && a.hash === hash)!;
  // RSA PKCS#1 v1.5 identifiers carry NULL parameters; ECDSA ones carry none (RFC 4055, RFC 5758).
  return keyType === 'RSA' ? new asn.AlgorithmIdentifier({ algorithm: alg.oid, parameters: DER_NULL }) : new asn.AlgorithmIdentifier({ algorithm: alg.oid });
}

function signBytes(data: Buffer, key: KeyObject, hash: HashName): Buffer {
  return sign(NODE_HASH[hash], data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key);
}

function keyIdentifier(spki: Buffer): Buffer {
  const info = AsnConvert.parse(spki, asn.SubjectPublicKeyInfo);
  return createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest();
}

function ext(oid: string, critical: boolean, value: unknown): asn.Extension {
  return new asn.Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function buildExtensions(spec: ExtensionSpec, spki: Buffer): asn.Extension[] {
  const list: asn.Extension[] = [];
  if (spec.basicConstraints) {
    const bc = new asn.BasicConstraints({ cA: spec.basicConstraints.ca });
    if (spec.basicConstraints.pathLength !== undefined) bc.pathLenConstraint = spec.basicConstraints.pathLength;
    list.push(ext(asn.id_ce_basicConstraints, spec.basicConstraints.critical, bc));
  }
  if (spec.keyUsage?.length) {
    const flags = spec.keyUsage.reduce((n, u) => n | KU_FLAGS[u], 0);
    list.push(ext(asn.id_ce_keyUsage, spec.keyUsageCritical ?? false, new asn.KeyUsage(flags)));
  }
  if (spec.extendedKeyUsage?.length) {
    list.push(ext(asn.id_ce_extKeyUsage, spec.extendedKeyUsageCritical ?? false, new asn.ExtendedKeyUsage(spec.extendedKeyUsage.map((u) => EKU_OIDS[u]))));
  }
  if (spec.dnsNames?.length) {
    list.push(ext(asn.id_ce_subjectAltName, false, new asn.SubjectAlternativeName(spec.dnsNames.map((d) => new asn.GeneralName({ dNSName: d })))));
  }
  if (spec.subjectKeyIdentifier ?? true) list.push(ext(asn.id_ce_subjectKeyIdentifier, false, new asn.SubjectKeyIdentifier(ab(keyIdentifier(spki)))));
  if (spec.authorityKeyIdentifier) {
    list.push(ext(asn.id_ce_authorityKeyIdentifier, false, new asn.AuthorityKeyIdentifier({ keyIdentifier: new asn.KeyIdentifier(ab(spec.authorityKeyIdentifier)) })));
  }
  return list;
}

export interface SignParams {
  subject: asn.Name;
  subjectPublicKey: KeyObject;
  /** Issuer name; the subject when absent (self-signed). */
  issuer?: asn.Name;
  /** The issuer's private key (the subject's own key for a self-signed certificate). */
  signingKey: KeyObject;
  hash: HashName;
  serial?: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: ExtensionSpec;
}

/** Builds and signs a certificate. Times are whole seconds (UTCTime before 2050, GeneralizedTime from 2050). */
export function signCertificate(p: SignParams): CertificateInfo {
  const signer = describeKey(p.signingKey);
  const spki = spkiDer(p.subjectPublicKey);
  const alg = signatureAlgorithm(signer.keyType, p.hash);
  const serial = p.serial ?? randomSerial();
  const serialDer = serial[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), serial]) : serial;
  const tbs = new asn.TBSCertificate({
    version: asn.Version.v3,
    serialNumber: ab(serialDer),
    signature: alg,
    issuer: p.issuer ?? p.subject,
    subject: p.subject,
    validity: new asn.Validity({ notBefore: wholeSeconds(p.notBefore), notAfter: wholeSeconds(p.notAfter) }),
    subjectPublicKeyInfo: AsnConvert.parse(spki, asn.SubjectPublicKeyInfo),
    extensions: new asn.Extensions(buildExtensions(p.extensions, spki)),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = signBytes(tbsDer, p.signingKey, p.hash);
  const cert = new asn.Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg, signatureValue: ab(signature) });
  return parseCertificate(Buffer.from(AsnConvert.serialize(cert)));
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** The DER blocks of a PEM text (any number of `label` blocks), or the input itself when it is DER. */
export function derBlocks(input: Uint8Array | string, label = 'CERTIFICATE', what = 'certificate'): Buffer[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).subarray(0, 64).toString('latin1').includes('-----BEGIN') ? Buffer.from(input).toString('latin1') : undefined;
  if (text === undefined) return [Buffer.from(input as Uint8Array)];
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const blocks = [...text.matchAll(re)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (!blocks.length) throw new PkiError('E_FORMAT', `no ${what} found: expected PEM ("-----BEGIN ${label}-----") or DER`);
  return blocks;
}

function hashOfAlg(oid: string): SigAlg | undefined {
  return SIG_ALGS.find((a) => a.oid === oid);
}

function magnitude(raw: ArrayBuffer): Buffer {
  let b = Buffer.from(raw);
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return b;
}

function extensionOf<T>(exts: asn.Extension[], oid: string, type: new () => T): { value: T; critical: boolean } | undefined {
  const e = exts.find((x) => x.extnID === oid);
  return e ? { value: AsnConvert.parse(e.extnValue.buffer, type), critical: e.critical } : undefined;
}

function readUsages(exts: asn.Extension[]): Pick<CertificateInfo, 'keyUsage' | 'keyUsageCritical' | 'extendedKeyUsage' | 'basicConstraints' | 'dnsNames' | 'subjectKeyId' | 'authorityKeyId'> {
  const out: ReturnType<typeof readUsages> = { dnsNames: [] };
  const ku = extensionOf(exts, asn.id_ce_keyUsage, asn.KeyUsage);
  if (ku) {
    const flags = ku.value.toNumber();
    out.keyUsage = (Object.keys(KU_FLAGS) as KeyUsageName[]).filter((n) => flags & KU_FLAGS[n]);
    out.keyUsageCritical = ku.critical;
  }
  const eku = extensionOf(exts, asn.id_ce_extKeyUsage, asn.ExtendedKeyUsage);
  if (eku) {
    const names = Object.entries(EKU_OIDS);
    out.extendedKeyUsage = [...eku.value].map((oid) => names.find(([, o]) => o === oid)?.[0] ?? oid);
  }
  const bc = extensionOf(exts, asn.id_ce_basicConstraints, asn.BasicConstraints);
  if (bc) out.basicConstraints = { ca: bc.value.cA, critical: bc.critical, ...(bc.value.pathLenConstraint !== undefined ? { pathLength: bc.value.pathLenConstraint } : {}) };
  const san = extensionOf(exts, asn.id_ce_subjectAltName, asn.SubjectAlternativeName);
  if (san) out.dnsNames = [...san.value].filter((g) => g.dNSName).map((g) => g.dNSName!);
  const ski = extensionOf(exts, asn.id_ce_subjectKeyIdentifier, asn.SubjectKeyIdentifier);
  if (ski) out.subjectKeyId = Buffer.from(ski.value.buffer);
  const aki = extensionOf(exts, asn.id_ce_authorityKeyIdentifier, asn.AuthorityKeyIdentifier);
  if (aki?.value.keyIdentifier) out.authorityKeyId = Buffer.from(aki.value.keyIdentifier.buffer);
  return out;
}

/** Parses one certificate (DER, or the first block of a PEM text); errors name what is wrong. */
export function parseCertificate(input: Uint8Array | string, what = 'certificate'): CertificateInfo {
  const der = derBlocks(input, 'CERTIFICATE', what)[0]!;
  let cert: asn.Certificate;
  let x509: X509Certificate;
  try {
    cert = AsnConvert.parse(der, asn.Certificate);
    x509 = new X509Certificate(der);
  } catch (err) {
    throw new PkiError('E_FORMAT', `${what}: not an X.509 certificate (${(err as Error).message})`);
  }
  const tbs = cert.tbsCertificate;
  const alg = hashOfAlg(cert.signatureAlgorithm.algorithm);
  const publicKey = x509.publicKey;
  const subject = formatName(tbs.subject);
  const issuer = formatName(tbs.issuer);
  const selfSigned = subject === issuer && safeVerify(x509, publicKey);
  const subjectCN = commonNameOf(tbs.subject);
  const issuerCN = commonNameOf(tbs.issuer);
  const serialNumber = magnitude(tbs.serialNumber);
  return {
    der,
    pem: toPem(der),
    x509,
    subject,
    ...(subjectCN !== undefined ? { subjectCN } : {}),
    issuer,
    ...(issuerCN !== undefined ? { issuerCN } : {}),
    subjectNameDer: Buffer.from(AsnConvert.serialize(tbs.subject)),
    serialNumber,
    serialHex: serialNumber.toString('hex'),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    publicKey,
    key: describeKey(publicKey),
    signatureAlgorithmOid: cert.signatureAlgorithm.algorithm,
    ...(alg ? { signatureKeyType: alg.keyType, signatureHash: alg.hash } : {}),
    signatureValue: Buffer.from(cert.signatureValue),
    ...readUsages(tbs.extensions ?? []),
    selfSigned,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    fingerprintSha1: createHash('sha1').update(der).digest('hex'),
  };
}

/** Every certificate of a PEM bundle (or the one DER certificate). */
export function parseCertificates(input: Uint8Array | string, what = 'certificate'): CertificateInfo[] {
  return derBlocks(input, 'CERTIFICATE', what).map((der, i, all) => parseCertificate(der, all.length > 1 ? `${what} #${i + 1}` : what));
}

function safeVerify(x509: X509Certificate, key: KeyObject): boolean {
  try {
    return x509.verify(key);
  } catch {
    return false;
  }
}

/** True when `issuer`'s key verifies `cert`'s signature and the names chain. */
export function isSignedBy(cert: CertificateInfo, issuer: CertificateInfo): boolean {
  return cert.issuer === issuer.subject && safeVerify(cert.x509, issuer.publicKey);
}

export interface CsrParams {
  subject: asn.Name;
  privateKey: KeyObject;
  publicKey: KeyObject;
  hash: HashName;
  extensions: ExtensionSpec;
}

export interface CsrInfo {
  der: Buffer;
  pem: string;
  subject: string;
  subjectCN?: string;
  publicKey: KeyObject;
  signatureHash?: HashName;
  keyUsage?: KeyUsageName[];
  extendedKeyUsage?: string[];
  dnsNames: string[];
}

/** A PKCS#10 request whose extensionRequest attribute carries the key usages and SANs of the purpose (Table 23). */
export function buildCsr(p: CsrParams): CsrInfo {
  const spki = spkiDer(p.publicKey);
  const extensions = new asn.Extensions(buildExtensions({ ...p.extensions, subjectKeyIdentifier: false }, spki));
  const info = new CertificationRequestInfo({
    version: 0,
    subject: p.subject,
    subjectPKInfo: AsnConvert.parse(spki, asn.SubjectPublicKeyInfo),
    attributes: new Attributes([new asn.Attribute({ type: ID_EXTENSION_REQUEST, values: [AsnConvert.serialize(extensions)] })]),
  });
  const infoDer = Buffer.from(AsnConvert.serialize(info));
  const keyType = describeKey(p.privateKey).keyType;
  const alg = signatureAlgorithm(keyType, p.hash);
  const csr = new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: alg, signature: ab(signBytes(infoDer, p.privateKey, p.hash)) });
  return parseCsr(Buffer.from(AsnConvert.serialize(csr)));
}

/** Parses a PKCS#10 request and checks its self-signature. */
export function parseCsr(input: Uint8Array | string): CsrInfo {
  const der = derBlocks(input, 'CERTIFICATE REQUEST', 'certificate signing request')[0]!;
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(der, CertificationRequest);
  } catch (err) {
    throw new PkiError('E_FORMAT', `certificate signing request: not PKCS#10 (${(err as Error).message})`);
  }
  const info = csr.certificationRequestInfo;
  const spki = Buffer.from(AsnConvert.serialize(info.subjectPKInfo));
  const publicKey = toPublicKey(spki, 'certificate signing request public key');
  const alg = hashOfAlg(csr.signatureAlgorithm.algorithm);
  const raw = csr.certificationRequestInfoRaw ? Buffer.from(csr.certificationRequestInfoRaw) : Buffer.from(AsnConvert.serialize(info));
  const sig = Buffer.from(csr.signature);
  const ok = alg !== undefined && verify(NODE_HASH[alg.hash], raw, publicKey.asymmetricKeyType === 'ec' ? { key: publicKey, dsaEncoding: 'der' } : publicKey, sig);
  if (!ok) throw new PkiError('E_CSR_SIGNATURE', 'certificate signing request: its signature does not verify with its own public key');
  const reqExt = (info.attributes ?? []).find((a) => a.type === ID_EXTENSION_REQUEST);
  const exts = reqExt?.values[0] ? [...AsnConvert.parse(reqExt.values[0], asn.Extensions)] : [];
  const usages = readUsages(exts);
  const subjectCN = commonNameOf(info.subject);
  return {
    der,
    pem: toPem(der, 'CERTIFICATE REQUEST'),
    subject: formatName(info.subject),
    ...(subjectCN !== undefined ? { subjectCN } : {}),
    publicKey,
    ...(alg ? { signatureHash: alg.hash } : {}),
    ...(usages.keyUsage ? { keyUsage: usages.keyUsage } : {}),
    ...(usages.extendedKeyUsage ? { extendedKeyUsage: usages.extendedKeyUsage } : {}),
    dnsNames: usages.dnsNames,
  };
}
