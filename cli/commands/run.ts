// `trustline run <file...>`: runs scenario files against the embedded cluster and emulated phones (scenarios/runner),
// progress on stderr, the console table on stdout, JSON/JUnit/HTML reports into files, optionally a capture of the
// run's loopback traffic (or, failing that, of the media) with the TLS and SRTP keys. Exit code 0 only if every
// expectation of every scenario holds.
import type { Command } from 'commander';
import { isAbsolute, join } from 'node:path';
import { setLogLevel } from '../../common/log.js';
import { parseReportSpec } from '../../scenarios/report/index.js';
import { runCommand } from '../../scenarios/run.js';
import { createExecutorFactory, type CaptureFiles } from '../../scenarios/runner/index.js';

interface RunOpts {
  report: string[];
  out?: string;
  capture?: boolean;
  check?: boolean;
  state?: string;
  keepState?: boolean;
  speed?: string;
}

/** Reports named without a file go into the output directory under their default names. */
export function reportTargets(specs: readonly string[], out: string | undefined): string[] {
  return specs.map((s) => {
    const spec = parseReportSpec(s);
    if (spec.format === 'console' || !spec.path) return s;
    const explicit = /^[a-z]+[=:]/.test(s.trim());
    const path = explicit || !out || isAbsolute(spec.path) ? spec.path : join(out, spec.path);
    return `${spec.format}=${path}`;
  });
}

/** What --capture wrote, and what the pcap holds (a fallback is said even with --quiet); decode hints for tshark. */
export function captureLine(f: CaptureFiles): string {
  const decode = f.decodeAs.length ? `\n  read it with: tshark -r ${f.pcap} -o tls.keylog_file:${f.tlsKeyLog} ${f.decodeAs.map((d) => `-d ${d}`).join(' ')}` : '';
  return `wrote capture ${f.pcap} (+ ${f.tlsKeyLog}, ${f.srtpKeyLog}): ${f.note}${decode}\n`;
}

export function registerRun(program: Command): void {
  program
    .command('run <file...>')
    .description('run scenario files (YAML) against the embedded cluster and emulated phones; exit 0 only if every expectation holds')
    .option('--report <format>', 'also write a report: json, junit or html, optionally =FILE (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--out <dir>', 'directory for reports given without a file name and for --capture (default: the current directory)')
    .option('--capture', "write a pcap of each scenario's loopback traffic (dumpcap; else only the media) with its TLS and SRTP key logs (into --out, default ./trustline-capture)")
    .option('--check', 'only load and validate the files (schema errors with file:line:column)')
    .option('--state <dir>', 'keep clusters and phones in this directory (default: a temporary one per run)')
    .option('--keep-state', 'keep the temporary state directory after the run')
    .option('--speed <factor>', 'media time per wall time (default 1)')
    .addHelpText('after', '\nGlobal options apply: -q/--quiet prints one line per scenario, -v/--verbose shows every step and the engine log.\nExample: trustline run scenarios/examples/secure-call.yaml --report html --out reports')
    .action(async (files: string[], o: RunOpts, cmd: Command) => {
      const g = cmd.optsWithGlobals() as { quiet?: boolean; verbose?: number };
      const verbose = g.verbose ?? 0;
      // The reports keep the engine's log from info up; the terminal shows errors, or more with -v.
      setLogLevel(verbose >= 2 ? 'trace' : verbose === 1 ? 'debug' : 'info');
      const speed = o.speed !== undefined ? Number(o.speed) : 1;
      if (!(speed > 0 && speed <= 50)) throw new Error(`--speed ${o.speed}: give a factor between 0 and 50`);
      const captureDir = o.capture ? (o.out ?? 'trustline-capture') : undefined;
      const factory = createExecutorFactory({
        ...(o.state ? { stateDir: o.state } : {}),
        ...(o.keepState ? { keepState: true } : {}),
        mediaSpeed: speed,
        ...(captureDir ? { captureDir, onCapture: (_p, f) => (g.quiet && f.live) || process.stderr.write(captureLine(f)) } : {}),
        logs: { echo: (line) => process.stderr.write(line + '\n'), echoLevel: verbose >= 2 ? 'trace' : verbose === 1 ? 'info' : 'error' },
      });
      const ac = new AbortController();
      const stop = () => ac.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        process.exitCode = await runCommand(files, {
          executorFactory: factory,
          reports: reportTargets(o.report, o.out),
          quiet: g.quiet === true,
          verbose: verbose > 0,
          ...(o.check ? { check: true } : {}),
          signal: ac.signal,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
