// The HTTP/HTTPS front doors against hostile input: random bytes and mangled requests on raw sockets get an HTTP
// error or a closed connection, never a hang, and the door keeps serving. Plus start/stop of the whole service.
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { HttpFront, MemoryProvisioningSource, ProvisioningServer, type ResolveResult } from '../../engine/tftp/index.js';
import { makeTestPki, type TestPki } from '../support/test-certs.js';
import { quietLogs } from './fixtures.js';

function resolve(name: string): ResolveResult {
  if (name === '/a.txt') return { status: 'ok', name: 'a.txt', body: Buffer.from('A'), contentType: 'text/plain', served: 'test' };
  if (name.includes('..')) return { status: 'forbidden', reason: 'path traversal' };
  return { status: 'not-found', reason: `no such file: ${name}` };
}

/** Writes raw bytes, half-closes, and returns what came back before the server closed (or 3 s passed). */
function raw(port: number, bytes: Buffer, secure = false): Promise<{ data: string; closed: boolean }> {
  return new Promise((res) => {
    const chunks: Buffer[] = [];
    const s: net.Socket = secure ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      s.destroy();
      res({ data: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, 3000);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      res({ data: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    s.once(secure ? 'secureConnect' : 'connect', () => s.end(bytes));
  });
}

function get(port: number, p: string, secure = false): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const mod = secure ? https : http;
    const req = mod.get({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false, agent: false }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', rej);
  });
}

describe('tftp: HTTP front doors', function () {
  this.timeout(60_000);
  quietLogs();
  let pki: TestPki;
  let plain: HttpFront;
  let secure: HttpFront;
  before(async () => {
    pki = await makeTestPki();
    plain = new HttpFront({ frontDoor: 'http', port: 0, address: '127.0.0.1', resolve, requestTimeoutMs: 2000 });
    secure = new HttpFront({ frontDoor: 'https-6971', port: 0, address: '127.0.0.1', resolve, requestTimeoutMs: 2000, tls: { certificates: [pki.callManager, pki.callManagerEcdsa] } });
    await plain.start();
    await secure.start();
  });
  after(async () => {
    await plain?.stop();
    await secure?.stop();
  });

  it('answers GET, HEAD, 404 and 405', async () => {
    expect(await get(plain.port, '/a.txt')).to.deep.equal({ status: 200, body: 'A' });
    expect(await get(plain.port, '/b.txt')).to.deep.equal({ status: 404, body: 'no such file: /b.txt\n' });
    expect(await get(secure.port, '/a.txt', true)).to.deep.equal({ status: 200, body: 'A' });
    const head = await raw(plain.port, Buffer.from('HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(head.data).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.data).to.match(/Content-Length: 1\r\n/i);
    expect(head.data.endsWith('\r\n\r\n'), 'no body on HEAD').to.equal(true);
    const del = await raw(plain.port, Buffer.from('DELETE /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(del.data).to.match(/^HTTP\/1\.1 405 /);
    expect(del.data).to.match(/Allow: GET, HEAD/i);
    const absolute = await raw(plain.port, Buffer.from('GET http://x/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(absolute.data).to.match(/^HTTP\/1\.1 400 /);
  });

  it('fuzz: hostile requests get an HTTP error or a closed connection, and the door keeps serving', async () => {
    const parts = fc.constantFrom('GET ', 'HEAD ', 'POST ', '/', '..', '%', '%2e', '%00', 'a.txt', ' HTTP/1.1', ' HTTP/9.9', '\r\n', '\n', 'Host: x', 'Content-Length: 5', 'Transfer-Encoding: chunked', ':', '\u00ff', '?q', '#');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)), fc.array(parts, { maxLength: 25 }).map((a) => Buffer.from(a.join(''), 'latin1'))), async (bytes) => {
        const r = await raw(plain.port, bytes);
        expect(r.closed, 'the server must not hang on a half-closed connection').to.equal(true);
        if (r.data) expect(r.data).to.match(/^HTTP\/1\.1 (200|400|403|404|405|413|414|431|501|505) /);
      }),
      { numRuns: 120 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (u) => {
        const r = await raw(secure.port, Buffer.from(u), false);
        expect(r.closed).to.equal(true);
      }),
      { numRuns: 40 },
    );
    expect(await get(plain.port, '/a.txt')).to.deep.equal({ status: 200, body: 'A' });
    expect(await get(secure.port, '/a.txt', true)).to.deep.equal({ status: 200, body: 'A' });
  });

  it('a provisioning server that cannot bind a door stops the doors it had started', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const source = new MemoryProvisioningSource({ itl: Buffer.alloc(0), tftpSigner: { certDer: Buffer.alloc(0), privateKey }, parameters: { callManagers: [] } });
    const server = new ProvisioningServer({ source, address: '127.0.0.1', tftp: { port: 0 }, http: { port: taken } });
    let err: unknown;
    try {
      await server.start();
    } catch (e) {
      err = e;
    }
    expect((err as NodeJS.ErrnoException)?.code).to.equal('EADDRINUSE');
    expect(server.ports).to.deep.equal({});
    await server.close();
    await new Promise<void>((r) => blocker.close(() => r()));
  });
});
