// Throwaway test PKI built with the `openssl` CLI (Debian package openssl): a cluster's CallManager (RSA) and
// CallManager-ECDSA (P-256, P-384) certificates, phone MIC/LSC chains and a SIP trunk peer. Built once per test
// process in a temporary directory that is removed at exit. Never use these keys outside tests.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type TestKeyType = 'rsa2048' | 'rsa1024' | 'p256' | 'p384' | 'p521';

export interface TestCert {
  name: string;
  keyPath: string;
  certPath: string;
  /** PEM private key. */
  key: string;
  /** PEM certificate. */
  cert: string;
  x509: X509Certificate;
}

export interface IssueOptions {
  name: string;
  /** e.g. "/CN=SEP001122334455/O=Example". */
  subject: string;
  keyType?: TestKeyType;
  /** Issuer; self-signed when absent. */
  issuer?: TestCert;
  /** subjectAltName value, e.g. "DNS:a.example,IP:127.0.0.1". */
  san?: string;
  ca?: boolean;
  days?: number;
}

export interface TestPki {
  dir: string;
  /** CallManager: RSA-2048, self-signed, SAN 127.0.0.1/localhost, serverAuth+clientAuth. */
  callManager: TestCert;
  /** CallManager-ECDSA on P-256 and on P-384 (the host part ends in -EC, seed 000 L94). */
  callManagerEcdsa: TestCert;
  callManagerEcdsa384: TestCert;
  /** Stand-in for the Cisco Manufacturing CA (MIC issuer). */
  manufacturingCa: TestCert;
  /** Stand-in for CAPF (LSC issuer). */
  capfCa: TestCert;
  /** A CA nobody trusts. */
  rogueCa: TestCert;
  /** MIC of SEP001122334455: CN=CP-7841-SEP001122334455. */
  mic: TestCert;
  /** LSC of SEP001122334455: CN=SEP001122334455, SAN URI:SEP001122334455. */
  lsc: TestCert;
  /** LSC of another phone, SEPAABBCCDDEEFF. */
  otherLsc: TestCert;
  /** Same subject as `lsc`, issued by the rogue CA. */
  rogueLsc: TestCert;
  /** Remote cluster's CallManager cert for a SIP trunk: CN=peer-cm.trustline.test, SAN DNS peer-cm-ms.trustline.test. */
  trunkPeer: TestCert;
  /** Issues another certificate in the same directory. */
  issue(opts: IssueOptions): Promise<TestCert>;
}

function keyArgs(t: TestKeyType): string[] {
  switch (t) {
    case 'rsa2048':
      return ['-newkey', 'rsa:2048'];
    case 'rsa1024':
      return ['-newkey', 'rsa:1024'];
    case 'p256':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    case 'p384':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'];
    case 'p521':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'];
  }
}

async function issueIn(dir: string, o: IssueOptions): Promise<TestCert> {
  const keyPath = path.join(dir, `${o.name}.key`);
  const certPath = path.join(dir, `${o.name}.crt`);
  const ext = [
    o.ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
    o.ca ? 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' : 'keyUsage=critical,digitalSignature,keyEncipherment',
    ...(o.ca ? [] : ['extendedKeyUsage=serverAuth,clientAuth']),
    ...(o.san ? [`subjectAltName=${o.san}`] : []),
    'subjectKeyIdentifier=hash',
  ];
  const days = String(o.days ?? 3650);
  const base = ['req', '-nodes', ...keyArgs(o.keyType ?? 'rsa2048'), '-keyout', keyPath, '-subj', o.subject, '-sha256'];
  if (!o.issuer) {
    await run('openssl', [...base, '-x509', '-days', days, ...ext.flatMap((e) => ['-addext', e]), '-out', certPath]);
  } else {
    const csr = path.join(dir, `${o.name}.csr`);
    const extFile = path.join(dir, `${o.name}.ext`);
    fs.writeFileSync(extFile, ext.join('\n') + '\nauthorityKeyIdentifier=keyid\n');
    await run('openssl', [...base, '-out', csr]);
    await run('openssl', [
      'x509', '-req', '-in', csr, '-CA', o.issuer.certPath, '-CAkey', o.issuer.keyPath, '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
      '-days', days, '-sha256', '-extfile', extFile, '-out', certPath,
    ]);
  }
  const key = fs.readFileSync(keyPath, 'utf8');
  const cert = fs.readFileSync(certPath, 'utf8');
  return { name: o.name, keyPath, certPath, key, cert, x509: new X509Certificate(cert) };
}

let pending: Promise<TestPki> | undefined;

/** The shared test PKI (built on first call, about a second). */
export function makeTestPki(): Promise<TestPki> {
  pending ??= build();
  return pending;
}

async function build(): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustline-pki-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const issue = (o: IssueOptions) => issueIn(dir, o);
  const server = 'DNS:localhost,IP:127.0.0.1';
  const [callManager, callManagerEcdsa, callManagerEcdsa384, manufacturingCa, capfCa, rogueCa, trunkPeer] = await Promise.all([
    issue({ name: 'callmanager', subject: '/CN=cucm-pub.trustline.test/OU=trustline tests/O=trustline', san: server }),
    issue({ name: 'callmanager-ecdsa', subject: '/CN=cucm-pub-EC.trustline.test/O=trustline', keyType: 'p256', san: server }),
    issue({ name: 'callmanager-ecdsa-384', subject: '/CN=cucm-pub-EC.trustline.test/O=trustline', keyType: 'p384', san: server }),
    issue({ name: 'manufacturing-ca', subject: '/CN=Test Manufacturing CA/O=trustline tests', ca: true }),
    issue({ name: 'capf', subject: '/CN=CAPF-test/OU=trustline tests/O=trustline', ca: true }),
    issue({ name: 'rogue-ca', subject: '/CN=Rogue CA/O=elsewhere', keyType: 'p256', ca: true }),
    issue({ name: 'trunk-peer', subject: '/CN=peer-cm.trustline.test/O=remote cluster', san: 'DNS:peer-cm-ms.trustline.test,IP:127.0.0.1' }),
  ]);
  const [mic, lsc, otherLsc, rogueLsc] = await Promise.all([
    issue({ name: 'mic', subject: '/CN=CP-7841-SEP001122334455/O=Cisco Systems Inc./OU=trustline tests', issuer: manufacturingCa }),
    issue({ name: 'lsc', subject: '/CN=SEP001122334455/OU=trustline tests/O=trustline', issuer: capfCa, san: 'URI:SEP001122334455' }),
    issue({ name: 'other-lsc', subject: '/CN=SEPAABBCCDDEEFF/O=trustline', issuer: capfCa, keyType: 'p256' }),
    issue({ name: 'rogue-lsc', subject: '/CN=SEP001122334455/OU=trustline tests/O=trustline', issuer: rogueCa }),
  ]);
  return { dir, callManager, callManagerEcdsa, callManagerEcdsa384, manufacturingCa, capfCa, rogueCa, mic, lsc, otherLsc, rogueLsc, trunkPeer, issue };
}
