// Per-SSRC crypto state. Sending and receiving keep separate state so one session can do both for the same SSRC
// (loopback tests, the CLI) without one direction's counters confusing the other's.
import type { SrtpStreamState } from '../types.js';
import { KeystreamCache } from './keystream.js';
import { ReplayWindow } from './replay.js';
import type { SessionKeys } from './session-keys.js';

export class DirectionState {
  /** Highest SRTP index sent (sender) or authenticated (receiver); -1 before the first packet. */
  highest = -1;
  /** ROC assumed for the first packet (setRoc before any traffic). */
  initialRoc = 0;
  /** Last SRTCP index sent (sender) or highest authenticated (receiver); -1 before the first packet. */
  rtcpIndex = -1;
  rtpPackets = 0;
  rtcpPackets = 0;
  readonly replay: ReplayWindow;
  readonly rtcpReplay: ReplayWindow;
  readonly keystream = new KeystreamCache();
  /** Session keys of the current KDF epoch per master key index (only used when kdr > 0). */
  readonly rtpKeys: (SessionKeys | undefined)[] = [];
  readonly rtcpKeys: (SessionKeys | undefined)[] = [];

  constructor(windowSize: number) {
    this.replay = new ReplayWindow(windowSize);
    this.rtcpReplay = new ReplayWindow(windowSize);
  }

  get active(): boolean {
    return this.rtpPackets > 0 || this.rtcpPackets > 0;
  }

  /** Sets the ROC, keeping the sequence number of the highest index (RFC 3711 3.3.1: the ROC is signalled out of band). */
  setRoc(roc: number): void {
    this.initialRoc = roc;
    if (this.highest >= 0) {
      this.highest = roc * 0x10000 + (this.highest % 0x10000);
      this.replay.reset(this.highest);
    }
  }

  snapshot(ssrc: number): SrtpStreamState {
    const h = this.highest;
    return {
      ssrc,
      roc: h < 0 ? this.initialRoc : Math.floor(h / 0x10000),
      seq: h < 0 ? -1 : h % 0x10000,
      srtcpIndex: this.rtcpIndex,
      rtpPackets: this.rtpPackets,
      rtcpPackets: this.rtcpPackets,
    };
  }
}

export class SrtpStream {
  readonly tx: DirectionState;
  readonly rx: DirectionState;

  constructor(
    readonly ssrc: number,
    windowSize: number,
  ) {
    this.tx = new DirectionState(windowSize);
    this.rx = new DirectionState(windowSize);
  }

  /** The receiving side's state once it has seen traffic, else the sending side's. */
  state(): SrtpStreamState {
    return this.rx.active || !this.tx.active ? this.rx.snapshot(this.ssrc) : this.tx.snapshot(this.ssrc);
  }
}
