// Admission of requests arriving over SIP trunks, in CUCM's order (seed 001 L1557-1572, Table 40 L8556-8573):
// the trunk ACL (the peer must be one of the trunk's destination addresses on its incoming port), the TLS peer
// certificate against "Secure Certificate Subject or Subject Alternate Name" (secure profiles), trunk-level
// authorization of the special requests (presence SUBSCRIBE, out-of-dialog REFER, unsolicited NOTIFY, Replaces),
// digest (realm = the Cluster ID enterprise parameter), then application-level authorization of the digest user.
import type { X509Certificate } from 'node:crypto';
import { findSuite } from '../../../ciphers/tls/suite-catalogue.js';
import { type DeviceSecurityMode, checkSuiteForMode } from '../../tls/presets.js';
import { type TrunkSecurityProfile, matchSubjectNames, parseSubjectNames } from '../../tls/peer-verification.js';
import { DigestAuthenticator, type NonceService, digestHa1 } from '../auth/index.js';
import type { SipRequest } from '../message/index.js';
import type { SecurityJournal } from '../security-journal.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { MessageSource } from '../transport/index.js';

export interface SipTrunkSecurityProfile {
  name: string;
  deviceSecurityMode: DeviceSecurityMode;
  /** "Incoming Port" (default 5060 for Non Secure, 5061 for TLS). */
  incomingPort?: number;
  digestAuthentication?: boolean;
  /** Seconds (default 600). */
  nonceValiditySeconds?: number;
  /** "Secure Certificate Subject or Subject Alternate Name" (space, comma, semicolon or colon separated). */
  subjectNames?: string;
  /** Requires digestAuthentication (L8567). */
  applicationLevelAuthorization?: boolean;
  acceptPresenceSubscription?: boolean;
  acceptOutOfDialogRefer?: boolean;
  acceptUnsolicitedNotification?: boolean;
  acceptReplacesHeader?: boolean;
}

export interface SipTrunk {
  name: string;
  /** Destination addresses: the peers allowed to send on this trunk (its ACL). */
  destinations: string[];
  profile: SipTrunkSecurityProfile;
  /** Trust anchors for the peer certificate (CallManager-trust); needed for secure profiles. */
  trust?: readonly X509Certificate[];
}

/** Application User with digest credentials and the methods it may use (Application User Configuration). */
export interface ApplicationUser {
  userId: string;
  digestCredentials?: string;
  acceptPresenceSubscription?: boolean;
  acceptOutOfDialogRefer?: boolean;
  acceptUnsolicitedNotification?: boolean;
  acceptReplacesHeader?: boolean;
}

export interface AdmittedTrunk {
  trunk: SipTrunk;
  /** The application user that authenticated (digest enabled). */
  applicationUser?: string;
}

export type TrunkStage = 'acl' | 'tls-subject' | 'transport' | 'security-mode' | 'trunk-authorization' | 'digest' | 'application-authorization';

type Authz = 'acceptPresenceSubscription' | 'acceptOutOfDialogRefer' | 'acceptUnsolicitedNotification' | 'acceptReplacesHeader';

const AUTHZ_LABEL: Record<Authz, string> = {
  acceptPresenceSubscription: 'Accept Presence Subscription',
  acceptOutOfDialogRefer: 'Accept Out-of-Dialog Refer',
  acceptUnsolicitedNotification: 'Accept Unsolicited Notification',
  acceptReplacesHeader: 'Accept Replaces Header',
};

/** Which trunk authorization check boxes a request needs. */
export function authorizationsNeeded(req: SipRequest): Authz[] {
  const out: Authz[] = [];
  const m = req.method;
  if (m === 'SUBSCRIBE' && /^presence\b/i.test(req.get('event') ?? '')) out.push('acceptPresenceSubscription');
  if (m === 'REFER' && req.toTag === undefined) out.push('acceptOutOfDialogRefer');
  if (m === 'NOTIFY' && req.toTag === undefined) out.push('acceptUnsolicitedNotification');
  if (req.has('replaces')) out.push('acceptReplacesHeader');
  return out;
}

const UNCHALLENGED = new Set(['OPTIONS', 'ACK', 'CANCEL']);

