// `trustline probe <host:port>`: the SIP-aware cipher-fallback prober (probe/). Report on stdout (table or --json),
// optional --html page, progress on stderr.
import fs from 'node:fs';
import type { Command } from 'commander';
import type { TlsVersionName } from '../../ciphers/tls/suite-catalogue.js';
import { loadClientCert, type ClientCertVariant } from '../../probe/client-certs.js';
import { profileNames } from '../../probe/fallback.js';
import { renderHtml } from '../../probe/html.js';
import { renderConsole, renderJson } from '../../probe/report.js';
import { runProbe, type SipMode } from '../../probe/run.js';
import { parseTarget } from '../../probe/target.js';

interface ProbeCliOptions {
  json?: boolean;
  html?: string;
  as: string[];
  asVersions?: string;
  enumerate?: boolean;
  versions?: string;
  sni?: string;
  concurrency: string;
  timeout: string;
  delay: string;
  sipTimeout?: string;
  sip: string;
  register?: string | boolean;
  registerExpires?: string;
  clientCert: string[];
  clientCerts: boolean;
  groups: boolean;
  sigalgs: boolean;
  progress: boolean;
}

const VERSION_ALIASES: Record<string, TlsVersionName> = { '1.0': 'TLSv1', '1': 'TLSv1', '1.1': 'TLSv1.1', '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

/** "1.0-1.2", "1.2,1.3", "TLSv1.2" → versions. */
export function parseVersions(text: string): TlsVersionName[] {
  const order: TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const one = (t: string): TlsVersionName => {
    const k = t.trim().replace(/^tlsv?/i, '');
    const v = VERSION_ALIASES[k];
    if (!v) throw new Error(`TLS version ${JSON.stringify(t)}: expected 1.0, 1.1, 1.2 or 1.3`);
    return v;
  };
  const out = new Set<TlsVersionName>();
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    if (b === undefined) out.add(one(a!));
    else {
      const i = order.indexOf(one(a!));
      const j = order.indexOf(one(b));
      if (i > j) throw new Error(`TLS version range ${JSON.stringify(part)} is backwards`);
      for (let k = i; k <= j; k++) out.add(order[k]!);
    }
  }
  return order.filter((v) => out.has(v));
}

function positive(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} ${JSON.stringify(text)}: expected a number >= ${min}`);
  return n;
}

export function registerProbe(program: Command): void {
  program
    .command('probe <target>')
    .description(
      'probe a SIP TLS server (host:port, default port 5061): versions, every catalogue suite, preference order, groups, ' +
        'signature schemes, certificate per suite, client certificates, SIP OPTIONS through each suite, and --as fallback simulations ' +
        '(exit 0 done, 2 no TLS answer, 3 an --as simulation fails)',
    )
    .option('--json', 'JSON report on stdout instead of tables')
    .option('--html <file>', 'also write a self-contained HTML report (versions x suites matrix)')
    .option('--as <profile>', `replay a client's offer with its fallbacks (repeatable): ${profileNames().join('; ')}`, (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--as-versions <list>', 'versions a cipher-list --as offers, e.g. 1.0-1.2 or 1.2,1.3')
    .option('--enumerate', 'with --as, also run the full enumeration')
    .option('--versions <list>', 'versions to enumerate (default 1.0-1.3)')
    .option('--sni <name>', 'server name to send (default: the host, unless it is an IP address)')
    .option('--concurrency <n>', 'connections in flight at most', '4')
    .option('--timeout <ms>', 'per-connection timeout', '5000')
    .option('--delay <ms>', 'minimum spacing between connection starts', '0')
    .option('--sip-timeout <ms>', 'time allowed for a SIP answer (default: --timeout)')
    .option('--sip <mode>', 'SIP OPTIONS through each accepted suite (each), the preferred one per version (once), or off', 'each')
    .option('--register [user]', 'also send REGISTER (after OPTIONS, same connection) as user (default "probe")')
    .option('--register-expires <s>', 'Expires of the REGISTER', '60')
    .option('--client-cert <cert[,key]>', 'a MIC/LSC (PEM; key in the same file or after a comma) to offer as client certificate (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--no-client-certs', 'skip the client-certificate probes')
    .option('--no-groups', 'skip the named-group probes')
    .option('--no-sigalgs', 'skip the signature-scheme probes')
    .option('--no-progress', 'no progress lines on stderr')
    .action(async (targetText: string, o: ProbeCliOptions, cmd: Command) => {
      const target = parseTarget(targetText, o.sni);
      const sip = o.sip as SipMode;
      if (!['each', 'once', 'off'].includes(sip)) throw new Error(`--sip ${JSON.stringify(o.sip)}: expected each, once or off`);
      const given: ClientCertVariant[] = o.clientCert.map(loadClientCert);
      const showProgress = o.progress && !(cmd.optsWithGlobals() as { quiet?: boolean }).quiet;
      const tty = process.stderr.isTTY;
      let lastPhase = '';
      const report = await runProbe(target, {
        concurrency: positive('concurrency', o.concurrency, 1),
        timeoutMs: positive('timeout', o.timeout, 50),
        delayMs: positive('delay', o.delay, 0),
        ...(o.sipTimeout ? { sipTimeoutMs: positive('sip-timeout', o.sipTimeout, 50) } : {}),
        ...(o.versions ? { versions: parseVersions(o.versions) } : {}),
        enumerate: o.as.length === 0 || !!o.enumerate,
        groups: o.groups,
        sigalgs: o.sigalgs,
        sip,
        ...(o.register ? { register: { ...(typeof o.register === 'string' ? { user: o.register } : {}), expires: positive('register-expires', o.registerExpires ?? '60', 0) } } : {}),
        clientCerts: o.clientCerts,
        givenClientCerts: given,
        as: o.as,
        ...(o.asVersions ? { asOptions: { versions: parseVersions(o.asVersions) } } : {}),
        ...(showProgress
          ? {
              onProgress: ({ phase, done, total }) => {
                if (tty) process.stderr.write(`\rprobe: ${phase} ${done}/${total}\x1b[K`);
                else if (phase !== lastPhase) process.stderr.write(`probe: ${phase}...\n`);
                lastPhase = phase;
              },
            }
          : {}),
      });
      if (showProgress && tty) process.stderr.write('\r\x1b[K');
      if (o.html) {
        fs.writeFileSync(o.html, renderHtml(report));
        if (showProgress) process.stderr.write(`probe: HTML report written to ${o.html}\n`);
      }
      process.stdout.write(o.json ? renderJson(report) : renderConsole(report));
      const noTls = report.versions.length > 0 && !report.versions.some((v) => v.supported);
      if (noTls) process.exitCode = 2;
      else if (report.fallback.some((f) => f.outcome === 'failure')) process.exitCode = 3;
    });
}
