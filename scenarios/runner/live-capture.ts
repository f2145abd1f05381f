// A live capture of the loopback interface with Wireshark's dumpcap, for `--capture`. Starting and stopping are made
// certain with marker datagrams: start() returns once a marker sent after dumpcap said "Capturing on" is in the file
// (so the capture is really running), stop() once a marker sent after the run's last packet is in the file (so
// nothing the run sent is cut off), then stops dumpcap with SIGINT, SIGKILL after a bounded wait. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

export interface LiveCaptureOptions {
  /** The raw capture file dumpcap writes (pcapng). */
  file: string;
  /** dumpcap command or path (default "dumpcap"). */
  dumpcap?: string;
  /** Interface (default "lo"). */
  interface?: string;
  /** BPF capture filter (default "tcp or udp"). */
  filter?: string;
  /** Bound on starting: dumpcap running and the start marker captured (default 5000 ms). */
  startTimeoutMs?: number;
  /** Bound on the end marker reaching the file, and again on dumpcap exiting (default 5000 ms). */
  stopTimeoutMs?: number;
  /** dumpcap stops by itself past this size, so a busy machine cannot fill the disk (default 1 GiB). */
  maxFileKiB?: number;
  /** dumpcap stops by itself after this long, even if this process was killed without a chance to stop it (default 1 h). */
  maxDurationS?: number;
}

/** Why a live capture could not start (the stage and dumpcap's own words), or stopped badly. */
export class LiveCaptureError extends Error {
  constructor(
    readonly stage: 'start' | 'stop',
    message: string,
  ) {
    super(message);
    this.name = 'LiveCaptureError';
  }
}

export interface LiveCaptureResult {
  file: string;
  /** The end marker reached the file: every packet sent before stop() is in it. */
  complete: boolean;
  /** Why not complete (dumpcap ended early, marker not seen in time). */
  note?: string;
}

