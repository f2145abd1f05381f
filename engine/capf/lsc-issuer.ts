// Who signs an LSC once the phone has sent its public key: CAPF itself ("Cisco Authority Proxy Function"), or an
// online CA that CAPF hands the key to (Certificate Issuer to Endpoint = Online CA, 002 L2225-2288: a Microsoft CA
// reached at Online CA Hostname:Port through the Certificate Enrollment service, issuing with Online CA Template).
// The offline CA is not an issuer here: it answers later, through the pending CSR list (offline-csr.ts).
import type { CertificateInfo, DnFields } from '../pki/certificates.js';
import type { LscSigner } from '../pki/cluster-pki.js';
import type { EnterpriseCa } from '../pki/enterprise-ca.js';

/** The CAPF service parameters of Online CA mode (002 L2244-2281). */
export interface OnlineCaSettings {
  /** "Online CA Hostname": the CN of the CA's IIS certificate. */
  hostname: string;
  /** "Online CA Port" (typically 443). */
  port: number;
  /** "Online CA Template". */
  template: string;
  /** "Online CA Type". */
  type: 'microsoft-ca';
}

/** What CAPF talks to in Online CA mode: one enrollment per LSC. */
export interface OnlineCa {
  readonly settings: OnlineCaSettings;
  /** The issuing CA certificate (imported into CAPF-trust and CallManager-trust, 002 L2230, L2239-2240). */
  readonly certificate: CertificateInfo;
  enroll(req: { subject: DnFields; publicKey: import('node:crypto').KeyObject; validityDays: number; now: Date }): CertificateInfo;
}

/**
 * The online CA emulated in process on an EnterpriseCa: it serves the configured template (defined on the CA with the
 * LSC usages when the CA does not have it yet, as an administrator defines "CiscoLSC" on the Microsoft CA).
 */
export function emulatedOnlineCa(ca: EnterpriseCa, settings: OnlineCaSettings): OnlineCa {
  if (!settings.hostname.trim()) throw new Error('Online CA Hostname is empty');
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) throw new Error(`Online CA Port ${settings.port} is not 1-65535`);
  if (!settings.template.trim()) throw new Error('Online CA Template is empty');
  if (!ca.template(settings.template)) ca.addTemplate({ name: settings.template });
  return {
    settings,
    certificate: ca.certificate,
    enroll: (r) => ca.issueFromTemplate(settings.template, r.subject, r.publicKey, { now: r.now, validityDays: r.validityDays }),
  };
}

/** The pki's view of an online CA: ClusterPki.issueLsc signs through it and records the LSC as its own. */
export function onlineCaSigner(online: OnlineCa): LscSigner {
  return { issuer: online.certificate, chainPems: [online.certificate.pem], sign: (r) => online.enroll(r) };
}

export function describeOnlineCa(online: OnlineCa): string {
  const s = online.settings;
  return `online CA ${s.hostname}:${s.port} (${s.type}, template ${s.template})`;
}
