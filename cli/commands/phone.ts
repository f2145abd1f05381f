// `trustline phone`: one emulated phone against any cluster (ours from `trustline cluster start`, or a real CUCM):
// it boots (CTL, ITL, configuration, CAPF), registers, and optionally places or answers a call with checked media,
// printing the boot steps, the trust decisions, the registration and the call. The phone keeps its flash in --state,
// so running it again continues from what it trusts (the seeds' migration behaviour).
import type { Command } from 'commander';
import Table from 'cli-table3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHostPort } from '../../common/host-port.js';
import { getLogLevel } from '../../common/log.js';
import { ClusterPki } from '../../engine/pki/index.js';
import { normalizeMacAddress } from '../../engine/tftp/index.js';
import { builtinModels, manufacturingIdentity, Phone, type MicInput } from '../../endpoints/index.js';
import type { BootResult } from '../../endpoints/boot/boot-sequence.js';
import type { BootEvent } from '../../endpoints/boot/boot-events.js';
import type { CallResult } from '../../endpoints/sip/phone-call.js';
import type { RegistrationResult } from '../../endpoints/sip/phone-ua.js';

interface PhoneOpts {
  mac: string;
  model: string;
  tftp: string;
  httpPort?: string;
  httpsPort?: string;
  state?: string;
  micFrom?: string;
  mic?: string;
  micKey?: string;
  micChain?: string;
  authString?: string;
  host: string[];
  register: boolean;
  call?: string;
  talk: string;
  answer?: boolean;
  wait: string;
  json?: boolean;
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}


/** An option naming host[:port] (common/host-port.ts), its error naming the option. */
function hostPortOption(spec: string, what: string, defaultPort: number): { host: string; port: number } {
  try {
    return parseHostPort(spec, defaultPort);
  } catch (e) {
    throw new Error(`${what}: "${spec}" is not host[:port] (${(e as Error).message})`);
  }
}

function portOption(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${what}: "${v}" is not a port (1-65535)`);
  return n;
}

function seconds(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new Error(`${what}: "${v}" is not a number of seconds (0-86400)`);
  return n;
}

function hostMap(entries: string[]): Record<string, string> {
  const hosts: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i <= 0 || i === e.length - 1) throw new Error(`--host: "${e}" is not name=address`);
    hosts[e.slice(0, i)] = e.slice(i + 1);
  }
  return hosts;
}

/** The MIC: from PEM files, or issued by the emulated manufacturing CA of a trustline cluster's state directory. */
async function micOf(o: PhoneOpts, mac: string, model: ReturnType<typeof builtinModels.get>): Promise<MicInput | undefined> {
  if (o.mic || o.micKey) {
    if (!o.mic || !o.micKey) throw new Error('--mic and --mic-key go together (the certificate and its private key, PEM)');
    const read = (f: string, what: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        throw new Error(`${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    };
    const chain = o.micChain ? read(o.micChain, '--mic-chain').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [] : undefined;
    return { certificate: read(o.mic, '--mic'), privateKey: read(o.micKey, '--mic-key'), ...(chain ? { chainPems: chain } : {}) };
  }
  if (!o.micFrom) return undefined;
  // Issuing a MIC only reads the PKI state (the manufacturing CA's key), so a running cluster's directory is safe.
  const pki = await ClusterPki.open(o.micFrom);
  return manufacturingIdentity(pki, mac, model);
}

function bootTable(boot: BootResult): string {
  const t = new Table({ head: ['boot step', 'outcome', 'ms', 'detail'], style: { head: [], border: [] }, colWidths: [14, 10, 8, 80], wordWrap: true });
  for (const s of boot.steps) t.push([s.step, s.outcome, Math.round(s.durationMs), s.reason]);
  return t.toString();
}

