// The registrar (RFC 3261 10.3) with CUCM's line-side admission: identify the phone (Cisco's devicename Contact
// parameter, the verified TLS certificate, the digest user, or the line), apply its device security profile
// (transport, mode, client certificate bound to the device name, suite), challenge with digest when the profile
// says so (realm = the "SIP Station Realm" service parameter), then update the location service. The same admission
// serves the phone's other requests (admitRequest), keepalives excepted.
import { logger } from '../../../common/log.js';
import { type NameAddr, type SipRequest, unquote } from '../message/index.js';
import { DigestAuthenticator, type DigestVerdict, digestHa1, type NonceService } from '../auth/index.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Connection, MessageSource } from '../transport/index.js';
import type { SecurityJournal } from '../security-journal.js';
import { DEFAULT_NONCE_VALIDITY_SECONDS, type DeviceDirectory, type PhoneDevice, type PhoneSecurityProfile } from './devices.js';
import { type Binding, type LocationService, aorKey } from './location-service.js';
import { checkPhoneSecurity } from './phone-security.js';

const log = logger('sip.registrar');

/** Cisco phones name themselves in a Contact parameter. */
export const DEVICE_NAME_PARAM = '+u.sip!devicename.ccm.cisco.com';

export interface RegistrarOptions {
  /** "SIP Station Realm" service parameter (default "ccmsipline"). */
  realm?: string;
  /** Shortest registration accepted (423 below it, RFC 3261 10.3 step 7; default 60 s). */
  minExpires?: number;
  /** Longest registration granted (longer requests are shortened; default 3600 s). */
  maxExpires?: number;
  /** Used when the REGISTER names none (default 3600 s). */
  defaultExpires?: number;
  /**
   * Accept AORs no configured phone owns, without admission checks: a plain RFC 3261 registrar (labs, benchmarks
   * against other registrars). Configured phones are still checked. Default false.
   */
  openRegistration?: boolean;
  /** Offer qop=auth in challenges (default false: CUCM's challenges have no qop). */
  qop?: boolean;
  nonces?: NonceService;
  now?: () => number;
}

/** A phone admitted for a request. */
export interface AdmittedPhone {
  device: PhoneDevice | undefined;
  profile: PhoneSecurityProfile | undefined;
  /** Digest user that authenticated the request, when digest was required. */
  digestUser?: string;
}

/** Requests never challenged: keepalives (OPTIONS; CRLF pings never reach here) and what cannot be (ACK, CANCEL, RFC 3261 22.1). */
export const UNCHALLENGED_METHODS: ReadonlySet<string> = new Set(['OPTIONS', 'ACK', 'CANCEL']);

type Refusal = { status: number; stage: string; reason: string; headers?: [string, string][] };

export class Registrar {
  readonly realm: string;
  readonly auth: DigestAuthenticator;
  private readonly minExpires: number;
  private readonly maxExpires: number;
  private readonly defaultExpires: number;
  private readonly open: boolean;
  private readonly now: () => number;
  private readonly ha1Cache = new Map<string, string | null>();
  /** transport|address|port -> device name of the last successful registration over that flow. */
  private readonly flows = new Map<string, string>();
  private lastRuri: { text: string; scheme: string } | undefined;
  private dateSecond = -1;
  private dateValue = '';

  constructor(
    readonly directory: DeviceDirectory,
    readonly location: LocationService,
    readonly journal: SecurityJournal,
    opts: RegistrarOptions = {},
  ) {
    this.realm = opts.realm ?? 'ccmsipline';
    this.minExpires = opts.minExpires ?? 60;
    this.maxExpires = opts.maxExpires ?? 3600;
    this.defaultExpires = opts.defaultExpires ?? 3600;
    if (!(this.minExpires <= this.defaultExpires && this.defaultExpires <= this.maxExpires)) throw new Error(`registrar: need minExpires <= defaultExpires <= maxExpires`);
    this.open = opts.openRegistration ?? false;
    this.now = opts.now ?? Date.now;
    this.auth = new DigestAuthenticator({ realm: this.realm, qop: opts.qop ?? false, ...(opts.nonces ? { nonces: opts.nonces } : {}), now: this.now });
  }

  /** Forget cached digest checksums (after changing an end user's credentials). */
  credentialsChanged(): void {
    this.ha1Cache.clear();
  }

  /** The flow closed: forget which device it carried. */
  forgetFlow(conn: Connection): void {
    this.flows.delete(flowKey(conn.transport, conn.remoteAddress, conn.remotePort));
  }

