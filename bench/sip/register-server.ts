// Child process of register-bench.ts: our SipServer with only a TLS listener, in its own process (as kamailio and
// openssl s_server are), so its CPU can be measured. Prints "ready <port>" and exits on "quit" or stdin EOF.
//   node --import tsx bench/sip/register-server.ts <key.pem> <cert.pem>
import fs from 'node:fs';
import readline from 'node:readline';
import { DeviceDirectory } from '../../engine/sip/registrar/index.js';
import { SipServer } from '../../engine/sip/sip-server.js';

const [keyPath, certPath, mode] = process.argv.slice(2);
if (!keyPath || !certPath) {
  process.stderr.write('usage: register-server.ts <key.pem> <cert.pem>\n');
  process.exit(2);
}

if (mode === 'plain-tls') {
  // Reference for the handshake table: bare node:tls with the same policy, no ClientHello reading, no records.
  const tls = await import('node:tls');
  const { buildTlsPolicy } = await import('../../engine/tls/policy.js');
  const policy = await buildTlsPolicy({ port: 5061 });
  const srv = tls.createServer({ key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath), ...policy.serverOptions }, (s) => s.on('error', () => undefined));
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  process.stdout.write(`ready ${(srv.address() as import('node:net').AddressInfo).port}\n`);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('close', () => process.exit(0));
  rl.on('line', (l) => l === 'quit' && process.exit(0));
} else {
// Open registration: a plain RFC 3261 registrar, the same job as kamailio's save("location") in the comparison.
const devices = new DeviceDirectory();
const server = await SipServer.start({
  udp: false,
  tcp: false,
  tls: { port: 0, rsa: { key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) }, requireClientCertificate: false },
  devices,
  registrar: { openRegistration: true, maxExpires: 3600 },
  unregisterOnConnectionLoss: false,
});
process.stdout.write(`ready ${server.ports.tls}\n`);
const rl = readline.createInterface({ input: process.stdin });
const quit = async () => {
  await server.stop();
  process.exit(0);
};
rl.on('line', (l) => {
  if (l === 'quit') void quit();
  if (l === 'stats') process.stdout.write(`${JSON.stringify({ bindings: server.location.size, records: server.transport.secureListeners[0]?.records.length ?? 0 })}\n`);
});
rl.on('close', () => void quit());
}
