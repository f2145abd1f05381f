// Worker side of the fuzz hang guard: runs a deterministic fuzz batch and reports when done.
import { parentPort, workerData } from 'node:worker_threads';
import { fuzzBatch } from './fuzz.js';

const { seed, iterations } = workerData as { seed: number; iterations: number };
try {
  parentPort!.postMessage({ done: true, result: fuzzBatch(seed, iterations) });
} catch (e) {
  parentPort!.postMessage({ done: false, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
}
