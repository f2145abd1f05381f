// One event stream for the whole cluster, in the order things happened: certificate changes (engine/pki), file
// requests (engine/tftp's journal), TVS answers, CAPF sessions, SIP registrations and refusals, the administrator's
// operations, phone resets and fault injections. Reports and scenarios read it; it is bounded and in memory (the PKI
// keeps its own events on disk).
import type { SessionRecord } from '../capf/index.js';
import type { PkiEvent } from '../pki/index.js';
import type { JournalEntry as SipSecurityEntry } from '../sip/security-journal.js';
import type { JournalEntry as FileRequestEntry } from '../tftp/index.js';
import type { TvsJournalEntry } from '../tvs/index.js';
import type { TrunkTlsDecision } from './trunks.js';

export type ClusterEventSource = 'cluster' | 'pki' | 'tftp' | 'tvs' | 'capf' | 'sip' | 'fault';

export interface SipRegistrationInfo {
  type: 'registered' | 'refreshed' | 'unregistered' | 'expired';
  aor: string;
  contact: string;
  device?: string;
  transport: string;
  remote: string;
  expiresAt: string;
}

interface Base {
  seq: number;
  at: string;
  /** The cluster's name (two clusters may share a listener). */
  cluster: string;
  /** One line for people. */
  message: string;
}

/** What each kind carries. */
export type ClusterEventBody =
  | { source: 'pki'; kind: 'pki-event'; event: PkiEvent }
  | { source: 'tftp'; kind: 'file-request'; request: FileRequestEntry }
  | { source: 'tvs'; kind: 'tvs-answer'; answer: TvsJournalEntry }
  | { source: 'capf'; kind: 'capf-session'; session: SessionRecord }
  | { source: 'sip'; kind: 'sip-registration'; registration: SipRegistrationInfo }
  | { source: 'sip'; kind: 'sip-refusal'; refusal: SipSecurityEntry }
  | { source: 'sip'; kind: 'trunk-tls'; decision: TrunkTlsDecision }
  | { source: 'cluster'; kind: 'operation'; operation: string; detail?: Record<string, unknown> }
  | { source: 'cluster'; kind: 'service'; service: string; state: 'started' | 'stopped' | 'failed'; ports?: Record<string, number>; reason?: string }
  | { source: 'cluster'; kind: 'phone-reset'; device: string; state: 'pending' | 'requested'; reason: string; cause?: number }
  | { source: 'fault'; kind: 'fault'; fault: string; state: 'armed' | 'applied' | 'cleared'; detail?: Record<string, unknown> };

export type ClusterEvent = Base & ClusterEventBody;
export type ClusterEventKind = ClusterEvent['kind'];
type Listener = (e: ClusterEvent) => void;

export class ClusterJournal {
  readonly #events: ClusterEvent[] = [];
  readonly #listeners = new Set<Listener>();
  #seq = 0;

  constructor(
    readonly cluster: string,
    private readonly max = 5000,
  ) {}

  record(body: ClusterEventBody, message: string): ClusterEvent {
    const e = { seq: ++this.#seq, at: new Date().toISOString(), cluster: this.cluster, message, ...body } as ClusterEvent;
    this.#events.push(e);
    if (this.#events.length > this.max) this.#events.splice(0, this.#events.length - this.max);
    for (const l of [...this.#listeners]) {
      try {
        l(e);
      } catch {
        /* a listener's failure is its own */
      }
    }
    return e;
  }

  /** Events, oldest first; optionally only one kind, or those after a sequence number. */
  events<K extends ClusterEventKind>(filter: { kind?: K; since?: number } = {}): Extract<ClusterEvent, { kind: K }>[] {
    return this.#events.filter((e) => (filter.kind === undefined || e.kind === filter.kind) && (filter.since === undefined || e.seq > filter.since)) as Extract<ClusterEvent, { kind: K }>[];
  }

  get lastSeq(): number {
    return this.#seq;
  }

  onEvent(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first event (already recorded after `since`, or future) that matches; rejects after timeoutMs. */
  waitFor(match: (e: ClusterEvent) => boolean, opts: { timeoutMs?: number; since?: number } = {}): Promise<ClusterEvent> {
    const hit = this.#events.find((e) => (opts.since === undefined || e.seq > opts.since) && match(e));
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no matching cluster event within ${opts.timeoutMs ?? 10_000} ms`));
      }, opts.timeoutMs ?? 10_000);
      const off = this.onEvent((e) => {
        if (!match(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }
}
