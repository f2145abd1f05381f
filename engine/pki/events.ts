// What the pki records when something changes: one event per change, with the documented effect of certificate changes
// (services, ITL/CTL, phone resets) so the TFTP, TVS and phone emulations, and scenarios, can react and report.
import { PURPOSE_RULES, type ChangeEffects, type Purpose, type TrustStoreName } from './purposes.js';

export type PkiEventType =
  | 'cluster-created'
  | 'certificate-regenerated'
  | 'csr-generated'
  | 'certificate-uploaded'
  | 'trust-certificate-added'
  | 'trust-certificate-replaced'
  | 'trust-certificate-deleted'
  | 'lsc-issued'
  | 'lsc-deleted'
  | 'phones-settled';

export interface CertificateRef {
  fingerprintSha256: string;
  serialHex: string;
  subject: string;
  issuer: string;
}

export interface PkiEvent {
  /** 1, 2, 3… in the order the changes were committed; persisted with the cluster. */
  seq: number;
  /** ISO 8601 time of the change. */
  at: string;
  type: PkiEventType;
  /** One line for people. */
  message: string;
  node?: string;
  purpose?: Purpose;
  trustStore?: TrustStoreName;
  deviceName?: string;
  certificate?: CertificateRef;
  previous?: CertificateRef;
  /** For certificate changes: what CUCM documents must follow. */
  effects?: ChangeEffects;
  /**
   * Set when this change breaks the documented order: the TFTP (CallManager) certificate must be regenerated last,
   * after the phone restarts caused by earlier changes (TVS, CAPF, …) have completed (001:L3063, L3086).
   */
  outOfOrder?: { pendingEvents: number[]; pendingPurposes: Purpose[] };
  warnings: string[];
}

/** Phone resets a change set in motion and that nobody has reported complete yet (see ClusterPki.phonesSettled). */
export interface PendingPhoneReset {
  seq: number;
  purpose: Purpose;
  node: string;
  rounds: number;
}

const UPLOAD_NOTE = 'After uploading the Unified Communications Manager or CAPF certificates, you might observe the phones reset automatically to update their ITL File.';

/** The documented effects of regenerating or uploading a purpose's certificate (a copy, safe to extend). */
export function changeEffects(purpose: Purpose, kind: 'regenerate' | 'upload'): ChangeEffects {
  const e = PURPOSE_RULES[purpose].effects;
  const copy: ChangeEffects = { ...e, servicesRestartedAutomatically: [...e.servicesRestartedAutomatically], servicesToRestart: [...e.servicesToRestart], notes: [...e.notes], sources: [...e.sources] };
  if (kind === 'upload' && (purpose === 'CallManager' || purpose === 'CallManager-ECDSA' || purpose === 'CAPF')) {
    copy.notes.push(UPLOAD_NOTE);
    copy.sources.push('001:L1421');
  }
  if (kind === 'upload' && purpose === 'CAPF') {
    // Uploading restarts nothing by itself: "Restart CAPF when you update the CAPF certificate" (001:L1419).
    copy.servicesToRestart = [...new Set([...copy.servicesToRestart, ...copy.servicesRestartedAutomatically])];
    copy.servicesRestartedAutomatically = [];
  }
  return copy;
}

/**
 * Checks a certificate change against the documented order. Changing the TFTP certificate while phones are still
 * restarting for another certificate (or the reverse) is what the guide warns about: "You might need to manually
 * delete the ITL File from all Cisco IP Phones, if you do not follow this procedure." (001:L3086)
 */
export function orderingCheck(purpose: Purpose, node: string, pending: readonly PendingPhoneReset[]): Pick<PkiEvent, 'outOfOrder' | 'warnings'> {
  const others = pending.filter((p) => p.purpose !== purpose || p.node !== node);
  if (!others.length || PURPOSE_RULES[purpose].effects.phoneResetRounds === 0) return { warnings: [] };
  const list = others.map((p) => `${p.purpose} on ${p.node} (event #${p.seq})`).join(', ');
  const tftpInvolved = purpose === 'CallManager' || others.some((p) => p.purpose === 'CallManager');
  if (!tftpInvolved) {
    return { warnings: [`phone restarts for ${list} have not been reported complete; phones will download the ITL again.`] };
  }
  return {
    outOfOrder: { pendingEvents: others.map((p) => p.seq), pendingPurposes: [...new Set(others.map((p) => p.purpose))] },
    warnings: [
      `${purpose} changed while phone restarts for ${list} are still pending. If you plan to regenerate multiples certificates you must regenerate the TFTP certificate last. Wait for the possible phone restarts to complete before you regenerate the TFTP certificate. You might need to manually delete the ITL File from all Cisco IP Phones, if you do not follow this procedure. (001:L3086)`,
    ],
  };
}
