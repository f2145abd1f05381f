// The shared 20 ms clock, driven by an injected time source: deadlines from the start (no drift), bounded
// catch-up, media-time scaling, tasks added and removed while ticking, errors kept apart. Plus one real-timer run.
import { expect } from 'chai';
import { MediaClock, type TickTask } from '../../endpoints/media/media-clock.js';

class Recorder implements TickTask {
  ticks: number[] = [];
  media: number[] = [];
  onTick(tick: number, mediaMs: number): void {
    this.ticks.push(tick);
    this.media.push(mediaMs);
  }
}

function manual(options: { speed?: number; maxCatchUpTicks?: number } = {}) {
  let t = 1000;
  const clock = new MediaClock({ ...options, now: () => t, autoStart: false });
  return { clock, advance: (ms: number) => (t += ms) };
}

describe('media: MediaClock', () => {
  it('runs one tick per period from the start time, whatever the timer jitter', () => {
    const { clock, advance } = manual();
    const r = new Recorder();
    clock.add(r);
    clock.runDue(); // tick 0 is due at the start
    for (const step of [19, 2, 20, 25, 14, 20]) {
      advance(step);
      clock.runDue();
    }
    // 100 ms after the start: ticks 0..5, media times on the 20 ms grid, none late.
    expect(r.ticks).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(r.media).to.deep.equal([0, 20, 40, 60, 80, 100]);
    expect(clock.stats()).to.include({ ticks: 6, lateTicks: 0, skippedTicks: 0 });
  });

  it('catches up a short stall tick by tick and skips the rest of a long one', () => {
    const { clock, advance } = manual({ maxCatchUpTicks: 3 });
    const r = new Recorder();
    clock.add(r);
    clock.runDue();
    advance(60); // ticks 1..3 due
    expect(clock.runDue()).to.equal(3);
    advance(200); // ticks 4..13 due: 4 run (catch-up bound + 1), 6 skipped
    expect(clock.runDue()).to.equal(4);
    expect(clock.stats().skippedTicks).to.equal(6);
    expect(clock.tick).to.equal(14);
    advance(20);
    clock.runDue();
    expect(r.ticks.slice(-5)).to.deep.equal([4, 5, 6, 7, 14]);
    expect(clock.stats().lateTicks).to.be.greaterThan(0);
  });

  it('scales media time: at speed 4 a 20 ms tick comes every 5 ms of wall time', () => {
    const { clock, advance } = manual({ speed: 4 });
    const r = new Recorder();
    clock.add(r);
    clock.runDue();
    for (let i = 0; i < 10; i++) {
      advance(5);
      clock.runDue();
    }
    expect(r.ticks).to.have.length(11);
    expect(r.media.at(-1)).to.equal(200);
    expect(clock.now()).to.equal(200);
  });

  it('lets tasks join and leave during a tick; a throwing task does not stop the others', () => {
    const { clock, advance } = manual();
    const late = new Recorder();
    const errors: unknown[] = [];
    clock.onTaskError = (e) => errors.push(e);
    const joiner: TickTask = { onTick: () => clock.add(late) };
    const leaver: TickTask = { onTick: () => clock.remove(leaver) };
    const thrower: TickTask = {
      onTick: () => {
        throw new Error('boom');
      },
    };
    const after = new Recorder();
    for (const t of [joiner, leaver, thrower, after]) clock.add(t);
    clock.runDue();
    advance(20);
    clock.runDue();
    expect(after.ticks).to.deep.equal([0, 1]);
    expect(late.ticks).to.deep.equal([1]); // joined during tick 0, runs from tick 1
    expect(errors).to.have.length(2);
    expect(clock.stats()).to.include({ taskErrors: 2, tasks: 4 }); // joiner, thrower, after, late
  });

  it('validates its options', () => {
    expect(() => new MediaClock({ periodMs: 0 })).to.throw(RangeError, /period/);
    expect(() => new MediaClock({ speed: 0 })).to.throw(RangeError, /speed/);
  });

  it('ticks on a real timer and stops when the last task leaves', async () => {
    const clock = new MediaClock({ speed: 4 });
    let n = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((res) => (done = res));
    const task: TickTask = {
      onTick: () => {
        if (++n === 10) {
          clock.remove(task);
          done();
        }
      },
    };
    clock.add(task);
    expect(clock.running).to.equal(true);
    await finished;
    expect(clock.running).to.equal(false);
    expect(n).to.equal(10);
  });
});
