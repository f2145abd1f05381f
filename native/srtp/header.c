#include "header.h"

int tl_rtp_header(tl_session *s, const uint8_t *pkt, size_t len, size_t *hlen) {
  if (len > TL_MAX_PACKET) TL_FAIL(s, TL_MALFORMED, "packet of %zu bytes exceeds the %d-byte limit of this SRTP core", len, TL_MAX_PACKET);
  if (len < 12) TL_FAIL(s, TL_MALFORMED, "RTP packet of %zu bytes is shorter than the 12-byte fixed header", len);
  if ((pkt[0] >> 6) != 2) TL_FAIL(s, TL_MALFORMED, "RTP version is %d, not 2 (byte 0 is 0x%02x)", pkt[0] >> 6, pkt[0]);
  size_t cc = pkt[0] & 0x0f, h = 12 + 4 * cc;
  if (h > len) TL_FAIL(s, TL_MALFORMED, "RTP CSRC list (%zu entries) runs past the packet: header needs %zu bytes, packet has %zu", cc, h, len);
  if (pkt[0] & 0x10) {
    if (h + 4 > len) TL_FAIL(s, TL_MALFORMED, "RTP header extension header at offset %zu runs past the packet (%zu bytes)", h, len);
    size_t ext = 4 * (size_t)tl_be16(pkt + h + 2);
    if (h + 4 + ext > len)
      TL_FAIL(s, TL_MALFORMED, "RTP header extension of %zu bytes at offset %zu runs past the packet (%zu bytes)", ext, h + 4, len);
    h += 4 + ext;
  }
  *hlen = h;
  return TL_OK;
}

int tl_rtcp_header(tl_session *s, const uint8_t *pkt, size_t len) {
  if (len > TL_MAX_PACKET) TL_FAIL(s, TL_MALFORMED, "packet of %zu bytes exceeds the %d-byte limit of this SRTP core", len, TL_MAX_PACKET);
  if (len < 8) TL_FAIL(s, TL_MALFORMED, "RTCP packet of %zu bytes is shorter than the 8-byte header", len);
  if ((pkt[0] >> 6) != 2) TL_FAIL(s, TL_MALFORMED, "RTCP version is %d, not 2 (byte 0 is 0x%02x)", pkt[0] >> 6, pkt[0]);
  return TL_OK;
}