  // ---- REGISTER --------------------------------------------------------------------------------------------------

  handleRegister(req: SipRequest, tx: ServerTransaction, source: MessageSource): void {
    let aor: string;
    let to: NameAddr;
    try {
      const scheme = this.requestUriScheme(req);
      if (scheme !== 'sip' && scheme !== 'sips') return this.refuse(tx, source, { status: 416, stage: 'request', reason: `Request-URI scheme ${scheme} is not sip/sips` });
      to = req.to();
      if (to.uri.scheme !== 'sip' && to.uri.scheme !== 'sips') return this.refuse(tx, source, { status: 404, stage: 'request', reason: `To ${to.uri.scheme}: is not a SIP address of record` });
      aor = aorKey(to.uri.user, to.uri.host);
      req.contacts(); // parse now: a bad Contact is a 400 naming it
    } catch (e) {
      return this.refuse(tx, source, { status: 400, stage: 'request', reason: (e as Error).message });
    }
    const found = this.identify(req, source, to.uri.user);
    let admitted: AdmittedPhone;
    if (!found) {
      if (this.open) admitted = { device: undefined, profile: undefined };
      else if (req.getAll('authorization').length === 0) {
        // Third-party phones are identified by their digest user: ask for it (CUCM SIP line messaging guide).
        tx.reply(401, { headers: [['WWW-Authenticate', this.auth.challenge()]] });
        return;
      } else return this.refuse(tx, source, { status: 403, stage: 'device', reason: `no configured phone has line ${to.uri.user ?? '(none)'} or this digest user` }, aor);
    } else {
      const line = to.uri.user ?? '';
      if (!found.lines.includes(line)) return this.refuse(tx, source, { status: 403, stage: 'line', reason: `line ${line || '(none)'} is not configured on ${found.name}` }, aor, found);
      const r = this.admit(req, source, found);
      if ('status' in r) return this.refuseOrChallenge(tx, source, r, aor, found);
      admitted = r;
    }
    this.updateBindings(req, tx, source, aor, admitted);
  }

  /** Scheme of the Request-URI, which is parsed (and so checked) once per distinct text: phones register to one URI. */
  private requestUriScheme(req: SipRequest): string {
    const text = req.uri;
    if (this.lastRuri?.text === text) return this.lastRuri.scheme;
    const scheme = req.requestUri().scheme; // throws on a bad URI: nothing is remembered then
    this.lastRuri = { text, scheme };
    return scheme;
  }

  /** RFC 3261 10.3 steps 6-8. */
  private updateBindings(req: SipRequest, tx: ServerTransaction, source: MessageSource, aor: string, who: AdmittedPhone): void {
    const now = this.now();
    let headerExpires: number | undefined;
    try {
      headerExpires = req.expires();
    } catch (e) {
      return this.refuse(tx, source, { status: 400, stage: 'request', reason: (e as Error).message }, aor, who.device);
    }
    const raw = req.values('contact');
    if (raw.length === 1 && raw[0] === '*') {
      if (headerExpires !== 0) return this.refuse(tx, source, { status: 400, stage: 'request', reason: 'Contact: * needs Expires: 0' }, aor, who.device);
      for (const b of this.location.lookup(aor)) {
        if (b.callId === req.callId && req.cseq.seq <= b.cseq) return this.refuse(tx, source, { status: 500, stage: 'request', reason: `CSeq ${req.cseq.seq} is not above ${b.cseq} of the binding (out of order)` }, aor, who.device);
      }
      this.location.removeAll(aor);
      tx.reply(200, { headers: [['Date', this.date()]] });
      return;
    }
    const contacts = req.contacts();
    const updates: { contact: string; text: string; expires: number; na: NameAddr }[] = [];
    for (let i = 0; i < contacts.length; i++) {
      const na = contacts[i]!;
      const p = na.params.get('expires');
      let expires = p !== undefined && p !== null && /^\d+$/.test(p) ? Number(p) : headerExpires ?? this.defaultExpires;
      if (expires !== 0 && expires < this.minExpires) {
        tx.reply(423, { headers: [['Min-Expires', String(this.minExpires)]] });
        this.journal.record({ subject: 'phone', stage: 'expires', reason: `registration for ${expires} s, minimum ${this.minExpires} s`, status: 423, method: 'REGISTER', aor, ...remote(source), ...(who.device ? { device: who.device.name.toUpperCase() } : {}) });
        return;
      }
      if (expires > this.maxExpires) expires = this.maxExpires;
      const uriText = contactUriText(raw[i]!);
      updates.push({ contact: uriText, text: stripExpires(raw[i]!), expires, na });
    }
    for (const u of updates) {
      const b = this.location.get(aor, u.contact);
      if (b && b.callId === req.callId && req.cseq.seq <= b.cseq)
        return this.refuse(tx, source, { status: 500, stage: 'request', reason: `CSeq ${req.cseq.seq} is not above ${b.cseq} of the binding (out of order)` }, aor, who.device);
    }
    const deviceName = who.device?.name.toUpperCase();
    for (const u of updates) {
      if (u.expires === 0) {
        this.location.remove(aor, u.contact);
        continue;
      }
      const instance = u.na.params.get('+sip.instance');
      const from: Binding['source'] = { transport: source.transport, address: source.remoteAddress, port: source.remotePort };
      if (source.connection) from.connection = source.connection;
      const b: Binding = { aor, contact: u.contact, expiresAt: now + u.expires * 1000, callId: req.callId, cseq: req.cseq.seq, registeredAt: now, source: from };
      if (instance) b.instance = unquote(instance);
      if (deviceName) b.device = deviceName;
      const q = u.na.params.get('q');
      if (q) b.q = q;
      bindingText.set(b, u.text);
      this.location.set(b);
    }
    if (deviceName) this.flows.set(flowKey(source.transport, source.remoteAddress, source.remotePort), deviceName);
    const headers: [string, string][] = [];
    for (const b of this.location.lookup(aor)) {
      const left = Math.max(0, Math.round((b.expiresAt - now) / 1000));
      headers.push(['Contact', `${bindingText.get(b) ?? `<${b.contact}>`};expires=${left}`]);
    }
    headers.push(['Date', this.date()]);
    tx.reply(200, { headers });
  }

