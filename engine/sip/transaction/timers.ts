// The clock transactions run on: real timers by default, a manual one in tests (and in scenarios that want to
// step time). RFC 3261 17 timer values derive from T1/T2/T4 (Table 4).

export interface TimerHandle {
  cancel(): void;
}

export interface TimerService {
  set(ms: number, fn: () => void): TimerHandle;
  now(): number;
}

export const realTimers: TimerService = {
  set(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  now: () => Date.now(),
};

/** Timers that fire only when advance() moves time forward; in due order, re-entrantly safe. */
export class ManualTimers implements TimerService {
  private t = 0;
  private seq = 0;
  private queue: { at: number; seq: number; fn: () => void; live: boolean }[] = [];

  now(): number {
    return this.t;
  }

  set(ms: number, fn: () => void): TimerHandle {
    const e = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.queue.push(e);
    return { cancel: () => void (e.live = false) };
  }

  /** Pending timers (not cancelled). */
  get pending(): number {
    return this.queue.filter((e) => e.live).length;
  }

  /** Moves time forward by ms, firing every timer due on the way (including ones set while firing). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.queue = this.queue.filter((e) => e.live);
      let next: (typeof this.queue)[number] | undefined;
      for (const e of this.queue) if (e.at <= end && (!next || e.at < next.at || (e.at === next.at && e.seq < next.seq))) next = e;
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}

export interface TimerValues {
  /** RTT estimate, default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  T2: number;
  /** Maximum duration a message stays in the network, default 5 s. */
  T4: number;
}

export const DEFAULT_TIMER_VALUES: TimerValues = { T1: 500, T2: 4000, T4: 5000 };
