// What the device security profile lets a phone do on the connection its request came on (seed 001 Table 31):
// Non Secure phones use the profile's TCP/UDP transport; Authenticated and Encrypted phones use TLS with a client
// certificate (MIC or LSC) verified against the trust store and bound to the device name, Authenticated over
// NULL-SHA, Encrypted over an encrypting suite (engine/tls checkSuiteForMode).
import { findSuite } from '../../../ciphers/tls/suite-catalogue.js';
import { checkSuiteForMode } from '../../tls/presets.js';
import type { MessageSource } from '../transport/index.js';
import { type PhoneDevice, type PhoneSecurityProfile, effectiveTransport } from './devices.js';

export type SecurityCheck = { ok: true; detail: string } | { ok: false; stage: 'transport' | 'client-certificate' | 'certificate-binding' | 'security-mode'; reason: string };

export function checkPhoneSecurity(device: PhoneDevice, profile: PhoneSecurityProfile, source: MessageSource): SecurityCheck {
  const mode = profile.deviceSecurityMode;
  const allowed = effectiveTransport(profile);
  const t = source.transport;
  if (mode === 'non-secure') {
    const ok = allowed === 'TCP+UDP' ? t === 'TCP' || t === 'UDP' : t === allowed;
    if (!ok) return { ok: false, stage: 'transport', reason: `profile "${profile.name}" (Non Secure, Transport Type ${allowed}) does not allow ${t}` };
    return { ok: true, detail: `Non Secure over ${t}` };
  }
  const modeName = mode === 'authenticated' ? 'Authenticated' : 'Encrypted';
  if (t !== 'TLS') return { ok: false, stage: 'transport', reason: `device security mode ${modeName} requires TLS, request came over ${t}` };
  const tls = source.connection?.tls;
  if (!tls?.peerCertificate) return { ok: false, stage: 'client-certificate', reason: `device security mode ${modeName} requires a client certificate (LSC or MIC); the TLS connection has none` };
  const id = tls.identity;
  if (!id || id.kind !== 'phone') return { ok: false, stage: 'client-certificate', reason: `the client certificate was not verified as a phone certificate${id ? ` (it identified trunk ${id.trunk})` : ''}` };
  if (id.deviceName.toUpperCase() !== device.name.toUpperCase())
    return { ok: false, stage: 'certificate-binding', reason: `device name mismatch: certificate (${id.form}) is bound to ${id.deviceName}, request is for ${device.name.toUpperCase()}` };
  const suite = findSuite(tls.suite.iana) ?? findSuite(tls.suite.openssl);
  if (!suite) return { ok: false, stage: 'security-mode', reason: `negotiated suite ${tls.suite.openssl} is unknown` };
  const s = checkSuiteForMode(mode, suite);
  if (!s.ok) return { ok: false, stage: 'security-mode', reason: s.reason };
  return { ok: true, detail: `${modeName} over ${tls.protocol} ${suite.openssl}, ${id.form} of ${id.deviceName}` };
}