function eventLine(e: BootEvent): string | undefined {
  if (e.type === 'fetch') return `fetch ${e.file} over ${e.transport}: ${e.status}${e.bytes !== undefined ? ` (${e.bytes} B)` : ''}${e.tls?.suite ? ` ${e.tls.protocol} ${e.tls.suite}` : ''}${e.reason ? ` — ${e.reason}` : ''}`;
  if (e.type === 'trust') return `trust: ${e.decision.file} ${e.decision.decision} (${e.decision.basis}): ${e.decision.reason}`;
  if (e.type === 'capf') return `CAPF ${e.status}: ${e.detail}${e.lsc ? ` (LSC ${e.lsc.subject}, ${e.lsc.keyType} ${e.lsc.keySize})` : ''}`;
  if (e.type === 'note') return e.message;
  return undefined;
}

function registrationLine(r: RegistrationResult): string {
  const tls = r.tls ? ` over ${r.tls.version} ${r.tls.suite}` : '';
  return `registration: ${r.outcome}${r.status ? ` (${r.status})` : ''} ${r.transport} ${r.securityMode}${tls}${r.aor ? ` as ${r.aor}` : ''}${r.expires ? `, ${r.expires} s` : ''} — ${r.reason}`;
}

function callTable(c: CallResult): string {
  const t = new Table({ head: ['call', 'outcome', 'security', 'media', 'sent', 'received', 'auth failures', 'lost', 'late'], style: { head: [], border: [] } });
  const s = c.stats;
  const media = c.media ? (c.media.srtp ? `SRTP ${c.media.suite ?? ''}` : `RTP${c.media.reason ? ` (${c.media.reason})` : ''}`) : '-';
  t.push([`${c.direction} ${c.remote}`, `${c.outcome}${c.status ? ` ${c.status}` : ''}`, c.security ?? '-', media, s?.send?.packets ?? 0, s?.receive?.packets ?? 0, s?.receive?.authFailures ?? 0, s?.receive?.lost ?? 0, s?.receive?.late ?? 0]);
  const lines = [t.toString()];
  for (const p of c.problems) lines.push(`problem: ${p}`);
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for `ms` or a signal; true when a signal (SIGINT/SIGTERM) cut it short. */
function waitOrSignal(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (signalled: boolean) => {
      clearTimeout(timer);
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      resolve(signalled);
    };
    const onSig = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
  });
}

