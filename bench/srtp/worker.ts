// worker_threads entry of the SRTP bench (--workers N): runs one measurement and posts its packets/s per repeat.
import { parentPort, workerData } from 'node:worker_threads';
import { measure, type MeasureSpec } from './measure.js';

parentPort!.postMessage(measure(workerData as MeasureSpec));
