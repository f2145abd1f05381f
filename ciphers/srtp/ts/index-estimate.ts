// SRTP packet index estimation (RFC 3711 3.3.1 and Appendix A): the receiver guesses the ROC of a packet as the one
// of ROC-1, ROC, ROC+1 that puts its index closest to the highest index authenticated so far. The caller commits the
// result to the stream only after the packet authenticated.

/** Largest ROC (32 bits); an index past 2^48 - 1 cannot be formed. */
export const MAX_ROC = 0xffffffff;

/**
 * The estimated 48-bit index of a packet with sequence number `seq`, given the highest index seen (`highest`, or -1
 * before the first packet, when `initialRoc` applies). At ROC 0 the guess ROC-1 does not exist, so ROC 0 is taken
 * (a jump forward). May return an index >= 2^48 (ROC past 2^32-1), which callers reject.
 */
export function estimateIndex(highest: number, initialRoc: number, seq: number): number {
  if (highest < 0) return initialRoc * 0x10000 + seq;
  const sl = highest % 0x10000;
  const roc = (highest - sl) / 0x10000;
  let v = roc;
  if (sl < 0x8000) {
    if (seq - sl > 0x8000 && roc > 0) v = roc - 1;
  } else if (sl - 0x8000 > seq) {
    v = roc + 1;
  }
  return v * 0x10000 + seq;
}

/** 2^48: the first SRTP index that cannot be used. */
export const SRTP_INDEX_LIMIT = 0x1000000000000;
/** 2^31: the first SRTCP index that cannot be used. */
export const SRTCP_INDEX_LIMIT = 0x80000000;
