// The TLS key log of every TLS connection this process makes or accepts while a tap is open: phones' SIP, TVS, CAPF
// and HTTPS clients, and the cluster's listeners, whichever module created the socket. Node 20 offers this only as the
// start-up flag --tls-keylog (no diagnostics channel for TLS sockets), which does what this does: TLSSocket's _init
// adds a 'keylog' listener to each new socket. The hook is installed while at least one tap is open, and removed after.
import tls from 'node:tls';

type Tap = (line: string) => void;
type Init = (this: tls.TLSSocket, ...args: unknown[]) => unknown;

const taps = new Set<Tap>();
let original: Init | undefined;

function onKeylog(line: Buffer): void {
  const s = line.toString('latin1').trimEnd();
  for (const t of taps) t(s);
}

function tapped(this: tls.TLSSocket, ...args: unknown[]): unknown {
  const r = original!.apply(this, args);
  // _init runs again when Node swaps the handle (autoSelectFamily): re-adding enables key logging on the new one.
  this.removeListener('keylog', onKeylog);
  if (taps.size) this.on('keylog', onKeylog);
  return r;
}

/** Calls `fn` with each NSS key log line (no newline) of TLS sockets created from now on; returns the untap. */
export function tapTlsKeyLog(fn: Tap): () => void {
  const proto = tls.TLSSocket.prototype as unknown as { _init: Init };
  if (!original) {
    if (typeof proto._init !== 'function') throw new Error('capture: this Node.js has no TLSSocket._init to tap the TLS key log from');
    original = proto._init;
    proto._init = tapped;
  }
  taps.add(fn);
  return () => {
    taps.delete(fn);
    if (taps.size || !original) return;
    proto._init = original;
    original = undefined;
  };
}
