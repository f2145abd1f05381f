/* Replay windows (RFC 3711 3.3.2): a ring of bits over the last `window` indices below the highest accepted one. */
#ifndef TL_REPLAY_H
#define TL_REPLAY_H

#include "srtp_core.h"

/* Bytes of bit storage for a window (a power of two >= window bits, at least one word). */
size_t tl_replay_storage(uint32_t window);
void tl_replay_init(tl_replay *r, uint64_t *bits, uint32_t window);
/* TL_OK, TL_REPLAY_OLD or TL_REPLAY_DUP for index against window size w; never changes r. */
int tl_replay_check(const tl_replay *r, uint32_t w, uint64_t index);
/* Records index as received (call after authentication). */
void tl_replay_add(tl_replay *r, uint64_t index);
/* Restarts the window with only index seen (after the ROC was set from outside). */
void tl_replay_reset_to(tl_replay *r, uint64_t index);

#endif