export function registerPhone(program: Command): void {
  program
    .command('phone')
    .description('one emulated phone against any cluster: boot (CTL, ITL, config, CAPF), register, and optionally call or answer with checked media; exit 0 only if every asked step succeeded')
    .requiredOption('--mac <mac>', 'the phone MAC address (12 hex digits, optionally separated by : - or .)')
    .option('--model <model>', `model profile (${builtinModels.list().map((m) => m.id).join(', ')}, or a model number like 8845)`, '8845')
    .requiredOption('--tftp <host[:port]>', 'the TFTP server (DHCP option 150), default port 69')
    .option('--http-port <port>', 'the configuration HTTP port (default 6970)')
    .option('--https-port <port>', 'the configuration HTTPS port (default 6971)')
    .option('--state <dir>', 'the phone flash directory (default .trustline/phones/<MAC>)')
    .option('--mic-from <dir>', 'issue the MIC from the emulated manufacturing CA of this trustline cluster state directory')
    .option('--mic <pem>', 'the MIC certificate (PEM); with --mic-key')
    .option('--mic-key <pem>', 'the MIC private key (PEM)')
    .option('--mic-chain <pem>', 'the MIC issuing CA and root (PEM), sent after the MIC')
    .option('--auth-string <digits>', 'the CAPF authentication string entered on the phone')
    .option('--host <name=address>', 'resolve a host name of the configuration (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--no-register', 'boot only')
    .option('--call <number>', 'call this directory number after registering')
    .option('--talk <seconds>', 'media time before hanging up the call placed with --call', '3')
    .option('--answer', 'answer incoming calls (until --wait ends)')
    .option('--wait <seconds>', 'stay registered this long (answering with --answer); Ctrl-C ends it early', '0')
    .option('--json', 'print one JSON document (boot, registration, calls) instead of tables')
    .action(async (o: PhoneOpts) => {
      const model = builtinModels.get(o.model);
      const tftp = hostPortOption(o.tftp, '--tftp', 69);
      const httpPort = portOption(o.httpPort, '--http-port');
      const httpsPort = portOption(o.httpsPort, '--https-port');
      const talkMs = seconds(o.talk, '--talk') * 1000;
      const waitMs = seconds(o.wait, '--wait') * 1000;
      const hosts = hostMap(o.host);
      const mac = normalizeMacAddress(o.mac);
      if (!mac) throw new Error(`--mac: "${o.mac}" is not a MAC address (12 hex digits, ":", "-" or "." between them)`);
      const mic = await micOf(o, mac, model);
      const quiet = getLogLevel() === 'error' || !!o.json;
      const say = (line: string) => {
        if (!quiet) out(line);
      };
      const phone = await Phone.open({
        mac: o.mac,
        model,
        stateDir: o.state ?? join('.trustline', 'phones', mac),
        ...(mic ? { mic } : {}),
        ...(o.authString !== undefined ? { authString: o.authString } : {}),
        tftp: { host: tftp.host, tftpPort: tftp.port, ...(httpPort ? { httpPort } : {}), ...(httpsPort ? { https6971Port: httpsPort } : {}) },
        hosts,
      });
      const calls: CallResult[] = [];
      let registration: RegistrationResult | undefined;
      let ok = true;
      try {
        say(`${phone.deviceName} (${model.id}), flash ${phone.stateDir}, TFTP ${tftp.host}:${tftp.port}`);
        phone.onBootEvent((e) => {
          const line = eventLine(e);
          if (line) say(`  ${line}`);
        });
        const boot = await phone.boot();
        say(bootTable(boot));
        if (boot.status !== 'ready') ok = false;
        else if (o.register) {
          phone.onSipEvent((e) => {
            if (e.type === 'incoming-call') {
              say(`incoming call from ${e.call.remote}${o.answer ? ': answering' : ''}`);
              if (o.answer) void phone.answer(e.call).catch((err: Error) => say(`answer failed: ${err.message}`));
            } else if (e.type === 'call-ended') {
              calls.push(e.result);
              say(callTable(e.result));
              if (!e.result.ok) ok = false;
            }
          });
          registration = await phone.register();
          say(registrationLine(registration));
          if (registration.outcome !== 'registered') ok = false;
          else {
            if (o.call) {
              const call = phone.call(o.call);
              const connected = await new Promise<boolean>((resolve) => {
                const off = phone.onSipEvent((e) => {
                  if (e.type === 'call-state' && e.call === call && e.state === 'connected') {
                    off();
                    resolve(true);
                  } else if (e.type === 'call-ended' && e.result.id === call.id) {
                    off();
                    resolve(false);
                  }
                });
              });
              if (connected) {
                say(`call to ${o.call} connected; media for ${talkMs / 1000} s`);
                await sleep(talkMs);
                await phone.hangup(call);
              } else ok = false;
            }
            if (waitMs > 0) {
              say(`registered; staying ${waitMs / 1000} s${o.answer ? ', answering calls' : ''} (Ctrl-C ends)`);
              await waitOrSignal(waitMs);
            }
            // A call still up when the wait ends is hung up so its media verdict is reported.
            for (const c of phone.sip?.calls.filter((x) => x.state !== 'ended') ?? []) await c.hangup().catch(() => undefined);
          }
        }
        if (o.json) out(JSON.stringify({ device: phone.deviceName, model: model.id, ok, boot: { status: boot.status, failedStep: boot.failedStep, reason: boot.reason, steps: boot.steps, events: boot.events }, registration, calls }, null, 2));
      } finally {
        await phone.close({ unregister: true }).catch(() => undefined);
      }
      if (!ok) process.exitCode = 1;
    });
}
