// Drives Debian's `openssl s_client` as the real TLS client of the listener tests and reads what it negotiated.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { groupCode, groupName } from '../../engine/tls/client-hello.js';

export interface SClientOptions {
  port: number;
  /** OpenSSL cipher list (TLS 1.2 and below); @SECLEVEL=0 is appended so the client never filters on its own. */
  cipher?: string;
  version?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** e.g. "P-384:P-256" (client order). */
  curves?: string;
  sigalgs?: string;
  certPath?: string;
  keyPath?: string;
  keyLogFile?: string;
  /** SNI; the tests use it to find the listener's record of this connection. */
  serverName?: string;
  timeoutMs?: number;
}

export interface SClientResult {
  /** A suite was negotiated. */
  ok: boolean;
  protocol?: string;
  cipher?: string;
  serverKey?: { type: 'RSA' | 'ECDSA'; bits: number; curve?: string };
  peerSignatureType?: string;
  /** ECDHE group from "Server Temp Key", normalised (P-256...). */
  tempKeyGroup?: string;
  stdout: string;
  stderr: string;
}

const VERSION_FLAG = { TLSv1: '-tls1', 'TLSv1.1': '-tls1_1', 'TLSv1.2': '-tls1_2', 'TLSv1.3': '-tls1_3' } as const;

export function sClient(o: SClientOptions): Promise<SClientResult> {
  const args = ['s_client', '-connect', `127.0.0.1:${o.port}`, '-showcerts'];
  if (o.version) args.push(VERSION_FLAG[o.version]);
  args.push('-cipher', `${o.cipher ?? 'ALL'}:@SECLEVEL=0`);
  if (o.curves) args.push('-curves', o.curves);
  if (o.sigalgs) args.push('-sigalgs', o.sigalgs);
  if (o.certPath) args.push('-cert', o.certPath);
  if (o.keyPath) args.push('-key', o.keyPath);
  if (o.keyLogFile) args.push('-keylogfile', o.keyLogFile);
  if (o.serverName) args.push('-servername', o.serverName);
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: o.timeoutMs ?? 15_000, encoding: 'utf8' }, (_err, stdout, stderr) => {
      const pick = (re: RegExp) => re.exec(stdout)?.[1]?.trim();
      // "New, <cipher's own version>, Cipher is X": the session's protocol is in the SSL-Session block.
      const negotiated = /New, \S+, Cipher is (\S+)/.exec(stdout);
      const r: SClientResult = { ok: !!negotiated && negotiated[1] !== '(NONE)', stdout, stderr };
      if (negotiated && r.ok) {
        r.protocol = pick(/^\s*Protocol\s*:\s*(\S+)/m);
        r.cipher = negotiated[1];
      }
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout);
      if (pem && r.ok) {
        const k = new X509Certificate(pem[0]).publicKey;
        if (k.asymmetricKeyType === 'ec') {
          const nc = k.asymmetricKeyDetails?.namedCurve ?? '';
          const code = groupCode(nc);
          const curve = code !== undefined ? groupName(code) : nc;
          r.serverKey = { type: 'ECDSA', bits: Number(pick(/Server public key is (\d+) bit/) ?? 0), curve };
        } else r.serverKey = { type: 'RSA', bits: k.asymmetricKeyDetails?.modulusLength ?? 0 };
      }
      const pst = pick(/Peer signature type: (.+)/);
      if (pst) r.peerSignatureType = pst;
      const tk = pick(/Server Temp Key: (.+)/);
      if (tk) {
        const parts = tk.split(',').map((s) => s.trim());
        const raw = parts[0] === 'ECDH' ? parts[1]! : parts[0]!;
        const code = groupCode(raw);
        r.tempKeyGroup = code !== undefined ? groupName(code) : raw;
      }
      resolve(r);
    });
    child.stdin?.end(); // EOF: s_client closes the session once the handshake is done
  });
}

/** Runs tasks with at most `limit` in flight (two shared cores: keep it small). */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
