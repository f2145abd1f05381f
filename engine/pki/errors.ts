// Errors of the pki module. A PkiRuleError is a refusal by one of CUCM's documented rules: its message quotes the
// guide where the guide has words for it, and `source` says where (seed file:line) so a reader can check.

export class PkiError extends Error {
  /** Stable code for programs (tests, the CLI's --json output). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PkiError';
    this.code = code;
  }
}

export class PkiRuleError extends PkiError {
  /** Seed reference of the rule, e.g. "001:L3411"; "trustline" when the rule is our documented choice. */
  readonly source: string;
  constructor(code: string, message: string, source: string) {
    super(code, message);
    this.name = 'PkiRuleError';
    this.source = source;
  }
}
