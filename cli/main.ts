// The `trustline` command: one program, one subcommand module per concern (cli/commands/*).
import { Command, CommanderError } from 'commander';
import { setLogLevel } from '../common/log.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('trustline')
    .description('Emulated Cisco Unified CM-style secure telephony: cluster, phones, SRTP, probes')
    .option('-q, --quiet', 'only errors and results')
    .option('-v, --verbose', 'debug logging (repeat for trace)', (_v, n: number) => n + 1, 0)
    .showHelpAfterError()
    .exitOverride();
  program.hook('preAction', (cmd) => {
    const opts = cmd.optsWithGlobals() as { quiet?: boolean; verbose?: number };
    if (opts.quiet) setLogLevel('error');
    else if ((opts.verbose ?? 0) >= 2) setLogLevel('trace');
    else if ((opts.verbose ?? 0) === 1) setLogLevel('debug');
  });
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. Commands signal failure by setting process.exitCode or throwing. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`trustline: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
