/* RTP/RTCP header checks (RFC 3550 5.1, 6.4): enough to find where the payload starts, never reading past len. */
#ifndef TL_HEADER_H
#define TL_HEADER_H

#include "srtp_core.h"

/* TL_OK with *hlen = 12 + 4*CC (+ 4 + 4*extension length), or TL_MALFORMED naming what runs past the packet. */
int tl_rtp_header(tl_session *s, const uint8_t *pkt, size_t len, size_t *hlen);
/* TL_OK when the fixed 8-byte RTCP header is present and the version is 2. */
int tl_rtcp_header(tl_session *s, const uint8_t *pkt, size_t len);

#endif
