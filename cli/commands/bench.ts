// `trustline bench srtp`: the SRTP benchmark (bench/srtp) from the installed command. Tables on stdout, progress on stderr.
import { type Command, InvalidArgumentError } from 'commander';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected an integer in 1..64');
  return n;
}

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('measure trustline against reference implementations');
  bench
    .command('srtp')
    .description('SRTP protect/unprotect packets/s and MB/s per suite (160 and 1200 B): TypeScript and native backends, naive node:crypto, Debian libsrtp')
    .option('--workers <n>', 'run N worker threads (and N libsrtp processes) in parallel for aggregate throughput', positiveInt)
    .option('--quick', 'five main suites, 3 x 0.1 s per case (about 30 s)')
    .option('--json', 'print the report as JSON')
    .option('--suites <list>', 'comma-separated suite names', list)
    .option('--sizes <list>', 'comma-separated payload sizes in bytes (default 160,1200)', list)
    .option('--impls <list>', 'among naive,ts,native,libsrtp', list)
    .option('--no-pin', 'do not pin to one CPU with taskset')
    .action(async (o: { workers?: number; quick?: boolean; json?: boolean; suites?: string[]; sizes?: string[]; impls?: string[]; pin: boolean }) => {
      const { formatSrtpBench, parseSrtpBenchArgs, runSrtpBench } = await import('../../bench/srtp/srtp-bench.js');
      // One validator for both entries (bench/run.ts and this command).
      const args = [
        ...(o.workers ? ['--workers', String(o.workers)] : []),
        ...(o.quick ? ['--quick'] : []),
        ...(o.suites ? ['--suites', o.suites.join(',')] : []),
        ...(o.sizes ? ['--sizes', o.sizes.join(',')] : []),
        ...(o.impls ? ['--impls', o.impls.join(',')] : []),
        ...(o.pin ? [] : ['--no-pin']),
      ];
      const report = await runSrtpBench(parseSrtpBenchArgs(args));
      process.stdout.write((o.json ? JSON.stringify(report, null, 2) : formatSrtpBench(report)) + '\n');
    });
}
