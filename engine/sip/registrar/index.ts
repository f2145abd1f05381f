// Registrar, location service and the line-side (phone) admission of CUCM.
export * from './devices.js';
export * from './location-service.js';
export { checkPhoneSecurity, type SecurityCheck } from './phone-security.js';
export { phoneVerifierFromPki, phoneVerifierFromTrust, type PhoneCertificateVerifier } from './phone-certificates.js';
export { DEVICE_NAME_PARAM, Registrar, type AdmittedPhone, type RegistrarOptions, UNCHALLENGED_METHODS } from './registrar.js';
