// The location service (RFC 3261 10.3): bindings of addresses of record to contacts, with expiry, the flow each
// registration came over (so requests to a phone reuse its connection, as CUCM does), and change events for the
// call-routing layer. Addresses of record are keyed by their user part (the directory number): one cluster, one
// domain.
import type { Connection, TransportProtocol } from '../transport/index.js';

export interface Binding {
  aor: string;
  /** Contact URI as registered. */
  contact: string;
  /** Milliseconds since epoch (of the registrar's clock). */
  expiresAt: number;
  callId: string;
  cseq: number;
  q?: string;
  /** +sip.instance (RFC 5626), when given. */
  instance?: string;
  /** Device name, when the registration was for a configured phone. */
  device?: string;
  /** Where the REGISTER came from: the flow to reach the phone on. */
  source: { transport: TransportProtocol; address: string; port: number; connection?: Connection };
  registeredAt: number;
}

export type LocationEvent = { type: 'registered' | 'refreshed' | 'unregistered' | 'expired'; binding: Binding };

export function aorKey(user: string | undefined, host: string): string {
  return user !== undefined && user !== '' ? user : `@${host.toLowerCase()}`;
}

export class LocationService {
  private readonly map = new Map<string, Map<string, Binding>>();
  private readonly listeners = new Set<(e: LocationEvent) => void>();
  private count = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Live bindings of an AOR (expired ones are dropped on the way). */
  lookup(aor: string): Binding[] {
    const m = this.map.get(aor);
    if (!m) return [];
    const t = this.now();
    const out: Binding[] = [];
    for (const b of m.values()) {
      if (b.expiresAt <= t) this.drop(m, b, 'expired');
      else out.push(b);
    }
    return out;
  }

  get(aor: string, contact: string): Binding | undefined {
    return this.map.get(aor)?.get(contact);
  }

  /** Adds or replaces the binding of (aor, contact). */
  set(b: Binding): void {
    let m = this.map.get(b.aor);
    if (!m) this.map.set(b.aor, (m = new Map()));
    const had = m.has(b.contact);
    m.set(b.contact, b);
    if (!had) this.count++;
    if (this.listeners.size > 0) this.emit({ type: had ? 'refreshed' : 'registered', binding: b });
  }

  remove(aor: string, contact: string): boolean {
    const m = this.map.get(aor);
    const b = m?.get(contact);
    if (!m || !b) return false;
    this.drop(m, b, 'unregistered');
    return true;
  }

  removeAll(aor: string): number {
    const m = this.map.get(aor);
    if (!m) return 0;
    const n = m.size;
    for (const b of [...m.values()]) this.drop(m, b, 'unregistered');
    return n;
  }

  /** Drops the bindings registered over a connection that closed (the phone is unregistered, as in CUCM). */
  removeByConnection(conn: Connection): number {
    let n = 0;
    for (const m of this.map.values())
      for (const b of [...m.values()])
        if (b.source.connection === conn) {
          this.drop(m, b, 'unregistered');
          n++;
        }
    return n;
  }

  /** Bindings of a device, live ones. */
  byDevice(device: string): Binding[] {
    const out: Binding[] = [];
    const name = device.toUpperCase();
    for (const aor of this.map.keys()) for (const b of this.lookup(aor)) if (b.device === name) out.push(b);
    return out;
  }

  /** Removes expired bindings; returns how many. */
  sweep(): number {
    const t = this.now();
    let n = 0;
    for (const m of this.map.values())
      for (const b of [...m.values()])
        if (b.expiresAt <= t) {
          this.drop(m, b, 'expired');
          n++;
        }
    return n;
  }

  get size(): number {
    return this.count;
  }

  onChange(fn: (e: LocationEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private drop(m: Map<string, Binding>, b: Binding, type: 'unregistered' | 'expired'): void {
    if (m.get(b.contact) !== b) return;
    m.delete(b.contact);
    this.count--;
    if (m.size === 0) this.map.delete(b.aor);
    if (this.listeners.size > 0) this.emit({ type, binding: b });
  }

  private emit(e: LocationEvent): void {
    for (const l of this.listeners) l(e);
  }
}
