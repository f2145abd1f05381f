// Report formats by name, and writing them (atomically) where the CLI's --report options say.
import { writeFileAtomic } from '../../common/atomic-file.js';
import type { RunResult } from '../results.js';
import { renderConsole, type ConsoleReportOptions } from './console.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderHtml } from './html.js';

export const REPORT_FORMATS = ['console', 'json', 'junit', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const DEFAULT_REPORT_FILES: Record<Exclude<ReportFormat, 'console'>, string> = {
  json: 'trustline-report.json',
  junit: 'trustline-junit.xml',
  html: 'trustline-report.html',
};

export function renderReport(format: ReportFormat, result: RunResult, consoleOpts: ConsoleReportOptions = {}): string {
  switch (format) {
    case 'console':
      return renderConsole(result, consoleOpts);
    case 'json':
      return renderJson(result);
    case 'junit':
      return renderJunit(result);
    case 'html':
      return renderHtml(result);
  }
}

/** "json", "junit=out/junit.xml", "html:report.html" → format and path (default file name when none). */
export function parseReportSpec(spec: string): { format: ReportFormat; path?: string } {
  const m = /^([a-z]+)(?:[=:](.+))?$/.exec(spec.trim());
  const format = m?.[1] as ReportFormat | undefined;
  if (!m || !format || !(REPORT_FORMATS as readonly string[]).includes(format))
    throw new Error(`unknown report ${JSON.stringify(spec)}: use ${REPORT_FORMATS.join(', ')} (optionally =<file>)`);
  if (format === 'console') return { format };
  return { format, path: m[2] ?? DEFAULT_REPORT_FILES[format] };
}

/** Writes a file atomically (common/atomic-file.ts). */
export function writeAtomically(path: string, content: string): Promise<void> {
  return writeFileAtomic(path, content);
}
