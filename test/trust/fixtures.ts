// Test certificates for the trust-file tests, built here with a tiny DER writer (independent of engine/trust and of
// the PKI module). Keys are generated once per process and cached by label.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { getLogLevel, setLogLevel, type LogLevel } from '../../common/log.js';

export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...p: Buffer[]) => der(0x30, ...p);

function derInt(magnitude: Buffer): Buffer {
  let m = magnitude;
  while (m.length > 1 && m[0] === 0) m = m.subarray(1);
  return der(0x02, m[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
}

function derOid(oid: string): Buffer {
  const [a, b, ...rest] = oid.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk: number[] = [];
    let v = n;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

const ATTR_OIDS: Record<string, string> = { CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11' };

/** A Name in DER order (first entry first). */
export function derName(attrs: [string, string][]): Buffer {
  return seq(...attrs.map(([k, v]) => der(0x31, seq(derOid(ATTR_OIDS[k]!), k === 'C' ? der(0x13, Buffer.from(v)) : der(0x0c, Buffer.from(v, 'utf8'))))));
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return der(0x17, Buffer.from(s));
}

export interface Identity {
  label: string;
  certDer: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  subject: [string, string][];
  serial: Buffer;
  /** The certificate's signatureValue (what a record's tag 8 carries). */
  signatureValue: Buffer;
}

export type KeySpec = { type: 'rsa'; bits: number } | { type: 'ec'; curve: 'P-256' | 'P-384' };

const keyCache = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

export function keyPair(label: string, spec: KeySpec): { privateKey: KeyObject; publicKey: KeyObject } {
  const id = `${label}/${JSON.stringify(spec)}`;
  let k = keyCache.get(id);
  if (!k) {
    k = spec.type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: spec.bits }) : generateKeyPairSync('ec', { namedCurve: spec.curve });
    keyCache.set(id, k);
  }
  return k;
}

/** Issues a certificate (self-signed unless `issuer` is given). Deterministic serial from the label unless given. */
export function makeIdentity(label: string, subject: [string, string][], spec: KeySpec, o: { issuer?: Identity; serialHex?: string } = {}): Identity {
  const keys = keyPair(label, spec);
  const serial = o.serialHex ? Buffer.from(o.serialHex, 'hex') : createHash('sha256').update(label).digest().subarray(0, 16);
  const issuerName = o.issuer ? o.issuer.subject : subject;
  const signingKey = o.issuer ? o.issuer.privateKey : keys.privateKey;
  const rsaSigner = signingKey.asymmetricKeyType === 'rsa';
  const sigAlg = rsaSigner ? seq(derOid('1.2.840.113549.1.1.11'), der(0x05)) : seq(derOid('1.2.840.10045.4.3.2'));
  const tbs = seq(
    der(0xa0, derInt(Buffer.from([2]))),
    derInt(serial),
    sigAlg,
    derName(issuerName),
    seq(utcTime(new Date('2020-01-01T00:00:00Z')), utcTime(new Date('2040-01-01T00:00:00Z'))),
    derName(subject),
    keys.publicKey.export({ format: 'der', type: 'spki' }),
  );
  const signature = sign('sha256', tbs, signingKey);
  const certDer = seq(tbs, sigAlg, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return { label, certDer, privateKey: keys.privateKey, publicKey: keys.publicKey, subject, serial, signatureValue: signature };
}

const SITE: [string, string][] = [
  ['C', 'PL'],
  ['ST', 'Malopolska'],
  ['L', 'Krakow'],
  ['O', 'Cisco'],
  ['OU', 'TAC'],
];

export interface Cluster {
  itlRecovery: Identity;
  callManager: Identity;
  callManagerEcdsa: Identity;
  tvs: Identity;
  capf: Identity;
  sub1: Identity;
  phone: Identity;
}

let cluster: Cluster | undefined;

/** A small cluster with 1024-bit RSA keys (fast) and one P-256 CallManager-ECDSA. */
export function testCluster(): Cluster {
  if (cluster) return cluster;
  const rsa = { type: 'rsa', bits: 1024 } as const;
  const capf = makeIdentity('capf', [...SITE, ['CN', 'CAPF-e41e7d87']], rsa);
  cluster = {
    itlRecovery: makeIdentity('itlrecovery', [...SITE, ['CN', 'ITLRECOVERY_cucm-pub']], rsa),
    callManager: makeIdentity('callmanager', [...SITE, ['CN', 'cucm-pub']], rsa),
    callManagerEcdsa: makeIdentity('callmanager-ecdsa', [...SITE, ['CN', 'cucm-pub-EC']], { type: 'ec', curve: 'P-256' }),
    tvs: makeIdentity('tvs', [...SITE, ['CN', 'cucm-pub']], rsa, { serialHex: '0a1b2c3d' }),
    capf,
    sub1: makeIdentity('sub1', [...SITE, ['CN', 'cucm-sub1']], rsa),
    phone: makeIdentity('phone-lsc', [['O', 'Cisco'], ['CN', 'SEP001122334455']], rsa, { issuer: capf }),
  };
  return cluster;
}

export function signerOf(id: Identity): { certDer: Buffer; privateKey: KeyObject } {
  return { certDer: id.certDer, privateKey: id.privateKey };
}

/** Keeps builder warnings (logged at warn level) out of the test output. */
export function quietLogs(): void {
  let prev: LogLevel = 'warn';
  before(() => {
    prev = getLogLevel();
    setLogLevel('error');
  });
  after(() => setLogLevel(prev));
}

/** A fixed time for reproducible files. */
export const T0 = new Date('2026-03-06T20:56:07Z');
