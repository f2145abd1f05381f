// Bounded concurrency with a minimum spacing between connection starts, so a probe never hammers its target.
export class Limiter {
  private active = 0;
  private lastStart = 0;
  /** Starts go through one at a time, so each is spaced from the previous one's actual start. */
  private startGate: Promise<void> = Promise.resolve();
  private readonly queue: Array<() => void> = [];
  /** Connections started so far. */
  started = 0;

  constructor(
    readonly concurrency: number,
    readonly delayMs = 0,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency ${concurrency}: expected an integer >= 1`);
    if (!(delayMs >= 0)) throw new RangeError(`delay ${delayMs} ms: expected >= 0`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  /** Runs fn over items through the limiter; results in item order. */
  map<I, T>(items: readonly I[], fn: (item: I, index: number) => Promise<T>): Promise<T[]> {
    return Promise.all(items.map((item, i) => this.run(() => fn(item, i))));
  }

  private async acquire(): Promise<void> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    if (this.delayMs > 0) {
      // Spacing is counted from when the previous start really happened: a timer that fired late (a busy event loop)
      // must not let the next start come sooner than delayMs after it.
      const previous = this.startGate;
      let opened!: () => void;
      this.startGate = new Promise<void>((r) => (opened = r));
      await previous;
      const wait = this.lastStart + this.delayMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.lastStart = Date.now();
      opened();
    }
    this.started++;
  }
}