export interface TrunkAdmissionOptions {
  trunks: readonly SipTrunk[];
  applicationUsers?: readonly ApplicationUser[];
  /** "Cluster ID" enterprise parameter: the realm of trunk challenges (default "StandAloneCluster"). */
  clusterId?: string;
  journal: SecurityJournal;
  nonces?: NonceService;
  now?: () => number;
}

function defaultPort(p: SipTrunkSecurityProfile): number {
  return p.incomingPort ?? (p.deviceSecurityMode === 'non-secure' ? 5060 : 5061);
}

export class TrunkAdmission {
  readonly trunks: readonly SipTrunk[];
  readonly auth: DigestAuthenticator;
  private readonly apps = new Map<string, ApplicationUser>();
  private readonly journal: SecurityJournal;
  /** Listening port actually bound for a configured one (port 0 in tests): configured -> bound. */
  private portMap = new Map<number, number>();

  constructor(opts: TrunkAdmissionOptions) {
    this.trunks = opts.trunks;
    for (const t of opts.trunks) {
      if (t.profile.applicationLevelAuthorization && !t.profile.digestAuthentication)
        throw new Error(`trunk ${t.name}: application level authorization requires digest authentication (seed 001 L8567)`);
      if (t.profile.deviceSecurityMode !== 'non-secure' && !t.profile.subjectNames) throw new Error(`trunk ${t.name}: a secure profile needs its X.509 subject names`);
      if (t.profile.subjectNames) parseSubjectNames(t.profile.subjectNames); // length check
    }
    for (const a of opts.applicationUsers ?? []) this.apps.set(a.userId.toLowerCase(), a);
    this.journal = opts.journal;
    this.auth = new DigestAuthenticator({ realm: opts.clusterId ?? 'StandAloneCluster', ...(opts.nonces ? { nonces: opts.nonces } : {}), ...(opts.now ? { now: opts.now } : {}) });
  }

  /** Tells which bound port stands for a configured incoming port (servers listening on port 0). */
  mapPort(configured: number, bound: number): void {
    this.portMap.set(bound, configured);
  }

  private configuredPort(local: number): number {
    return this.portMap.get(local) ?? local;
  }

  /** The engine/tls view of the secure trunks listening on a port, for identifyTrunk at the TLS handshake. */
  tlsProfiles(boundPort: number): TrunkSecurityProfile[] {
    const port = this.configuredPort(boundPort);
    return this.trunks
      .filter((t) => t.profile.deviceSecurityMode !== 'non-secure' && defaultPort(t.profile) === port)
      .map((t) => ({ name: t.name, port: boundPort, subjectNames: t.profile.subjectNames ?? '', trust: t.trust ?? [] }));
  }

  /** Whether a request comes from the trunk side: a TLS peer identified as a trunk, or a trunk destination address. */
  isTrunkSource(source: MessageSource): boolean {
    if (source.connection?.tls?.identity?.kind === 'trunk') return true;
    return this.trunks.some((t) => t.destinations.includes(source.remoteAddress));
  }

