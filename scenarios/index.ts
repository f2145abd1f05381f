// The scenarios package as the CLI and the runner use it.
export { loadScenarioFile, loadScenarioText, type LoadResult, type LoadOptions } from './load.js';
export { formatScenarioError, ScenarioLoadError, type ScenarioError } from './errors.js';
export type * from './model.js';
export { isGroup, formatLocation } from './model.js';
export { evaluateExpectations, matches, describeMatcher } from './evaluate.js';
export { runPlan, type RunPlanOptions } from './run-plan.js';
export { runScenarioFiles, runCommand, type RunFilesOptions, type RunCommandOptions } from './run.js';
export { createProgress, type ProgressReporter, type ProgressMode } from './progress.js';
export * from './results.js';
export { renderReport, parseReportSpec, writeAtomically, REPORT_FORMATS, type ReportFormat } from './report/index.js';
export { buildScenarioSchema, SCHEMA_ID } from './schema/build.js';
