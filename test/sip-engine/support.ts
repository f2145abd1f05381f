// Shared helpers of the SIP engine tests: polling with a bound, a silent UDP peer, raw message builders, a client
// user agent on its own transport layer, and one real ClusterPki per test process (RSA generation is the cost).
import dgram from 'node:dgram';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { ClusterPki } from '../../engine/pki/index.js';
import { type TlsClientSetup, TransportLayer } from '../../engine/sip/transport/index.js';
import type { TimerService, TransactionLayer } from '../../engine/sip/transaction/index.js';
import { UserAgentCore } from '../../engine/sip/ua-core.js';
import { makeTempDir } from '../support/temp-dirs.js';

/** Polls `cond` until true; fails after `ms` (bounded waits, no sleeps as assertions). */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

/** A UDP socket that records what it receives and never answers. */
export async function silentUdpPeer(): Promise<{ port: number; received: Buffer[]; close(): Promise<void> }> {
  const s = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  s.on('message', (m) => received.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, received, close: () => new Promise<void>((r) => s.close(() => r())) };
}

export interface TestClient {
  transport: TransportLayer;
  transactions: TransactionLayer;
  ua: UserAgentCore;
  close(): Promise<void>;
}

/** A client-side user agent (a phone) with its own transport layer. */
export function client(opts: { tlsClient?: TlsClientSetup; timers?: TimerService } = {}): TestClient {
  const transport = new TransportLayer({ ...(opts.tlsClient ? { tlsClient: opts.tlsClient } : {}), connectTimeoutMs: 3000 });
  const ua = new UserAgentCore({ transport, ...(opts.timers ? { timers: opts.timers } : {}) });
  return {
    transport,
    transactions: ua.transactions,
    ua,
    close: async () => {
      ua.close();
      await transport.close();
    },
  };
}

export function tempDir(prefix: string): string {
  return makeTempDir(prefix);
}

let cluster: Promise<ClusterPki> | undefined;

/** One cluster per process (CallManager RSA 2048, CallManager-ECDSA P-256, CAPF...). */
export function testCluster(): Promise<ClusterPki> {
  cluster ??= ClusterPki.create(join(tempDir('sip-pki'), 'state'), { parameters: { 'CallManager-ECDSA': { keySize: 256 }, 'tomcat-ECDSA': { keySize: 256 } } });
  return cluster;
}

/** A phone key pair (EC P-256: fast) as PEM. */
export function phoneKey(): { privateKeyPem: string; publicKeyPem: string } {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