  // ---- admission (REGISTER and the phone's other requests) --------------------------------------------------------

  /**
   * Admits a line-side request other than REGISTER (INVITE, SUBSCRIBE, REFER...): the device it comes from, its
   * security profile, digest unless it is a keepalive. Answers the refusal or challenge itself and returns undefined.
   */
  admitRequest(req: SipRequest, tx: ServerTransaction | undefined, source: MessageSource): AdmittedPhone | undefined {
    const fromUser = safe(() => req.from().uri.user);
    const device = this.flows.get(flowKey(source.transport, source.remoteAddress, source.remotePort));
    const found = (device ? this.directory.device(device) : undefined) ?? this.identify(req, source, fromUser);
    if (!found) {
      if (this.open) return { device: undefined, profile: undefined };
      if (UNCHALLENGED_METHODS.has(req.method)) return { device: undefined, profile: undefined };
      if (!tx) return undefined;
      if (req.getAll('authorization').length === 0) {
        tx.reply(401, { headers: [['WWW-Authenticate', this.auth.challenge()]] });
        return undefined;
      }
      this.refuse(tx, source, { status: 403, stage: 'device', reason: `${req.method} from no configured phone (From user ${fromUser ?? '(none)'})` }, undefined, undefined, req.method);
      return undefined;
    }
    const r = this.admit(req, source, found);
    if ('status' in r) {
      if (tx) this.refuseOrChallenge(tx, source, r, undefined, found, req.method);
      else this.journal.record({ subject: 'request', stage: r.stage, reason: r.reason, method: req.method, device: found.name.toUpperCase(), ...remote(source) });
      return undefined;
    }
    return r;
  }

  /** Security profile, then digest. */
  private admit(req: SipRequest, source: MessageSource, device: PhoneDevice): AdmittedPhone | Refusal {
    const profile = this.directory.profileOf(device);
    const sec = checkPhoneSecurity(device, profile, source);
    if (!sec.ok) return { status: 403, stage: sec.stage, reason: sec.reason };
    if (!profile.digestAuthentication || UNCHALLENGED_METHODS.has(req.method)) return { device, profile };
    const userId = this.directory.digestUserId(device);
    if (userId === undefined) return { status: 403, stage: 'digest', reason: `digest authentication is enabled but ${device.name} has no Digest User` };
    const validity = (profile.nonceValiditySeconds ?? DEFAULT_NONCE_VALIDITY_SECONDS) * 1000;
    const v: DigestVerdict = this.auth.verify(req, (u) => this.ha1(u), validity, userId);
    switch (v.result) {
      case 'ok':
        return { device, profile, digestUser: v.username };
      case 'challenge':
        return { status: 401, stage: 'digest', reason: v.reason, headers: [['WWW-Authenticate', v.wwwAuthenticate]] };
      case 'forbidden':
        return { status: 403, stage: 'digest', reason: v.reason };
      case 'bad-request':
        return { status: 400, stage: 'digest', reason: v.reason };
    }
  }

