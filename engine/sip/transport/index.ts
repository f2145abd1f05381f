// SIP transports: UDP, TCP and TLS behind one interface (engine/sip/transport/README in docs/architecture.md).
export * from './types.js';
export { StreamConnection, DEFAULT_STREAM_LIMITS, type StreamLimits, normaliseAddress } from './stream-connection.js';
export {
  TransportLayer,
  type Flow,
  type MessageHandler,
  type PeerIdentifier,
  type TlsClientSetup,
  type TlsServerSetup,
  type TransportLayerOptions,
} from './transport-layer.js';
export { stampVia } from './via-stamp.js';
export { errorResponseForRaw } from './malformed.js';
export { targetFromUri } from './target.js';
