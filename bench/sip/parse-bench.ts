// SIP message layer throughput: parse (Cisco REGISTER, INVITE with SDES SDP), lazy values, SDP, serialize,
// stream framing, with sip.js 0.21's parser measured in the same run as the reference.
//   npm run bench:sip [-- --seconds 0.5 --repeats 5 --no-sipjs --json]
// Pin it to one core for per-core figures: taskset -c 1 npm run bench:sip
import Table from 'cli-table3';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { LoggerFactory, Parser } from 'sip.js/lib/core/index.js';
import {
  type SipRequest,
  SipStreamFramer,
  createResponse,
  parseSdp,
  parseSipMessage,
  serializeMessage,
} from '../../engine/sip/message/index.js';
import { INVITE, REGISTER } from './messages.js';

export interface SipParseBenchOptions {
  /** Seconds per measured repeat (default 0.5). */
  seconds?: number;
  /** Measured repeats; the median is reported (default 5). */
  repeats?: number;
  /** Also measure sip.js's Parser.parseMessage (default true). */
  sipjs?: boolean;
  /** Called after each case, e.g. to print progress. */
  onResult?: (r: SipParseBenchResult) => void;
}

export interface SipParseBenchResult {
  name: string;
  /** Bytes per operation (message size). */
  bytes: number;
  /** Operations (messages) per CPU-second of this process: median, min, max over the repeats. This is the
   *  per-core figure; it holds on a shared machine, where wall-clock rates only measure our share of a core. */
  median: number;
  min: number;
  max: number;
  /** Operations per wall-clock second (median). */
  wallMedian: number;
  /** median / the sip.js parser's median on the same message, for our parse cases. */
  vsSipJs?: number;
}

/** Run `fn` in calibrated batches; sorted ops per CPU-second and per wall second of each repeat. */
function measure(fn: () => void, seconds: number, repeats: number, opsPerCall = 1): { cpu: number[]; wall: number[] } {
  let n = 1;
  let dt = 0;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt > 0.05) break;
    n *= 4;
  }
  n = Math.max(1, Math.round((n * seconds) / dt));
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const w = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    cpu.push((n * opsPerCall) / ((c.user + c.system) / 1e6));
    wall.push((n * opsPerCall) / w);
  }
  return { cpu: cpu.sort((a, b) => a - b), wall: wall.sort((a, b) => a - b) };
}

export async function runSipParseBench(options: SipParseBenchOptions = {}): Promise<SipParseBenchResult[]> {
  const seconds = options.seconds ?? 0.5;
  const repeats = options.repeats ?? 5;
  const register = Buffer.from(REGISTER);
  const invite = Buffer.from(INVITE);
  const results: SipParseBenchResult[] = [];
  let sink = 0; // keeps results alive so the work is not optimised away

  const add = (name: string, bytes: number, fn: () => void, opsPerCall = 1, s = seconds): SipParseBenchResult => {
    const { cpu, wall } = measure(fn, s, repeats, opsPerCall);
    const mid = (a: number[]): number => a[a.length >> 1] as number;
    const r: SipParseBenchResult = { name, bytes, median: mid(cpu), min: cpu[0] as number, max: cpu[cpu.length - 1] as number, wallMedian: mid(wall) };
    results.push(r);
    options.onResult?.(r);
    return r;
  };

  // Sanity: the hot-path values are there.
  const inv = parseSipMessage(invite) as SipRequest;
  if (inv.branch !== 'z9hG4bK7e8f9a0b' || !inv.fromTag || inv.body.length < 100) throw new Error('parser self-check failed');

  const ourReg = add('parse REGISTER (hot path: Call-ID, CSeq, branch, tags)', register.length, () => {
    sink += parseSipMessage(register).cseq.seq;
  });
  const ourInv = add('parse INVITE + SDES SDP body (hot path)', invite.length, () => {
    sink += parseSipMessage(invite).body.length;
  });
  add('parse INVITE + From, To, Contact, all Vias, Request-URI', invite.length, () => {
    const m = parseSipMessage(invite) as SipRequest;
    sink += m.from().params.size + m.to().params.size + m.contacts().length + m.vias().length + m.requestUri().params.size;
  });
  add('parse INVITE + parse its SDP', invite.length, () => {
    sink += parseSdp(parseSipMessage(invite).body).media.length;
  });
  const parsed = parseSipMessage(invite);
  add('serialize INVITE', invite.length, () => {
    sink += serializeMessage(parsed).length;
  });
  const response = createResponse(inv, 200, { toTag: 'bench', headers: [['Content-Type', 'application/sdp']], body: inv.body });
  add('createResponse 200 + serialize', serializeMessage(response).length, () => {
    sink += serializeMessage(createResponse(inv, 200, { toTag: 'bench' })).length;
  });
  // A TLS connection's worth of INVITEs arriving in 16 KB reads.
  const stream = Buffer.concat(Array.from({ length: 64 }, () => invite));
  const reads: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 16384) reads.push(stream.subarray(i, i + 16384));
  add('frame + parse INVITE stream (16 KB reads)', invite.length, () => {
    const f = new SipStreamFramer();
    for (const r of reads) sink += f.push(r).length;
  }, 64);

  if (options.sipjs !== false) {
    const lf = new LoggerFactory();
    lf.builtinEnabled = false;
    const logger = lf.getLogger('sip.parser');
    const regText = REGISTER;
    const invText = INVITE;
    if (!Parser.parseMessage(invText, logger)) throw new Error('sip.js failed to parse the INVITE');
    const sjReg = add('sip.js 0.21 Parser.parseMessage REGISTER (reference)', register.length, () => {
      sink += Parser.parseMessage(regText, logger)!.cseq;
    }, 1, Math.min(seconds, 0.3));
    const sjInv = add('sip.js 0.21 Parser.parseMessage INVITE (reference)', invite.length, () => {
      sink += Parser.parseMessage(invText, logger)!.cseq;
    }, 1, Math.min(seconds, 0.3));
    ourReg.vsSipJs = ourReg.median / sjReg.median;
    ourInv.vsSipJs = ourInv.median / sjInv.median;
  }
  if (sink === -1) console.log(sink);
  return results;
}

export function formatSipParseBench(results: SipParseBenchResult[]): string {
  const t = new Table({ head: ['case', 'bytes', 'msg per CPU-s', 'min', 'max', 'msg/s (wall)', 'vs sip.js'], style: { head: [], border: [] } });
  const k = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(1)} k` : x.toFixed(0));
  for (const r of results) t.push([r.name, r.bytes, k(r.median), k(r.min), k(r.max), k(r.wallMedian), r.vsSipJs ? `${r.vsSipJs.toFixed(0)}x` : '']);
  return t.toString();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const num = (flag: string): number | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const json = args.includes('--json');
  if (!json) {
    console.log(`# node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log('# rates per CPU-second of this process (the per-core cost) and per wall second; pin with `taskset -c N`');
    console.log('# target: parse >= 200 k INVITE per CPU-second');
  }
  const results = await runSipParseBench({ seconds: num('--seconds'), repeats: num('--repeats'), sipjs: !args.includes('--no-sipjs') });
  console.log(json ? JSON.stringify(results, null, 2) : formatSipParseBench(results));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
