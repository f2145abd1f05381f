// baresip 1.0 (Debian baresip-core) as a registered secure phone for interop tests: its config written into a temp
// directory with an LSC from the test cluster's pki (key + certificate in one PEM) and the CallManager certificate
// as its CA, an 8 kHz tone WAV written from Node, SRTP mandatory, auto-answer, rtcpsummary for the error counters.
// It registers over TLS (regint > 0) to our server, which admits it as an Encrypted phone by its certificate.
// Started as a child process and stopped by its PID. Config keys: research peers-and-perf.md §1.1.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { ClusterPki } from '../../engine/pki/index.js';
import { tempDir } from '../sip-engine/support.js';

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

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A TCP port p with p+1 free as well (baresip's TLS listens on sip_listen + 1). */
async function portPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    if (p < 65535 && (await portFree(p + 1))) return p;
  }
  throw new Error('no free port pair for baresip');
}

export interface BaresipPeer {
  proc: ChildProcess;
  dir: string;
  /** Everything baresip printed so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

export async function startBaresip(o: { pki: ClusterPki; deviceName: string; line: string; serverTlsPort: number }): Promise<BaresipPeer> {
  const dir = tempDir('baresip');
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const lsc = await o.pki.issueLsc({ deviceName: o.deviceName, publicKey: k.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  writeFileSync(join(dir, 'cert.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() + lsc.pem + lsc.chainPems.join(''), { mode: 0o600 });
  writeFileSync(join(dir, 'ca.pem'), o.pki.tlsCredentials('CallManager').cert);
  writeFileSync(join(dir, 'tone8k.wav'), toneWav(20));
  const sipPort = await portPair();
  writeFileSync(
    join(dir, 'config'),
    [
      'net_interface\t127.0.0.1',
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
  writeFileSync(join(dir, 'accounts'), `<sip:${o.line}@127.0.0.1:${o.serverTlsPort};transport=tls>;regint=600;mediaenc=srtp-mand;answermode=auto\n`);
  writeFileSync(join(dir, 'contacts'), '');
  const proc = spawn('baresip', ['-f', dir, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (d: Buffer) => chunks.push(d));
  proc.stderr!.on('data', (d: Buffer) => chunks.push(d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    dir,
    log: () => Buffer.concat(chunks).toString('utf8'),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
