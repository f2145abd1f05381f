/* Session internals shared by rtp.c and rtcp.c: streams, key selection. */
#ifndef TL_SESSION_H
#define TL_SESSION_H

#include "srtp_core.h"

/* The stream for a packet being protected (created on first use); NULL when out of memory. */
tl_stream *tl_stream_tx(tl_session *s, uint32_t ssrc);
/* The stream for a packet being unprotected. An unknown SSRC gets the spare stream (*fresh = 1), which only joins the
 * table through tl_stream_adopt once the packet authenticates. NULL when out of memory. */
tl_stream *tl_stream_rx(tl_session *s, uint32_t ssrc, int *fresh);
void tl_stream_adopt(tl_session *s, tl_stream *st);
/* Master key whose MKI is mki (s->mki_len bytes), or -1. Without MKIs, key 0. */
int tl_key_by_mki(const tl_session *s, const uint8_t *mki);
/* Session keys of master ki for SRTP/SRTCP at this index (derived when kdr asks for new ones); NULL out of memory. */
tl_keys *tl_keys_for(tl_session *s, tl_stream *st, uint32_t ki, int rtcp, uint64_t index);
/* EVP GCM decrypt buffer of at least n bytes, or NULL. */
uint8_t *tl_scratch(tl_session *s, size_t n);

#endif
