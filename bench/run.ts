// Entry of the benchmarks: `node --import tsx bench/run.ts <bench> [options]` (npm run bench -- <bench> ...).
// One entry per bench in BENCHES; each runs, prints its table (or --json) on stdout and progress on stderr.
// Benchmarks measure on whatever machine they run: pin them (the SRTP bench pins itself) and compare on a quiet box.
import { pathToFileURL } from 'node:url';

interface Bench {
  describe: string;
  usage: string;
  run(args: string[]): Promise<void>;
}

export const BENCHES: Record<string, Bench> = {
  phones: {
    describe: 'Emulated phones: N boot and register over TLS with their own LSCs against the embedded cluster (own process), then M SRTP calls: phones/s, RSS, CPU, media packets/s',
    usage: '[--phones N] [--calls M] [--seconds S] [--concurrency C] [--call-concurrency C] [--no-boot] [--fresh | --state DIR | --temp-cluster] [--json]',
    async run(args) {
      const { formatPhonesBench, parsePhonesBenchArgs, runPhonesBench } = await import('./phones/phones-bench.js');
      const opts = parsePhonesBenchArgs(args);
      const report = await runPhonesBench(opts);
      process.stdout.write((opts.json ? JSON.stringify(report, null, 2) : formatPhonesBench(report)) + '\n');
    },
  },
  srtp: {
    describe: 'SRTP protect/unprotect packets/s and MB/s: TypeScript and native backends, naive node:crypto, Debian libsrtp',
    usage: '[--quick] [--workers N] [--json | --markdown] [--suites A,B] [--sizes 160,1200] [--ops protect,unprotect] [--impls naive,ts,native,libsrtp] [--repeats N] [--seconds S] [--batch N] [--no-pin]',
    async run(args) {
      const { formatSrtpBench, formatSrtpBenchMarkdown, parseSrtpBenchArgs, runSrtpBench } = await import('./srtp/srtp-bench.js');
      const opts = parseSrtpBenchArgs(args);
      const report = await runSrtpBench(opts);
      const text = opts.json ? JSON.stringify(report, null, 2) : opts.markdown ? formatSrtpBenchMarkdown(report) : formatSrtpBench(report);
      process.stdout.write(text + '\n');
    },
  },
};

function usage(): string {
  return ['usage: node --import tsx bench/run.ts <bench> [options]', ...Object.entries(BENCHES).map(([name, b]) => `  ${name} ${b.usage}\n      ${b.describe}`)].join('\n');
}

export async function runBench(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    process.stderr.write(`${name ? `unknown bench ${name}\n` : ''}${usage()}\n`);
    return 2;
  }
  try {
    await bench.run(args);
    return 0;
  } catch (err) {
    process.stderr.write(`bench ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runBench(process.argv.slice(2));
}