  /** Which configured phone sent this: devicename Contact parameter, TLS identity, digest user, then the line. */
  identify(req: SipRequest, source: MessageSource, lineUser: string | undefined): PhoneDevice | undefined {
    const named = deviceNameParam(req);
    if (named) {
      const d = this.directory.device(named);
      if (d) return d;
    }
    const id = source.connection?.tls?.identity;
    if (id?.kind === 'phone') {
      const d = this.directory.device(id.deviceName);
      if (d) return d;
    }
    for (const v of req.getAll('authorization')) {
      const m = /username\s*=\s*"([^"]*)"/i.exec(v);
      const d = m ? this.directory.deviceByDigestUser(m[1]!) : undefined;
      if (d) return d;
    }
    return lineUser !== undefined ? this.directory.deviceByLine(lineUser) : undefined;
  }

  private ha1(userId: string): string | null | undefined {
    const k = userId.toLowerCase();
    if (this.ha1Cache.has(k)) return this.ha1Cache.get(k);
    const u = this.directory.user(userId);
    const v = u === undefined ? undefined : u.digestCredentials === undefined || u.digestCredentials === '' ? null : digestHa1(u.userId, this.realm, u.digestCredentials);
    if (v !== undefined) this.ha1Cache.set(k, v);
    return v;
  }

  private refuseOrChallenge(tx: ServerTransaction, source: MessageSource, r: Refusal, aor: string | undefined, device: PhoneDevice, method = 'REGISTER'): void {
    if (r.status === 401) {
      log.debug(`challenge ${method} of ${device.name} from ${source.remoteAddress}:${source.remotePort}: ${r.reason}`);
      tx.reply(401, { headers: r.headers ?? [] });
      return;
    }
    this.refuse(tx, source, r, aor, device, method);
  }

  private refuse(tx: ServerTransaction, source: MessageSource, r: Refusal, aor?: string, device?: PhoneDevice, method = 'REGISTER'): void {
    this.journal.record({
      subject: method === 'REGISTER' ? 'phone' : 'request',
      stage: r.stage,
      reason: r.reason,
      status: r.status,
      method,
      ...(aor ? { aor } : {}),
      ...(device ? { device: device.name.toUpperCase() } : {}),
      ...remote(source),
    });
    tx.reply(r.status, { headers: [...(r.headers ?? []), ['Warning', `399 trustline "${r.reason.replace(/["\\]/g, "'").slice(0, 200)}"`]] });
  }

  /** RFC 1123 date, computed once per second. */
  private date(): string {
    const t = this.now();
    const s = Math.floor(t / 1000);
    if (s !== this.dateSecond) {
      this.dateSecond = s;
      this.dateValue = new Date(t).toUTCString();
    }
    return this.dateValue;
  }
}

/** The contact text each binding was registered with (to echo it with its parameters). */
const bindingText = new WeakMap<Binding, string>();

function flowKey(t: string, a: string, p: number): string {
  return `${t}|${a}|${p}`;
}

function remote(source: MessageSource): { remote: string; transport: string } {
  return { remote: `${source.remoteAddress}:${source.remotePort}`, transport: source.transport };
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function deviceNameParam(req: SipRequest): string | undefined {
  let contacts: NameAddr[];
  try {
    contacts = req.contacts();
  } catch {
    return undefined;
  }
  for (const c of contacts) {
    const v = c.params.get(DEVICE_NAME_PARAM);
    if (v) return unquote(v);
  }
  return undefined;
}

/** The URI of a Contact value as written (between <>, or up to the first ';' of an addr-spec). */
function contactUriText(v: string): string {
  const lt = v.indexOf('<');
  if (lt >= 0) return v.slice(lt + 1, v.indexOf('>', lt));
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim();
}

/** A Contact value without its expires parameter (we add the granted one). */
function stripExpires(v: string): string {
  const gt = v.lastIndexOf('>');
  if (gt < 0) {
    const semi = v.indexOf(';');
    return `<${(semi < 0 ? v : v.slice(0, semi)).trim()}>${semi < 0 ? '' : v.slice(semi).replace(/;\s*expires\s*=\s*\d+/i, '')}`;
  }
  return v.slice(0, gt + 1) + v.slice(gt + 1).replace(/;\s*expires\s*=\s*\d+/i, '');
}
