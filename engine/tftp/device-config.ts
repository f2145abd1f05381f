// From the database view (device record, phone security profile, enterprise parameters) to the configuration model a
// phone reads: the CUCM rules that decide each security field of SEP<MAC>.cnf.xml and XMLDefault.cnf.xml.
import { createHash } from 'node:crypto';
import { findPreset } from '../tls/presets.js';
import {
  CAPF_AUTH_MODE_CODES,
  DEVICE_SECURITY_MODE_CODES,
  DISABLE_TLS_CIPHER_CODES,
  TRANSPORT_CODES,
  type CnfCallManager,
  type CnfTvsMember,
  type DefaultConfig,
  type PhoneConfig,
} from './cnf-xml.js';
import type { DeviceRecord, DeviceSecurityModeName, EnterpriseParameters, TvsServer } from './provisioning-source.js';

/** Phones take at most five CallManager group members and five TVS members (priorities 0..4). */
export const MAX_GROUP_MEMBERS = 5;

export function callManagerMembers(p: EnterpriseParameters): CnfCallManager[] {
  return p.callManagers.slice(0, MAX_GROUP_MEMBERS).map((n, i) => {
    const m: CnfCallManager = {
      priority: i,
      name: n.name ?? n.processNodeName,
      sipPort: n.sipPort ?? 5060,
      securedSipPort: n.securedSipPort ?? 5061,
      processNodeName: n.processNodeName,
    };
    if (n.description !== undefined) m.description = n.description;
    return m;
  });
}

/** TVS members: the configured servers, or every node of the CallManager group (primary TVS = primary node). */
export function tvsMembers(p: EnterpriseParameters): CnfTvsMember[] {
  const servers: TvsServer[] = p.tvs ?? p.callManagers.map((n) => ({ address: n.processNodeName }));
  return servers.slice(0, MAX_GROUP_MEMBERS).map((s, i) => ({ priority: i, address: s.address, port: s.port ?? 2445 }));
}

/**
 * `<disableTLSCiphers>`: the explicit list, else the codes whose suite the "TLS Ciphers" preset does not allow
 * [inferred], else none.
 */
export function disabledTlsCiphers(p: EnterpriseParameters): number[] {
  if (p.disabledTlsCiphers) return [...p.disabledTlsCiphers];
  if (!p.tlsCiphers) return [];
  const preset = findPreset(p.tlsCiphers);
  if (!preset) throw new Error(`unknown TLS Ciphers option ${JSON.stringify(p.tlsCiphers)}`);
  const allowed = new Set(preset.suites.map((s) => s.iana));
  return Object.entries(DISABLE_TLS_CIPHER_CODES)
    .filter(([, iana]) => !allowed.has(iana))
    .map(([code]) => Number(code));
}

export function md5Hex(der: Uint8Array): string {
  return createHash('md5').update(der).digest('hex');
}

export interface ConfigContext {
  parameters: EnterpriseParameters;
  /** A CTL is published: without it phones cannot authenticate CallManager, so secure modes fall back. */
  mixedMode: boolean;
  /** The certificate the .enc.sgn key is wrapped to, when the config is encrypted to a phone certificate. */
  encryptionCertificate?: Uint8Array;
}

/** The device security mode written into the config: the profile's in mixed mode, non-secure otherwise [inferred]. */
export function effectiveSecurityMode(d: DeviceRecord, mixedMode: boolean): DeviceSecurityModeName {
  return mixedMode ? d.securityProfile.deviceSecurityMode : 'non-secure';
}

/** The full SEP<MAC>.cnf.xml model of a device. */
export function phoneConfigFor(d: DeviceRecord, ctx: ConfigContext): PhoneConfig {
  const p = ctx.parameters;
  const profile = d.securityProfile;
  const mode = effectiveSecurityMode(d, ctx.mixedMode);
  const transport = mode === 'non-secure' ? (profile.transport === 'TLS' ? 'TCP' : (profile.transport ?? 'TCP')) : 'TLS';
  const pending = (d.capfOperation ?? 'none') !== 'none';
  const encrypted = profile.tftpEncryptedConfig === true;
  const c: PhoneConfig = {
    fullConfig: true,
    deviceProtocol: d.protocol ?? 'SIP',
    ipAddressMode: p.ipAddressMode ?? 0,
    callManagers: callManagerMembers(p),
    tvs: tvsMembers(p),
    deviceSecurityMode: DEVICE_SECURITY_MODE_CODES[mode],
    transportLayerProtocol: TRANSPORT_CODES[transport],
    tlsResumptionTimer: p.tlsResumptionTimer ?? 3600,
    disableTlsCiphers: disabledTlsCiphers(p),
    capfAuthMode: pending && profile.capfAuthMode ? CAPF_AUTH_MODE_CODES[profile.capfAuthMode] : 0,
    capfList: (p.capf ?? []).map((s) => ({ phonePort: s.phonePort ?? 3804, processNodeName: s.processNodeName })),
    certHash: encrypted && ctx.encryptionCertificate ? md5Hex(ctx.encryptionCertificate) : '',
    encrConfig: encrypted,
    lines: (d.lines ?? []).map((l) => {
      const line: PhoneConfig['lines'][number] = { button: l.button, name: l.name, proxy: 'USECALLMANAGER', port: mode === 'non-secure' ? 5060 : 5061 };
      if (l.displayName !== undefined) line.displayName = l.displayName;
      if (!profile.excludeDigestCredentials) {
        if (l.authName !== undefined) line.authName = l.authName;
        if (l.authPassword !== undefined) line.authPassword = l.authPassword;
      }
      return line;
    }),
    urls: { ...(p.urls ?? {}) },
  };
  if (d.loadInformation !== undefined) c.loadInformation = d.loadInformation;
  if (p.tls12Only !== undefined) c.tls12Only = p.tls12Only;
  return c;
}

export function defaultConfigFor(p: EnterpriseParameters): DefaultConfig {
  const c: DefaultConfig = { autoRegistration: p.autoRegistration ?? false, callManagers: callManagerMembers(p), tvs: tvsMembers(p), loads: [...(p.loads ?? [])] };
  if (p.ipAddressMode !== undefined) c.ipAddressMode = p.ipAddressMode;
  return c;
}
