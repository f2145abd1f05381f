// kamailio 5.6 (Debian kamailio + kamailio-tls-modules) as a TLS peer on loopback, adapted from our research script
// peers/kamailio-tls-registrar.sh: one TLS port with an RSA certificate and one with an ECDSA certificate (5.6 serves one
// certificate per TLS domain), an in-memory registrar, and optionally a record-routing proxy that relays calls to
// registered contacts. Ports are chosen free; the process is stopped by its PID and its directory removed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, killChild, waitForPort } from './processes.js';

export interface PemFiles {
  keyPath: string;
  certPath: string;
}

export interface KamailioPeer {
  /** The RSA port (first of `ports`). */
  port: number;
  rsaPort: number;
  ecPort: number;
  ports: number[];
  dir: string;
  /** What kamailio printed (bounded). */
  log(): string;
  stop(): Promise<void>;
}

/** Where Debian put kamailio's modules (the multiarch directory differs by architecture). */
export function kamailioModules(): string {
  const candidates = fs.existsSync('/usr/lib') ? fs.readdirSync('/usr/lib').map((d) => path.join('/usr/lib', d, 'kamailio', 'modules')) : [];
  const dir = [...candidates, '/usr/lib/kamailio/modules'].find((d) => fs.existsSync(path.join(d, 'tls.so')));
  if (!dir) throw new Error('kamailio modules (tls.so) not found under /usr/lib/*/kamailio/modules: install kamailio-tls-modules');
  return dir;
}

/** 'registrar': REGISTER and OPTIONS only (404 for the rest); 'proxy': also relays calls to registered contacts. */
export type KamailioRouting = 'registrar' | 'proxy';

const REGISTRAR_ROUTE = `request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (!sanity_check("17895", "7")) { exit; }
    if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "OK"); exit; }
    if (is_method("REGISTER")) { if (!save("location")) sl_reply_error(); exit; }
    sl_send_reply("404", "Not here");
}`;

const PROXY_ROUTE = `request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (!sanity_check("17895", "7")) { exit; }
    if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "OK"); exit; }
    if (has_totag()) {
        if (loose_route()) { t_relay(); exit; }
        if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
        sl_send_reply("404", "Not here"); exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
    t_check_trans();
    if (is_method("REGISTER")) { if (!save("location")) sl_reply_error(); exit; }
    if (is_method("INVITE|SUBSCRIBE")) record_route();
    if (uri==myself) { if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; } }
    if (!t_relay()) sl_reply_error();
}`;

export async function startKamailio(o: { rsa: PemFiles; ec: PemFiles; routing?: KamailioRouting }): Promise<KamailioPeer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustline-kamailio-'));
  const [rsaPort, ecPort] = [await freePort(), await freePort()];
  const tlsCfg = `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = ${o.rsa.keyPath}
certificate = ${o.rsa.certPath}

[server:127.0.0.1:${ecPort}]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = ${o.ec.keyPath}
certificate = ${o.ec.certPath}

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
`;
  const modules = ['tls', 'tm', 'sl', 'rr', 'pv', 'maxfwd', 'textops', 'siputils', 'xlog', 'sanity', 'usrloc', 'registrar'];
  const proxy = o.routing === 'proxy';
  const cfg = `#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=1
tcp_children=2
auto_aliases=no
listen=tls:127.0.0.1:${rsaPort}
listen=tls:127.0.0.1:${ecPort}
enable_tls=yes
tcp_connection_lifetime=60
loadpath "${kamailioModules()}/"
${modules.map((m) => `loadmodule "${m}.so"`).join('\n')}
modparam("tls", "config", "${dir}/tls.cfg")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
${proxy ? 'modparam("rr", "enable_full_lr", 1)\n' : ''}${proxy ? PROXY_ROUTE : REGISTRAR_ROUTE}
`;
  fs.writeFileSync(path.join(dir, 'tls.cfg'), tlsCfg);
  fs.writeFileSync(path.join(dir, 'kamailio.cfg'), cfg);
  // -m 512: shared memory for usrloc and TLS (128 MB ran out under load, research §1.1). -M 64: private memory per
  // process, raised from 16 MB after kamailio stopped accepting connections late in the probe comparison on loaded CI
  // runs (suspected: private memory exhausted by the probe's many TLS connections; the exit hook below prints its log).
  const child = spawn('kamailio', ['-f', path.join(dir, 'kamailio.cfg'), '-DD', '-E', '-w', dir, '-m', '512', '-M', '64'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (log.length < 200_000) log += d.toString();
  });
  // A kamailio that dies under a test says so on the test's output, with the end of its log.
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`kamailio (${dir}) exited unexpectedly (code ${code}, signal ${signal}):\n${log.slice(-3000)}\n`);
  });
  try {
    await waitForPort(rsaPort, 10_000);
    await waitForPort(ecPort, 10_000);
  } catch (e) {
    stopping = true;
    await killChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio did not start: ${(e as Error).message}\n${log.slice(-2000)}`);
  }
  return {
    port: rsaPort,
    rsaPort,
    ecPort,
    ports: [rsaPort, ecPort],
    dir,
    log: () => log,
    stop: async () => {
      stopping = true;
      await killChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
