// Shared fixtures of the CAPF tests. RSA generation is the slow part: one cluster is created per test process and
// copied for each test, and phone keys are generated once per (type, size) and handed out again (a phone "generating"
// a key in a test gets a fresh copy of a pooled one, so keys are still distinct per test file where it matters).
import { cpSync } from 'node:fs';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { ClusterPki, type ClusterPkiCreateOptions } from '../../engine/pki/cluster-pki.js';
import { CapfStore, type CapfStoreOptions } from '../../engine/capf/capf-store.js';
import { startCapfServer, type CapfServer, type CapfServerOptions } from '../../engine/capf/capf-server.js';
import type { CapfAuthMode, KeyRequest } from '../../engine/capf/device-operations.js';
import { runCapfClient, type CapfClientOptions, type PhoneCertificate } from '../../engine/capf/capf-client.js';
import type { SessionRecord } from '../../engine/capf/capf-session.js';
import { makeTempDir } from '../support/temp-dirs.js';

export function tempDir(prefix = 'capf'): string {
  return makeTempDir(prefix);
}

const templates = new Map<string, Promise<string>>();

/** A cluster created once per process for `key` (P-256 ECDSA purposes to save time). */
function templateDir(key: string, options: ClusterPkiCreateOptions): Promise<string> {
  let t = templates.get(key);
  if (!t) {
    t = (async () => {
      const dir = join(tempDir(`template-${key}`), 'state');
      await ClusterPki.create(dir, { parameters: { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } }, ...options });
      return dir;
    })();
    templates.set(key, t);
  }
  return t;
}

/** A private copy of the template cluster, opened. */
export async function freshCluster(key = 'default', options: ClusterPkiCreateOptions = {}): Promise<ClusterPki> {
  const src = await templateDir(key, options);
  const dir = join(tempDir(`cluster-${key}`), 'state');
  cpSync(src, dir, { recursive: true });
  return ClusterPki.open(dir);
}

const pool = new Map<string, KeyObject[]>();

/** Pre-generated private keys of a kind (generated on first use, `count` of them). */
export function pooledKeys(req: KeyRequest, count = 4): KeyObject[] {
  const k = `${req.keyType}-${req.keySize}`;
  let keys = pool.get(k);
  if (!keys) {
    keys = Array.from({ length: count }, () =>
      req.keyType === 'RSA'
        ? generateKeyPairSync('rsa', { modulusLength: req.keySize }).privateKey
        : generateKeyPairSync('ec', { namedCurve: ({ 256: 'prime256v1', 384: 'secp384r1', 521: 'secp521r1' } as Record<number, string>)[req.keySize]! }).privateKey,
    );
    pool.set(k, keys);
  }
  return keys;
}

/** A key generator for the client: hands out the pooled keys of the requested kind in turn. */
export function keyGenerator(): { generateKey: (req: KeyRequest) => Promise<KeyObject>; requests: KeyRequest[] } {
  const used = new Map<string, number>();
  const requests: KeyRequest[] = [];
  return {
    requests,
    generateKey: async (req) => {
      requests.push(req);
      const keys = pooledKeys(req);
      const k = `${req.keyType}-${req.keySize}`;
      const i = used.get(k) ?? 0;
      used.set(k, i + 1);
      return keys[i % keys.length]!;
    },
  };
}

export interface Bench {
  pki: ClusterPki;
  store: CapfStore;
  server: CapfServer;
  capfPem: string;
  close(): Promise<void>;
}

/** A cluster copy, its CAPF store and a CAPF server on 127.0.0.1 (OS port). */
export async function bench(opts: { server?: Partial<CapfServerOptions>; store?: CapfStoreOptions; clusterKey?: string; cluster?: ClusterPkiCreateOptions } = {}): Promise<Bench> {
  const pki = await freshCluster(opts.clusterKey ?? 'default', opts.cluster ?? {});
  const store = await CapfStore.open(CapfStore.dirFor(pki), { pki, journalFlushMs: 0, ...(opts.store ?? {}) });
  const server = await startCapfServer({ pki, store, host: '127.0.0.1', port: 0, ...(opts.server ?? {}) });
  return {
    pki,
    store,
    server,
    capfPem: pki.certificate('CAPF').pem,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

/** An emulated MIC (from the cluster's emulated manufacturing CA) as the phone holds it. */
export async function micFor(pki: ClusterPki, deviceName: string, keyType: 'RSA' | 'EC' = 'RSA', model?: string): Promise<PhoneCertificate> {
  const privateKey = pooledKeys({ keyType, keySize: keyType === 'RSA' ? 2048 : 256 })[0]!;
  const mic = await pki.issueManufacturingCertificate(deviceName, keyType, { privateKey, ...(model ? { model } : {}) });
  return { der: mic.certificate.der, privateKey: mic.privateKey };
}

/** Runs the emulated phone against a bench with test defaults (pooled keys, no retry delay, CAPF trusted). */
export async function phone(b: Bench, o: Partial<CapfClientOptions> & { deviceName: string; authMode: CapfAuthMode }) {
  const kg = keyGenerator();
  const outcome = await runCapfClient({
    host: '127.0.0.1',
    port: b.server.port,
    credentials: {},
    trustedCertificates: [b.capfPem],
    generateKey: kg.generateKey,
    retries: 0,
    retryDelayMs: 10,
    messageTimeoutMs: 10_000,
    ...o,
  });
  return { outcome, keyRequests: kg.requests };
}

/** The session record the server emits for the next session that ends. */
export function nextSession(b: Bench): Promise<SessionRecord> {
  return new Promise((resolve) => b.server.once('session', resolve));
}
