// The one 20 ms tick every media stream of the process shares: one timer for any number of calls, deadlines computed
// from the start time (no drift from timer slop), bounded catch-up after a stall, and a media-time scale so tests can
// run a second of audio in less wall time with consistent timestamps and statistics.
import { performance } from 'node:perf_hooks';

/** Something that runs on every tick (a stream's sender). Objects, not closures: no allocation per tick. */
export interface TickTask {
  onTick(tick: number, mediaNowMs: number): void;
}

export interface MediaClockOptions {
  /** Media time per tick (default 20 ms: one G.711 packet of 160 samples). */
  periodMs?: number;
  /** Media time per wall time (default 1). 2 runs a 20 ms tick every 10 ms of wall time. */
  speed?: number;
  /** Ticks run back to back after a stall before the rest are skipped (default 5). */
  maxCatchUpTicks?: number;
  /** Wall clock in ms (default performance.now); tests inject their own and call runDue(). */
  now?: () => number;
  /** Start the timer when the first task is added (default true; false for manual runDue()). */
  autoStart?: boolean;
}

export interface MediaClockStats {
  ticks: number;
  /** Ticks run later than their deadline by more than a period. */
  lateTicks: number;
  /** Ticks dropped after a stall longer than maxCatchUpTicks. */
  skippedTicks: number;
  /** Largest lag behind a deadline seen, in wall ms. */
  maxLagMs: number;
  tasks: number;
  /** A task threw: the count (the task stays registered; the error is reported through onTaskError). */
  taskErrors: number;
}

export class MediaClock {
  readonly periodMs: number;
  readonly speed: number;
  readonly #wallPeriod: number;
  readonly #maxCatchUp: number;
  readonly #now: () => number;
  readonly #autoStart: boolean;
  #tasks: (TickTask | null)[] = [];
  #ticking = false;
  #holes = false;
  #startWall: number;
  #tick = 0;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #stats: MediaClockStats = { ticks: 0, lateTicks: 0, skippedTicks: 0, maxLagMs: 0, tasks: 0, taskErrors: 0 };
  /** Called when a task throws; by default the error is rethrown on the next turn (a bug, not a media event). */
  onTaskError: (err: unknown, task: TickTask) => void = (err) => {
    queueMicrotask(() => {
      throw err;
    });
  };

  constructor(options: MediaClockOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    this.speed = options.speed ?? 1;
    if (!(this.periodMs >= 1 && this.periodMs <= 1000)) throw new RangeError(`media clock period ${this.periodMs} ms must be 1..1000`);
    if (!(this.speed > 0 && this.speed <= 50)) throw new RangeError(`media clock speed ${this.speed} must be in (0, 50]`);
    this.#wallPeriod = this.periodMs / this.speed;
    this.#maxCatchUp = options.maxCatchUpTicks ?? 5;
    this.#now = options.now ?? (() => performance.now());
    this.#autoStart = options.autoStart ?? true;
    this.#startWall = this.#now();
  }

  /** Media time in ms since the clock was created (wall time × speed). */
  now(): number {
    return (this.#now() - this.#startWall) * this.speed;
  }

  /** Index of the next tick to run. */
  get tick(): number {
    return this.#tick;
  }

  add(task: TickTask): void {
    if (!this.#tasks.includes(task)) this.#tasks.push(task);
    this.#count();
    if (this.#autoStart && !this.#running) this.start();
  }

  remove(task: TickTask): void {
    const i = this.#tasks.indexOf(task);
    if (i < 0) return;
    if (this.#ticking) {
      // Leave a hole so the tasks after it keep their places in the running loop; compacted after the tick.
      this.#tasks[i] = null;
      this.#holes = true;
    } else {
      this.#tasks.splice(i, 1);
    }
    this.#count();
  }

  #count(): void {
    let n = 0;
    for (const t of this.#tasks) if (t) n++;
    this.#stats.tasks = n;
    if (n === 0) this.stop();
  }

  /** Starts the timer, aligned so the next tick is due one period from now. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const now = this.#now();
    const due = this.#startWall + this.#tick * this.#wallPeriod;
    if (due < now) {
      // Resume after an idle pause: skip the idle ticks without counting them as skipped or late.
      this.#tick = Math.ceil((now - this.#startWall) / this.#wallPeriod);
    }
    this.#arm();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  get running(): boolean {
    return this.#running;
  }

  stats(): MediaClockStats {
    return { ...this.#stats };
  }

  /** Runs every tick whose deadline has passed (at most maxCatchUpTicks + 1; later ones are skipped). */
  runDue(): number {
    const now = this.#now();
    let ran = 0;
    for (;;) {
      const due = this.#startWall + this.#tick * this.#wallPeriod;
      if (due > now) break;
      const lag = now - due;
      if (lag > this.#stats.maxLagMs) this.#stats.maxLagMs = lag;
      if (ran > this.#maxCatchUp) {
        const behind = Math.floor((now - due) / this.#wallPeriod) + 1;
        this.#stats.skippedTicks += behind;
        this.#tick += behind;
        break;
      }
      if (lag > this.#wallPeriod) this.#stats.lateTicks++;
      this.#runTick(this.#tick, (due - this.#startWall) * this.speed);
      this.#tick++;
      ran++;
    }
    return ran;
  }

  #runTick(tick: number, mediaMs: number): void {
    this.#stats.ticks++;
    const tasks = this.#tasks;
    // A stable length: tasks added during the tick start next tick; removed ones leave holes until the tick ends.
    this.#ticking = true;
    for (let i = 0, n = tasks.length; i < n; i++) {
      const t = tasks[i];
      if (!t) continue;
      try {
        t.onTick(tick, mediaMs);
      } catch (err) {
        this.#stats.taskErrors++;
        this.onTaskError(err, t);
      }
    }
    this.#ticking = false;
    if (this.#holes) {
      this.#holes = false;
      this.#tasks = tasks.filter((t) => t !== null);
    }
  }

  #arm(): void {
    if (!this.#running) return;
    const due = this.#startWall + this.#tick * this.#wallPeriod;
    const delay = Math.max(0, due - this.#now());
    this.#timer = setTimeout(this.#fire, delay);
  }

  readonly #fire = (): void => {
    this.#timer = null;
    if (!this.#running) return;
    this.runDue();
    this.#arm();
  };
}
