// The cluster's database as engine/sip reads it: phones, digest users and security profiles (a DeviceDirectory that
// reads the live configuration, so device changes count from the phone's next request, as after a CUCM reset), and the
// SIP trunks with their security profiles. In a non-secure cluster every phone is admitted as Non Secure whatever its
// profile says (seed001-A §11.2: the config file says non-secure and the phone connects non-secure).
import { DeviceDirectory, type EndUser, type PhoneDevice, type PhoneSecurityProfile, type SipTrunk } from '../sip/index.js';
import type { ClusterConfig, ClusterSecurityMode, DeviceConfig } from './config.js';

export interface SipDirectoryView {
  config(): ClusterConfig;
  /** The mode the CallManager service loaded at its last start. */
  securityMode(): ClusterSecurityMode;
}

/** The Phone Security Profile as the registrar applies it in the loaded cluster security mode. */
export function effectivePhoneProfile(config: ClusterConfig, d: DeviceConfig, mode: ClusterSecurityMode): PhoneSecurityProfile {
  const p = config.phoneProfiles[d.profile]!;
  const secure = mode === 'mixed' && p.deviceSecurityMode !== 'non-secure';
  const out: PhoneSecurityProfile = {
    name: p.name,
    deviceSecurityMode: secure ? p.deviceSecurityMode : 'non-secure',
    // engine/tftp writes TCP into the config of a secure profile in a non-secure cluster.
    transportType: secure ? 'TLS' : p.transport === 'TLS' ? 'TCP' : p.transport,
    digestAuthentication: p.digestAuthentication,
    nonceValiditySeconds: p.nonceValiditySeconds ?? config.parameters.nonceValiditySeconds,
  };
  return out;
}

/** The configuration's phones indexed by what the registrar and the B2BUA look up. */
interface DeviceIndex {
  devices: ClusterConfig['devices'];
  count: number;
  byName: Map<string, DeviceConfig>;
  byLine: Map<string, DeviceConfig[]>;
  byDigestUser: Map<string, DeviceConfig>;
}

function indexDevices(devices: ClusterConfig['devices']): DeviceIndex {
  const all = Object.values(devices);
  const idx: DeviceIndex = { devices, count: all.length, byName: new Map(), byLine: new Map(), byDigestUser: new Map() };
  for (const d of all) {
    const name = d.name.toUpperCase();
    if (!idx.byName.has(name)) idx.byName.set(name, d);
    for (const l of d.lines) {
      const list = idx.byLine.get(l.dn);
      if (!list) idx.byLine.set(l.dn, [d]);
      else if (!list.includes(d)) list.push(d);
    }
    const u = d.digestUser?.userId.toLowerCase();
    if (u !== undefined && !idx.byDigestUser.has(u)) idx.byDigestUser.set(u, d);
  }
  return idx;
}

export class ClusterDeviceDirectory extends DeviceDirectory {
  readonly #view: SipDirectoryView;
  #index: DeviceIndex | undefined;

  constructor(view: SipDirectoryView) {
    super();
    this.#view = view;
  }

  #phone(d: DeviceConfig): PhoneDevice {
    const c = this.#view.config();
    const p: PhoneDevice = { name: d.name.toUpperCase(), lines: d.lines.map((l) => l.dn), securityProfile: effectivePhoneProfile(c, d, this.#view.securityMode()) };
    if (d.model !== undefined) p.model = d.model;
    if (d.digestUser) p.digestUser = d.digestUser.userId;
    return p;
  }

  /**
   * The index of the live configuration. The cluster replaces its configuration (and its device table) on every
   * change rather than editing it, so the index is rebuilt when the table it was built from is no longer the live one.
   */
  #lookup(): DeviceIndex {
    const devices = this.#view.config().devices;
    if (this.#index?.devices !== devices) this.#index = indexDevices(devices);
    return this.#index;
  }

  override device(name: string): PhoneDevice | undefined {
    const d = this.#lookup().byName.get(name.toUpperCase());
    return d ? this.#phone(d) : undefined;
  }

  override deviceByLine(dn: string): PhoneDevice | undefined {
    const l = this.#lookup().byLine.get(dn);
    return l?.length === 1 ? this.#phone(l[0]!) : undefined;
  }

  override deviceByDigestUser(userId: string): PhoneDevice | undefined {
    const d = this.#lookup().byDigestUser.get(userId.toLowerCase());
    return d ? this.#phone(d) : undefined;
  }

  override user(userId: string): EndUser | undefined {
    const d = this.#lookup().byDigestUser.get(userId.toLowerCase());
    if (!d?.digestUser) return undefined;
    return { userId: d.digestUser.userId, ...(d.digestUser.password !== undefined ? { digestCredentials: d.digestUser.password } : {}) };
  }

  override digestUserId(d: PhoneDevice): string | undefined {
    return typeof d.digestUser === 'string' ? d.digestUser : d.digestUser?.userId;
  }

  override profileOf(d: PhoneDevice): PhoneSecurityProfile {
    const dev = this.#lookup().byName.get(d.name.toUpperCase());
    if (dev) return effectivePhoneProfile(this.#view.config(), dev, this.#view.securityMode());
    return super.profileOf(d);
  }

  override get size(): number {
    return this.#lookup().count;
  }
}

/** The configured trunks as engine/sip's SipTrunk (trust: CallManager-trust, given by the SIP server). */
export function sipTrunks(config: ClusterConfig): SipTrunk[] {
  return Object.values(config.trunks).map((t) => {
    const p = config.trunkProfiles[t.profile]!;
    return {
      name: t.name,
      destinations: t.destinations.map((d) => d.address),
      profile: {
        name: p.name,
        deviceSecurityMode: p.deviceSecurityMode,
        incomingPort: p.incomingPort,
        digestAuthentication: p.enableDigestAuthentication,
        nonceValiditySeconds: p.nonceValiditySeconds ?? config.parameters.nonceValiditySeconds,
        ...(p.x509SubjectNames.length ? { subjectNames: p.x509SubjectNames.join(' ') } : {}),
        applicationLevelAuthorization: p.applicationLevelAuthorization,
        acceptPresenceSubscription: p.acceptPresenceSubscription,
        acceptOutOfDialogRefer: p.acceptOutOfDialogRefer,
        acceptUnsolicitedNotification: p.acceptUnsolicitedNotification,
        acceptReplacesHeader: p.acceptReplacesHeader,
      },
    };
  });
}
