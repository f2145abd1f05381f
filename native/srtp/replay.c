/* The ring holds mask + 1 >= window bits; bits older than the window are never consulted, so an advance only clears
 * the positions of the newly covered indices. */
#include "replay.h"

#include <string.h>

size_t tl_replay_storage(uint32_t window) {
  uint32_t bits = 64;
  while (bits < window) bits <<= 1;
  return bits / 8;
}

void tl_replay_init(tl_replay *r, uint64_t *bits, uint32_t window) {
  size_t bytes = tl_replay_storage(window);
  r->bits = bits;
  r->mask = (uint32_t)(bytes * 8 - 1);
  r->high = 0;
  r->has = 0;
  memset(bits, 0, bytes);
}

static inline int bit_get(const tl_replay *r, uint64_t i) {
  uint64_t p = i & r->mask;
  return (int)((r->bits[p >> 6] >> (p & 63)) & 1);
}

int tl_replay_check(const tl_replay *r, uint32_t w, uint64_t index) {
  if (!r->has || index > r->high) return TL_OK;
  if (r->high - index >= w) return TL_REPLAY_OLD;
  return bit_get(r, index) ? TL_REPLAY_DUP : TL_OK;
}

void tl_replay_add(tl_replay *r, uint64_t index) {
  if (!r->has) {
    memset(r->bits, 0, ((size_t)r->mask + 1) / 8);
    r->has = 1;
    r->high = index;
  } else if (index > r->high) {
    uint64_t delta = index - r->high;
    if (delta > r->mask) {
      memset(r->bits, 0, ((size_t)r->mask + 1) / 8);
    } else {
      for (uint64_t i = r->high + 1; i <= index; i++) {
        uint64_t p = i & r->mask;
        r->bits[p >> 6] &= ~(1ull << (p & 63));
      }
    }
    r->high = index;
  }
  uint64_t p = index & r->mask;
  r->bits[p >> 6] |= 1ull << (p & 63);
}

void tl_replay_reset_to(tl_replay *r, uint64_t index) {
  r->has = 0;
  tl_replay_add(r, index);
}
