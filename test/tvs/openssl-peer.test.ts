// A real TLS peer (Debian's openssl s_client) talking TVS as tvsc does: TLS 1.0 with a static-RSA suite, the TVS
// certificate as the only trust anchor (verified, no host name check), the request bytes on stdin, the answer read raw.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterPki } from '../../engine/pki/index.js';
import { decodeResponse, encodeRequest, TvsServer, TVS_HEADER_LENGTH } from '../../engine/tvs/index.js';
import { requirePeer } from '../support/peers.js';
import { cluster, tempDir } from './support.js';

/** Runs s_client, writes `request`, returns the first complete TVS message it prints (or what came before exit). */
function sClientExchange(port: number, caFile: string, args: string[], request: Buffer): Promise<{ data: Buffer; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', caFile, '-verify_return_error', '-quiet', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let data = Buffer.alloc(0);
    let stderr = '';
    const timer = setTimeout(() => child.kill(), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      if (data.length >= TVS_HEADER_LENGTH && data.length >= TVS_HEADER_LENGTH + data.readUInt16BE(8)) child.kill();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ data, stderr, code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.write(request);
  });
}

describe('TVS against openssl s_client (tvsc-style peer)', function () {
  let pki: ClusterPki;
  let server: TvsServer;
  let caFile: string;

  before(async function () {
    requirePeer(this, 'openssl', 'openssl');
    pki = await cluster('cucm-pub');
    server = TvsServer.forCluster(pki, { host: '127.0.0.1', port: 0 });
    await server.start();
    caFile = join(tempDir('tvs-ca'), 'tvs.pem');
    writeFileSync(caFile, pki.certificate('TVS').pem);
  });
  after(async () => {
    await server?.stop();
  });

  it('answers a TLS 1.0 AES128-SHA client that verifies the TVS certificate', async () => {
    const request = encodeRequest({ sessionId: 1, deviceName: 'CP-7962-SEP001122334455', certificate: pki.certificate('CallManager').der });
    const r = await sClientExchange(server.port, caFile, ['-tls1', '-cipher', 'AES128-SHA:@SECLEVEL=0'], request);
    expect(r.data.length, r.stderr).to.be.greaterThan(TVS_HEADER_LENGTH);
    expect(r.stderr).to.not.match(/verify error/);
    const answer = decodeResponse(r.data.subarray(0, TVS_HEADER_LENGTH + r.data.readUInt16BE(8)));
    expect(answer).to.deep.include({ kind: 'verify', sessionId: 1, status: 'valid', roles: [2], ttlSeconds: 86400 });
    expect(server.journal.at(-1)!.tls).to.deep.equal({ protocol: 'TLSv1', cipher: 'AES128-SHA' });
  });

  it('offers no ECDHE suite on 2445 (seed 001 L2273): an ECDHE-only TLS 1.2 client is refused', async () => {
    const request = encodeRequest({ sessionId: 2, deviceName: 'CP-7962-SEP001122334455', certificate: pki.certificate('CallManager').der });
    const before = server.stats.handshakeFailures;
    const r = await sClientExchange(server.port, caFile, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'], request);
    expect(r.data.length).to.equal(0);
    for (let i = 0; i < 100 && server.stats.handshakeFailures === before; i++) await new Promise((res) => setTimeout(res, 10));
    expect(server.stats.handshakeFailures).to.equal(before + 1);
  });
});
