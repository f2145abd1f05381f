// SDES (RFC 4568) crypto attributes: parse, emit, and turn into SRTP policies.
export { SdesError } from './errors.js';
export { decodeBase64Lenient, encodeBase64 } from './base64.js';
export {
  parseCryptoAttribute,
  parseKeyParams,
  formatCryptoAttribute,
  formatCryptoLine,
  type SdesCryptoAttribute,
  type SdesKeyParam,
  type SdesSessionParams,
} from './crypto-attribute.js';
export { sdesToPolicy, newCryptoAttribute, type NewCryptoAttributeOptions } from './policy.js';