const MARKER_PREFIX = 'trustline-capture-marker:';
const POLL_MS = 50;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
/** A process that exits mid-run leaves no dumpcap behind. */
function killOnExit(p: ChildProcess): void {
  running.add(p);
  p.once('exit', () => running.delete(p));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

export class LiveCapture {
  readonly file: string;
  readonly #p: ChildProcess;
  readonly #o: LiveCaptureOptions;
  readonly #sink: Socket;
  #stderr = '';
  #exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #exit: Promise<void>;
  /** Bytes of the file already searched for markers. */
  #scanned = 0;

  private constructor(o: LiveCaptureOptions, p: ChildProcess, sink: Socket) {
    this.file = o.file;
    this.#o = o;
    this.#p = p;
    this.#sink = sink;
    p.stderr?.on('data', (d: Buffer) => {
      if (this.#stderr.length < 16_384) this.#stderr += d.toString();
    });
    this.#exit = new Promise((resolve) =>
      p.once('exit', (code, signal) => {
        this.#exited = { code, signal };
        resolve();
      }),
    );
  }

  /** Starts dumpcap and returns once it is capturing; a LiveCaptureError names what failed otherwise. */
  static async start(o: LiveCaptureOptions): Promise<LiveCapture> {
    const cmd = o.dumpcap ?? 'dumpcap';
    const iface = o.interface ?? 'lo';
    const limits = ['-a', `filesize:${o.maxFileKiB ?? 1024 * 1024}`, '-a', `duration:${Math.max(1, Math.ceil(o.maxDurationS ?? 3600))}`];
    const args = ['-i', iface, '-f', o.filter ?? 'tcp or udp', '-w', o.file, '-q', '-B', '32', ...limits];
    const sink = createSocket('udp4');
    sink.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sink.once('error', reject);
      sink.bind(0, '127.0.0.1', () => resolve());
    });
    let p: ChildProcess;
    try {
      p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      sink.close();
      throw new LiveCaptureError('start', `cannot start ${cmd}: ${(e as Error).message}`);
    }
    killOnExit(p);
    const c = new LiveCapture(o, p, sink);
    const spawnError = new Promise<Error>((resolve) => p.once('error', resolve));
    try {
      await c.#ready(cmd, iface, spawnError, o.startTimeoutMs ?? 5000);
      return c;
    } catch (e) {
      await c.#terminate(1000);
      sink.close();
      throw e;
    }
  }

  async #ready(cmd: string, iface: string, spawnError: Promise<Error>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let failed: Error | undefined;
    void spawnError.then((e) => (failed = e));
    const why = () => {
      if (failed) return `cannot start ${cmd}: ${(failed as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : failed.message}`;
      if (this.#exited) return `${cmd} -i ${iface} exited (${this.#exited.signal ?? `code ${this.#exited.code}`}) before capturing: ${lastLines(this.#stderr) || 'no message'}`;
      return undefined;
    };
    while (!/Capturing on/.test(this.#stderr)) {
      const w = why();
      if (w) throw new LiveCaptureError('start', w);
      if (Date.now() > deadline) throw new LiveCaptureError('start', `${cmd} -i ${iface} did not start capturing within ${timeoutMs} ms: ${lastLines(this.#stderr) || 'no message'}`);
      await pause(POLL_MS);
    }
    if (!(await this.#marker(deadline, why))) {
      const w = why();
      throw new LiveCaptureError('start', w ?? `${cmd} -i ${iface} is running but captured no loopback datagram within ${timeoutMs} ms (is ${iface} the loopback interface?)`);
    }
  }

  /** Sends marker datagrams until one is in the file; false when the deadline passes or `stop()` says stop. */
  async #marker(deadline: number, stop: () => string | undefined): Promise<boolean> {
    const token = Buffer.from(`${MARKER_PREFIX}${randomBytes(12).toString('hex')}`);
    const port = this.#sink.address().port;
    let nextSend = 0;
    while (Date.now() <= deadline) {
      if (Date.now() >= nextSend) {
        this.#sink.send(token, port, '127.0.0.1');
        nextSend = Date.now() + 250;
      }
      if (this.#fileHas(token)) return true;
      if (stop()) return false;
      await pause(POLL_MS);
    }
    return this.#fileHas(token);
  }

  /** Searches what dumpcap appended since the last look (with an overlap for a token cut across reads). */
  #fileHas(token: Buffer): boolean {
    if (!existsSync(this.file)) return false;
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      const from = Math.max(0, this.#scanned - token.length);
      let pos = from;
      const chunk = Buffer.alloc(1 << 20);
      while (pos < size) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
        if (n <= 0) break;
        if (chunk.subarray(0, n).includes(token)) {
          this.#scanned = pos;
          return true;
        }
        pos += Math.max(1, n - token.length);
        if (n < chunk.length) break;
      }
      this.#scanned = size;
      return false;
    } finally {
      closeSync(fd);
    }
  }

  /** Waits for the end marker (bounded), then stops dumpcap; the file then holds the whole run. */
  async stop(): Promise<LiveCaptureResult> {
    const timeoutMs = this.#o.stopTimeoutMs ?? 5000;
    let note: string | undefined;
    if (this.#exited) note = `dumpcap ended before the run did (${this.#exited.signal ?? `code ${this.#exited.code}`}): ${lastLines(this.#stderr) || 'no message'}`;
    else if (!(await this.#marker(Date.now() + timeoutMs, () => (this.#exited ? 'exited' : undefined))))
      note = this.#exited ? `dumpcap ended before the run did: ${lastLines(this.#stderr) || 'no message'}` : `the end marker did not reach the capture file within ${timeoutMs} ms: the last packets may be missing`;
    const stopped = await this.#terminate(timeoutMs);
    this.#sink.close();
    if (!stopped) throw new LiveCaptureError('stop', `dumpcap (pid ${this.#p.pid}) did not exit after SIGINT and SIGKILL`);
    if (!existsSync(this.file)) throw new LiveCaptureError('stop', `dumpcap wrote no file ${this.file}: ${lastLines(this.#stderr) || 'no message'}`);
    return { file: this.file, complete: note === undefined, ...(note ? { note } : {}) };
  }

  /** Stops dumpcap without waiting for markers (a run that failed to set up); never throws. */
  async abort(): Promise<void> {
    await this.#terminate(2000);
    try {
      this.#sink.close();
    } catch {
      // already closed
    }
  }

  /** SIGINT (dumpcap flushes and closes the file), then SIGKILL; true once the process is gone. */
  async #terminate(timeoutMs: number): Promise<boolean> {
    if (this.#exited || this.#p.exitCode !== null || this.#p.pid === undefined) return true;
    this.#p.kill('SIGINT');
    if (await settles(this.#exit, timeoutMs)) return true;
    this.#p.kill('SIGKILL');
    return settles(this.#exit, 2000);
  }
}

function lastLines(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Capturing on|^File:/.test(l))
    .slice(-3)
    .join(' / ');
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function settles(p: Promise<void>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const done = await Promise.race([p.then(() => true), new Promise<boolean>((r) => (t = setTimeout(() => r(false), ms)))]);
  clearTimeout(t);
  return done;
}
