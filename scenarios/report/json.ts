// The JSON report: the results model as it is (RESULTS_FORMAT names its version), and the reader that takes it back.
import { RESULTS_FORMAT, type RunResult } from '../results.js';

export function renderJson(result: RunResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}

export class ReportFormatError extends Error {}

/** Reads a JSON report back; refuses text that is not one (or another format version). */
export function parseJsonReport(text: string): RunResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ReportFormatError(`not JSON: ${(e as Error).message}`);
  }
  const r = v as Partial<RunResult> | null;
  if (!r || typeof r !== 'object') throw new ReportFormatError('not a trustline results object');
  if (r.format !== RESULTS_FORMAT) throw new ReportFormatError(`format ${JSON.stringify(r.format)} is not ${RESULTS_FORMAT}`);
  if (!Array.isArray(r.scenarios) || !r.summary) throw new ReportFormatError('missing scenarios or summary');
  return r as RunResult;
}
