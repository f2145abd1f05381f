// baresip 1.0 (Debian baresip-core, SDES-SRTP) as a phone for interop tests, from the config our research found to
// work (peers-and-perf.md §1.1, scripts/peers/baresip-peer.sh): a temp directory with its certificate (key +
// certificate in one PEM), a CA file, an 8 kHz tone WAV written from Node (G.711 needs 8 kHz), SRTP mandatory,
// auto-answer, and rtcpsummary, whose `errors:` and `cryptosuite=` lines the tests read. It registers over TLS to
// the account's registrar (regint > 0). Started as a child process and stopped by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortPair } from './processes.js';

/** A mono 16-bit PCM WAV of a 440 Hz tone (baresip's aufile; G.711 needs 8 kHz). */
export function toneWav(seconds: number, rate = 8000): Buffer {
  const n = seconds * rate;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export interface BaresipPeer {
  proc: ChildProcess;
  dir: string;
  /** SIP port (sip_listen); TLS listens on sipPort + 1. */
  sipPort: number;
  /** Everything baresip printed so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

export interface BaresipOptions {
  /** Private key, certificate and chain (PEM) baresip presents on TLS. */
  certificatePem: string;
  /** The CAs baresip trusts (PEM). */
  caPem: string;
  /** The account's address, e.g. `sip:1403@127.0.0.1:5061;transport=tls` (its host:port is the registrar). */
  aor: string;
  /** Registration interval in seconds (default 600; 0 = no registration). */
  regint?: number;
  /** Where to keep its files (default a new temp directory, removed on stop). */
  dir?: string;
}

export async function startBaresip(o: BaresipOptions): Promise<BaresipPeer> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'trustline-baresip-'));
  writeFileSync(join(dir, 'cert.pem'), o.certificatePem, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.pem'), o.caPem);
  writeFileSync(join(dir, 'tone8k.wav'), toneWav(20));
  const sipPort = await freePortPair();
  writeFileSync(
    join(dir, 'config'),
    [
      'net_interface\t127.0.0.1', // "lo" fails: "could not get network address" (research §4)
      'poll_method\tepoll',
      `sip_listen\t127.0.0.1:${sipPort}`,
      `sip_certificate\t${join(dir, 'cert.pem')}`,
      `sip_cafile\t${join(dir, 'ca.pem')}`,
      'call_local_timeout\t120',
      'audio_player\taubridge,trustline',
      `audio_source\taufile,${join(dir, 'tone8k.wav')}`,
      'audio_alert\taubridge,trustline',
      'rtp_stats\tyes',
      'module_path\t/usr/lib/baresip/modules',
      'module\tg711.so',
      'module\taufile.so',
      'module\taubridge.so',
      'module\tsrtp.so',
      'module_app\taccount.so',
      'module_app\tmenu.so',
      'module_app\trtcpsummary.so',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), `<${o.aor}>;regint=${o.regint ?? 600};mediaenc=srtp-mand;answermode=auto\n`);
  writeFileSync(join(dir, 'contacts'), '');
  const proc = spawn('baresip', ['-f', dir, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (d: Buffer) => chunks.push(d));
  proc.stderr!.on('data', (d: Buffer) => chunks.push(d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    dir,
    sipPort,
    log: () => Buffer.concat(chunks).toString('utf8'),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
