// Many deadlines of one fixed delay behind a single timer. A setTimeout per item costs a Timeout object, a timer-list
// insert and a clearTimeout on hot paths (one per TLS handshake, one per closing connection); here an item costs a
// Map insert and delete. With one delay for every item, insertion order is deadline order, so expiry stops at the
// first item not yet due.

export class DeadlineQueue<T> {
  /** Item -> deadline (ms since epoch), oldest first. */
  private readonly due = new Map<T, number>();
  private timer: NodeJS.Timeout | undefined;
  /** Set while expired items are handed out: items added meanwhile must not arm a later timer than the oldest left. */
  private expiring = false;

  constructor(
    readonly delayMs: number,
    private readonly onExpire: (item: T) => void,
  ) {
    if (!(delayMs > 0) || !Number.isFinite(delayMs)) throw new RangeError(`DeadlineQueue: delay must be a positive number of ms (got ${delayMs})`);
  }

  /** Starts the item's delay now (an item already queued is re-queued with a fresh deadline). */
  add(item: T): void {
    this.due.delete(item);
    this.due.set(item, Date.now() + this.delayMs);
    if (this.timer === undefined && !this.expiring) this.arm(this.delayMs);
  }

  /** Forgets the item; true when it was still waiting. */
  delete(item: T): boolean {
    return this.due.delete(item);
  }

  has(item: T): boolean {
    return this.due.has(item);
  }

  get size(): number {
    return this.due.size;
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    this.due.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    // Unref'd, as the per-item timers it replaces were: pending deadlines do not keep the process alive.
    this.timer = setTimeout(this.fire, ms);
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.expiring = true;
    this.timer = undefined;
    const now = Date.now();
    try {
      for (const [item, at] of this.due) {
        if (at > now) break;
        this.due.delete(item);
        this.onExpire(item);
      }
    } finally {
      // Re-armed for the oldest deadline left, even when a callback threw.
      this.expiring = false;
      const next = this.due.values().next();
      if (!next.done) this.arm(Math.max(1, next.value - Date.now()));
    }
  };
}
