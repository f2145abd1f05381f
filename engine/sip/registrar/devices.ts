// The phones the cluster knows (Device > Phone), their end users' digest credentials (User Management > End User)
// and their Phone Security Profiles (System > Security > Phone Security Profile, seed 001 Table 31 ~L5740-5766).
import type { DeviceSecurityMode } from '../../tls/presets.js';

/** "Transport Type" of a SIP phone profile; Authenticated and Encrypted imply TLS (L5751). */
export type PhoneTransportType = 'TCP' | 'UDP' | 'TCP+UDP' | 'TLS';

export interface PhoneSecurityProfile {
  name: string;
  /** "Device Security Mode" (L5750). */
  deviceSecurityMode: DeviceSecurityMode;
  /** For Non Secure: TCP (default: "A TCP connection opens", L5750), UDP or TCP+UDP. Ignored (TLS) otherwise. */
  transportType?: PhoneTransportType;
  /** "Enable Digest Authentication": challenge every request but keepalives (L5756, L6362). */
  digestAuthentication?: boolean;
  /** "Nonce Validity Time", seconds (printed "minutes (in seconds)", default 600, L5747). */
  nonceValiditySeconds?: number;
}

export interface EndUser {
  userId: string;
  /** "Digest Credentials"; absent = not configured (the phone then fails registration, L1536). */
  digestCredentials?: string;
}

export interface PhoneDevice {
  /** Device name, e.g. SEP001122334455 (case-insensitive). */
  name: string;
  model?: string;
  /** Directory numbers of its lines; a REGISTER's AOR user must be one of them. */
  lines: string[];
  /** "Digest User": an end user id (or the user itself). */
  digestUser?: string | EndUser;
  /** Profile name (see DeviceDirectory.addProfile) or the profile itself. */
  securityProfile: string | PhoneSecurityProfile;
}

/** The predefined non-secure profile (installed with CUCM; digest off, TCP). */
export const NON_SECURE_PROFILE: PhoneSecurityProfile = { name: 'Universal Device Template - Model-independent Security Profile', deviceSecurityMode: 'non-secure', transportType: 'TCP+UDP' };

export function effectiveTransport(p: PhoneSecurityProfile): PhoneTransportType {
  return p.deviceSecurityMode === 'non-secure' ? (p.transportType && p.transportType !== 'TLS' ? p.transportType : 'TCP') : 'TLS';
}

export const DEFAULT_NONCE_VALIDITY_SECONDS = 600;

/** In-memory directory; lookups are by device name, line and digest user, all case-insensitive. */
export class DeviceDirectory {
  private readonly devices = new Map<string, PhoneDevice>();
  private readonly byLine = new Map<string, PhoneDevice[]>();
  private readonly byDigestUser = new Map<string, PhoneDevice>();
  private readonly users = new Map<string, EndUser>();
  private readonly profiles = new Map<string, PhoneSecurityProfile>();

  constructor(init: { devices?: PhoneDevice[]; users?: EndUser[]; profiles?: PhoneSecurityProfile[] } = {}) {
    for (const p of init.profiles ?? []) this.addProfile(p);
    for (const u of init.users ?? []) this.addUser(u);
    for (const d of init.devices ?? []) this.addDevice(d);
  }

  addProfile(p: PhoneSecurityProfile): void {
    if (p.deviceSecurityMode === 'non-secure' && p.transportType === 'TLS') throw new Error(`profile ${p.name}: Non Secure devices use TCP, UDP or TCP+UDP, not TLS`);
    if (p.nonceValiditySeconds !== undefined && !(p.nonceValiditySeconds > 0)) throw new Error(`profile ${p.name}: nonce validity time must be a positive number of seconds`);
    this.profiles.set(p.name.toLowerCase(), p);
  }

  addUser(u: EndUser): void {
    this.users.set(u.userId.toLowerCase(), u);
  }

  addDevice(d: PhoneDevice): void {
    const name = d.name.toUpperCase();
    if (this.devices.has(name)) throw new Error(`device ${name} exists`);
    if (typeof d.securityProfile === 'string' && !this.profiles.has(d.securityProfile.toLowerCase())) throw new Error(`device ${name}: unknown security profile "${d.securityProfile}"`);
    if (typeof d.digestUser === 'object') this.addUser(d.digestUser);
    const userId = this.digestUserId(d);
    if (userId !== undefined) {
      const other = this.byDigestUser.get(userId.toLowerCase());
      // One digest user per phone, or neither registers (CUCM feature guide, third-party phones).
      if (other) throw new Error(`digest user ${userId} is already the digest user of ${other.name}`);
    }
    this.devices.set(name, d);
    for (const l of d.lines) this.byLine.set(l, [...(this.byLine.get(l) ?? []), d]);
    if (userId !== undefined) this.byDigestUser.set(userId.toLowerCase(), d);
  }

  device(name: string): PhoneDevice | undefined {
    return this.devices.get(name.toUpperCase());
  }

  /** The device with this line when exactly one has it. */
  deviceByLine(dn: string): PhoneDevice | undefined {
    const l = this.byLine.get(dn);
    return l && l.length === 1 ? l[0] : undefined;
  }

  deviceByDigestUser(userId: string): PhoneDevice | undefined {
    return this.byDigestUser.get(userId.toLowerCase());
  }

  user(userId: string): EndUser | undefined {
    return this.users.get(userId.toLowerCase());
  }

  digestUserId(d: PhoneDevice): string | undefined {
    return typeof d.digestUser === 'string' ? d.digestUser : d.digestUser?.userId;
  }

  profileOf(d: PhoneDevice): PhoneSecurityProfile {
    if (typeof d.securityProfile !== 'string') return d.securityProfile;
    const p = this.profiles.get(d.securityProfile.toLowerCase());
    if (!p) throw new Error(`device ${d.name}: unknown security profile "${d.securityProfile}"`);
    return p;
  }

  get size(): number {
    return this.devices.size;
  }
}
