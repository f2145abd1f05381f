// SIP message layer: wire codec for SIP messages and SDP, apart from transports and transactions.
export { SipParseError, type SipParseErrorCode, type SipParseErrorInfo } from './errors.js';
export { COMPACT_FORMS, LIST_HEADERS, SINGLE_HEADERS, headerKey, headerLabel } from './headers.js';
export { Params, type ParamValue, parseHeaderParams, parseUriParams } from './params.js';
export { quote, splitList, unescapePercent, unquote } from './syntax.js';
export { type SipUri, bareHost, formatUri, parseUri } from './uri.js';
export { type NameAddr, formatNameAddr, parseNameAddr } from './address.js';
export { BRANCH_COOKIE, type Via, formatVia, isRfc3261Branch, parseVia, viaBranch, viaRport } from './via.js';
export {
  type CSeq,
  KNOWN_METHODS,
  type SipHeader,
  type SipMessage,
  SipMessageBase,
  SipRequest,
  SipResponse,
} from './types.js';
export { DEFAULT_SIP_LIMITS, type SipLimits, type SipParseOptions, parseSipMessage } from './parser.js';
export { type FramerEvent, type FramerOptions, PING, PONG, SipStreamFramer } from './framer.js';
export {
  type CreateResponseOptions,
  type HeaderValue,
  type HeadersInput,
  REASON_PHRASES,
  type RequestInit,
  type ResponseInit,
  buildRequest,
  buildResponse,
  createResponse,
  formatHeaderValue,
  reasonPhrase,
  serializeMessage,
} from './serializer.js';
export { generateBranch, generateCallId, generateTag } from './ids.js';
export {
  type RtpMap,
  type SdpAttribute,
  type SdpBandwidth,
  type SdpConnection,
  type SdpDirection,
  type SdpLine,
  type SdpMedia,
  type SdpOrigin,
  type SdpSession,
  attributeValues,
  cryptoAttributes,
  fmtps,
  mediaConnection,
  mediaDirection,
  parseSdp,
  rtpMaps,
  serializeSdp,
  setMediaDirection,
} from './sdp.js';
