// The phone's SIP side: its signalling connection and user agent (registration, calls) and each call's media.
export { PhoneTransport, clientTlsFacts, connectTcp } from './phone-transport.js';
export { CallMedia, MediaRefusal, type AgreedMedia, type CallMediaOptions } from './call-media.js';
export { PhoneCall, type CallDirection, type CallEvents, type CallOutcome, type CallPort, type CallResult, type CallState, type HoldChange, type PlaceCallOptions } from './phone-call.js';
export {
  PhoneUserAgent,
  defaultMediaClock,
  type PhoneUaEvents,
  type PhoneUserAgentOptions,
  type RegistrationOutcome,
  type RegistrationResult,
  type RegistrationState,
  type SignallingTlsRecord,
  type SignallingTransport,
  type SipServerTarget,
} from './phone-ua.js';
