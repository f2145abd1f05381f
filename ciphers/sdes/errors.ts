// The one error type SDES parsing and conversion throw: it names the field and quotes the offending text.

export class SdesError extends Error {
  constructor(
    /** Which part of the attribute was wrong, e.g. 'crypto-suite', 'key-params[1].lifetime', 'KDR'. */
    readonly field: string,
    /** The offending text as received (truncated when long). */
    readonly text: string,
    /** What was wrong with it. */
    readonly problem: string,
  ) {
    super(`a=crypto ${field}: ${problem} (in ${JSON.stringify(text.length > 120 ? text.slice(0, 117) + '...' : text)})`);
    this.name = 'SdesError';
  }
}
