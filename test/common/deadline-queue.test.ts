// One timer for many same-delay deadlines: items expire in the order they were added, never before their delay,
// deleted items never expire, and items added while others expire keep their own deadline.
import { expect } from 'chai';
import { DeadlineQueue } from '../../common/deadline-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('common: DeadlineQueue', () => {
  it('expires items in order, each no earlier than its own delay; deleted items never expire', async () => {
    const expired: { item: string; after: number }[] = [];
    const added = new Map<string, number>();
    const q = new DeadlineQueue<string>(60, (item) => expired.push({ item, after: Date.now() - added.get(item)! }));
    const add = (item: string) => {
      added.set(item, Date.now());
      q.add(item);
    };
    add('a');
    await sleep(20);
    add('b');
    add('c');
    await sleep(20);
    add('d');
    expect(q.delete('c')).to.equal(true);
    expect(q.delete('nope')).to.equal(false);
    while (expired.length < 3) await sleep(20);
    await sleep(80); // room for a wrongly expiring 'c'
    expect(expired.map((e) => e.item)).to.deep.equal(['a', 'b', 'd']);
    for (const e of expired) expect(e.after, e.item).to.be.at.least(60);
    expect(q.size).to.equal(0);
  });

  it('an item added from an expiry callback waits its full delay, and earlier items still expire on time', async () => {
    const order: string[] = [];
    let q: DeadlineQueue<string>;
    q = new DeadlineQueue<string>(40, (item) => {
      order.push(item);
      if (item === 'first') q.add('again');
    });
    q.add('first');
    await sleep(10);
    q.add('second');
    while (order.length < 3) await sleep(10);
    expect(order).to.deep.equal(['first', 'second', 'again']);
  });

  it('re-adding an item restarts its delay; clear() forgets everything', async () => {
    const expired: string[] = [];
    const q = new DeadlineQueue<string>(50, (item) => expired.push(item));
    q.add('x');
    q.add('y');
    await sleep(30);
    q.add('x'); // now due after y
    while (expired.length < 2) await sleep(10);
    expect(expired).to.deep.equal(['y', 'x']);
    q.add('z');
    q.clear();
    await sleep(80);
    expect(expired).to.deep.equal(['y', 'x']);
  });

  it('keeps going after a callback throws', async () => {
    const expired: string[] = [];
    const q = new DeadlineQueue<string>(30, (item) => {
      if (item === 'bad') throw new Error('callback failed');
      expired.push(item);
    });
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    const mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onError);
    try {
      q.add('bad');
      await sleep(5);
      q.add('good');
      while (expired.length < 1) await sleep(10);
    } finally {
      process.off('uncaughtException', onError);
      for (const h of mochaHandlers) process.on('uncaughtException', h);
    }
    expect(expired).to.deep.equal(['good']);
    expect(String(errors[0])).to.contain('callback failed');
  });

  it('refuses a delay that is not a positive number', () => {
    expect(() => new DeadlineQueue(0, () => undefined)).to.throw(RangeError, /positive number of ms \(got 0\)/);
    expect(() => new DeadlineQueue(Number.NaN, () => undefined)).to.throw(RangeError, /got NaN/);
  });
});
