// What a booting phone reports, step by step: typed events for scenario reports and tests, and a small recorder that
// numbers them, times the steps and fans them out to listeners.
import type { TrustEvent } from '../trust/phone-trust-store.js';
import type { FetchStatus, FetchTransport } from './file-fetcher.js';
import type { CapfStatus } from './capf-port.js';

/** The boot steps in order (SIP registration comes after `ready`, outside the boot). */
export type BootStep = 'ctl' | 'itl' | 'config' | 'capf' | 'ready';
export const BOOT_STEPS: readonly BootStep[] = ['ctl', 'itl', 'config', 'capf', 'ready'];

export type StepOutcome = 'ok' | 'skipped' | 'not-found' | 'refused' | 'failed';

interface EventBase {
  seq: number;
  at: string;
  step: BootStep;
}

export type BootEvent =
  | (EventBase & { type: 'step-start' })
  | (EventBase & { type: 'step-end'; outcome: StepOutcome; reason: string; durationMs: number })
  | (EventBase & {
      type: 'fetch';
      file: string;
      transport: FetchTransport;
      status: FetchStatus;
      bytes?: number;
      reason?: string;
      durationMs: number;
      /** HTTPS: protocol, suite (IANA), server certificate key type and subject, client certificate offered. */
      tls?: { protocol?: string; suite?: string; serverKeyType?: string; serverSubject?: string; clientCertificate?: string; attempts: number };
      tftp?: { blksize: number; blocks: number; retransmissions: number };
    })
  | (EventBase & { type: 'trust'; decision: TrustEvent })
  | (EventBase & {
      type: 'capf';
      status: CapfStatus;
      detail: string;
      authenticatedWith?: string;
      lsc?: { subject: string; keyType: string; keySize: number };
      /** Protocol and suite of the CAPF session, and whether the CAPF certificate was checked against the ITL/CTL. */
      tls?: { protocol: string; cipher: string; serverVerified: boolean };
    })
  | (EventBase & { type: 'note'; message: string });

/** Distributes Omit over the union, so each variant keeps its own fields. */
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type BootEventInput = DistributiveOmit<BootEvent, 'seq' | 'at'>;

export interface StepSummary {
  step: BootStep;
  outcome: StepOutcome;
  reason: string;
  durationMs: number;
}

export class BootRecorder {
  readonly events: BootEvent[] = [];
  readonly steps: StepSummary[] = [];
  #seq = 0;
  readonly #listeners: ((e: BootEvent) => void)[];
  readonly #now: () => Date;
  #open: { step: BootStep; started: number } | undefined;

  constructor(listeners: ((e: BootEvent) => void)[] = [], now: () => Date = () => new Date()) {
    this.#listeners = listeners;
    this.#now = now;
  }

  emit(e: BootEventInput): BootEvent {
    const event = { ...e, seq: ++this.#seq, at: this.#now().toISOString() } as BootEvent;
    this.events.push(event);
    for (const l of this.#listeners) l(event);
    return event;
  }

  start(step: BootStep): void {
    this.#open = { step, started: Date.now() };
    this.emit({ type: 'step-start', step });
  }

  end(step: BootStep, outcome: StepOutcome, reason: string): StepSummary {
    const durationMs = this.#open?.step === step ? Date.now() - this.#open.started : 0;
    this.#open = undefined;
    this.emit({ type: 'step-end', step, outcome, reason, durationMs });
    const s = { step, outcome, reason, durationMs };
    this.steps.push(s);
    return s;
  }

  /** A step that did not run (model without that feature, nothing to do). */
  skip(step: BootStep, reason: string): StepSummary {
    this.start(step);
    return this.end(step, 'skipped', reason);
  }
}

/** One line per step, for logs and reports. */
export function describeSteps(steps: readonly StepSummary[]): string {
  return steps.map((s) => `${s.step}: ${s.outcome} (${s.reason})`).join('\n');
}
