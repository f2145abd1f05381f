// Every admission refusal (TLS, phone registration, line-side request, trunk) with its stage and reason: kept in a
// bounded journal for reports and scenarios, and logged.
import { logger } from '../../common/log.js';

const log = logger('sip.security');

export type JournalSubject = 'tls' | 'phone' | 'trunk' | 'request';

export interface JournalEntry {
  seq: number;
  at: string;
  subject: JournalSubject;
  /** Which check refused: 'client-certificate', 'transport', 'security-mode', 'digest', 'acl', 'tls-subject', ... */
  stage: string;
  reason: string;
  /** SIP status answered, when a request was refused with a response (TLS refusals close the connection). */
  status?: number;
  method?: string;
  device?: string;
  trunk?: string;
  aor?: string;
  remote?: string;
  transport?: string;
}

export class SecurityJournal {
  private readonly list: JournalEntry[] = [];
  private seq = 0;
  private readonly listeners = new Set<(e: JournalEntry) => void>();

  constructor(private readonly max = 1000) {}

  record(e: Omit<JournalEntry, 'seq' | 'at'>): JournalEntry {
    const entry: JournalEntry = { seq: ++this.seq, at: new Date().toISOString(), ...e };
    this.list.push(entry);
    if (this.list.length > this.max) this.list.splice(0, this.list.length - this.max);
    log.warn(
      `refused ${e.subject}${e.device ? ` ${e.device}` : ''}${e.trunk ? ` trunk ${e.trunk}` : ''}${e.method ? ` ${e.method}` : ''}` +
        `${e.remote ? ` from ${e.transport ?? ''} ${e.remote}` : ''} at ${e.stage}${e.status ? ` (${e.status})` : ''}: ${e.reason}`,
    );
    for (const l of this.listeners) l(entry);
    return entry;
  }

  entries(): readonly JournalEntry[] {
    return this.list;
  }

  /** Entries since a sequence number (exclusive). */
  since(seq: number): JournalEntry[] {
    return this.list.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.seq;
  }

  onEntry(fn: (e: JournalEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
