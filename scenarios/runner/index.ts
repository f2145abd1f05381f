// The real scenario runner: an ExecutorFactory that drives the embedded cluster and the emulated phones.
export { createExecutorFactory, EngineExecutor, type EngineExecutorOptions } from './executor-factory.js';
export { ClusterTemplates, processTemplates } from './cluster-setup.js';
export type { CaptureFiles, CaptureOptions } from './capture.js';
