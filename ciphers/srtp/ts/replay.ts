// Replay protection (RFC 3711 3.3.2): a sliding window of the last `size` packet indices below the highest one
// authenticated, kept as a ring bitmap so a packet costs O(1). Indices are exact JS numbers (< 2^53).
import { SrtpStatus } from '../types.js';

export const DEFAULT_REPLAY_WINDOW = 128;
export const MIN_REPLAY_WINDOW = 64;
export const MAX_REPLAY_WINDOW = 32768;

export class ReplayWindow {
  /** Highest index accepted so far, -1 before the first. */
  highest = -1;
  private readonly bits: Uint32Array;
  private readonly capacity: number;

  constructor(readonly size: number = DEFAULT_REPLAY_WINDOW) {
    this.bits = new Uint32Array(Math.ceil(size / 32));
    this.capacity = this.bits.length * 32;
  }

  /** Ok, ReplayOld (left of the window) or ReplayDuplicate (seen). Does not change the window. */
  check(index: number): SrtpStatus {
    const h = this.highest;
    if (index > h) return SrtpStatus.Ok;
    if (h - index >= this.size) return SrtpStatus.ReplayOld;
    const pos = index % this.capacity;
    return this.bits[pos >>> 5]! & (1 << (pos & 31)) ? SrtpStatus.ReplayDuplicate : SrtpStatus.Ok;
  }

  /** Records an authenticated index (check() must have returned Ok). */
  accept(index: number): void {
    const h = this.highest;
    if (index > h) {
      if (h < 0 || index - h >= this.capacity) this.bits.fill(0);
      else for (let j = h + 1; j <= index; j++) this.clearBit(j % this.capacity);
      this.highest = index;
    }
    const pos = index % this.capacity;
    this.bits[pos >>> 5]! |= 1 << (pos & 31);
  }

  /** Restarts the window at `highest` (marked seen), e.g. after the ROC was set from outside. */
  reset(highest: number): void {
    this.bits.fill(0);
    this.highest = -1;
    if (highest >= 0) this.accept(highest);
  }

  private clearBit(pos: number): void {
    this.bits[pos >>> 5]! &= ~(1 << (pos & 31));
  }
}
