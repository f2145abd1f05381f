// V8 flags trustline's long-running servers start with (`trustline cluster start`, and the bench's node servers so
// that the bench measures what users run): a larger young generation makes the short-lived garbage of each TLS
// handshake cheaper to collect (+6 to +13 % handshakes per core-second, docs/decisions.md "TLS listener").
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Whether CLI arguments (after the script) run a long-lived server: `cluster start`, global options allowed first. */
export function runsServer(args: readonly string[]): boolean {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'cluster' && words[1] === 'start';
}

/** Whether this process already has every server flag (so a re-exec is not needed). */
export function hasServerFlags(execArgv: readonly string[]): boolean {
  return SERVER_NODE_FLAGS.every((f) => execArgv.includes(f));
}