  /** Runs the checks in order; answers the refusal or challenge itself and returns undefined then. */
  admit(req: SipRequest, tx: ServerTransaction | undefined, source: MessageSource): AdmittedTrunk | undefined {
    const port = this.configuredPort(source.localPort);
    const refuse = (stage: TrunkStage, reason: string, status = 403, trunk?: SipTrunk): undefined => {
      this.journal.record({ subject: 'trunk', stage, reason, status, method: req.method, remote: `${source.remoteAddress}:${source.remotePort}`, transport: source.transport, ...(trunk ? { trunk: trunk.name } : {}) });
      if (tx) tx.reply(status, { headers: [['Warning', `399 trustline "${reason.replace(/["\\]/g, "'").slice(0, 200)}"`]] });
      return undefined;
    };
    // 1. ACL: destination address on the incoming port.
    const candidates = this.trunks.filter((t) => defaultPort(t.profile) === port && t.destinations.includes(source.remoteAddress));
    if (candidates.length === 0)
      return refuse('acl', `${source.remoteAddress} is not a destination address of any SIP trunk on port ${port}`);
    // 2. Transport and, for secure profiles, the peer certificate's subject names.
    let trunk: SipTrunk | undefined;
    let first: { stage: TrunkStage; reason: string } | undefined;
    for (const t of candidates) {
      const r = this.checkTransport(t, source);
      if (r === true) {
        trunk = t;
        break;
      }
      first ??= r;
    }
    if (!trunk) return refuse(first!.stage, first!.reason, 403, candidates[0]);
    const suiteCheck = this.checkSuite(trunk, source);
    if (suiteCheck) return refuse('security-mode', suiteCheck, 403, trunk);
    // 3. Trunk-level authorization of the special requests.
    const needed = authorizationsNeeded(req);
    for (const a of needed) if (!trunk.profile[a]) return refuse('trunk-authorization', `${req.method}: "${AUTHZ_LABEL[a]}" is not checked in trunk security profile ${trunk.profile.name}`, 403, trunk);
    // 4. Digest.
    if (!trunk.profile.digestAuthentication || UNCHALLENGED.has(req.method)) return { trunk };
    const validity = (trunk.profile.nonceValiditySeconds ?? 600) * 1000;
    const v = this.auth.verify(req, (u) => {
      const app = this.apps.get(u.toLowerCase());
      if (!app) return undefined;
      return app.digestCredentials ? digestHa1(app.userId, this.auth.realm, app.digestCredentials) : null;
    }, validity);
    if (v.result === 'challenge') {
      if (tx) tx.reply(401, { headers: [['WWW-Authenticate', v.wwwAuthenticate]] });
      return undefined;
    }
    if (v.result === 'forbidden') return refuse('digest', v.reason, 403, trunk);
    if (v.result === 'bad-request') return refuse('digest', v.reason, 400, trunk);
    // 5. Application-level authorization.
    if (trunk.profile.applicationLevelAuthorization) {
      const app = this.apps.get(v.username.toLowerCase())!;
      for (const a of needed) if (!app[a]) return refuse('application-authorization', `${req.method}: application user ${app.userId} does not have "${AUTHZ_LABEL[a]}"`, 403, trunk);
    }
    return { trunk, applicationUser: v.username };
  }

  private checkTransport(t: SipTrunk, source: MessageSource): true | { stage: TrunkStage; reason: string } {
    const mode = t.profile.deviceSecurityMode;
    if (mode === 'non-secure') {
      if (source.transport === 'TLS') return { stage: 'transport', reason: `trunk ${t.name}: profile ${t.profile.name} is Non Secure (incoming TCP+UDP), request came over TLS` };
      return true;
    }
    if (source.transport !== 'TLS') return { stage: 'transport', reason: `trunk ${t.name}: profile ${t.profile.name} is ${mode}, incoming transport TLS, request came over ${source.transport}` };
    const tls = source.connection?.tls;
    const id = tls?.identity;
    if (id?.kind === 'trunk') {
      if (id.trunk === t.name) return true;
      return { stage: 'tls-subject', reason: `the TLS peer certificate identified trunk ${id.trunk}, not ${t.name}` };
    }
    if (!tls?.peerCertificate) return { stage: 'tls-subject', reason: `trunk ${t.name}: the TLS peer presented no certificate` };
    const m = matchSubjectNames(tls.peerCertificate, parseSubjectNames(t.profile.subjectNames ?? ''));
    if (!m.ok) return { stage: 'tls-subject', reason: `trunk ${t.name}: ${m.reason}` };
    return { stage: 'tls-subject', reason: `trunk ${t.name}: the peer certificate matches ${m.matched} but was not verified at the handshake` };
  }

  private checkSuite(t: SipTrunk, source: MessageSource): string | undefined {
    const mode = t.profile.deviceSecurityMode;
    if (mode === 'non-secure') return undefined;
    const facts = source.connection!.tls!;
    const suite = findSuite(facts.suite.iana) ?? findSuite(facts.suite.openssl);
    if (!suite) return `negotiated suite ${facts.suite.openssl} is unknown`;
    const r = checkSuiteForMode(mode, suite);
    return r.ok ? undefined : `trunk ${t.name}: ${r.reason}`;
  }
}
