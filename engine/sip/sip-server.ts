// The cluster's SIP front: listeners (UDP/TCP 5060, TLS 5061, configurable; port 0 in tests), the transaction layer,
// the registrar and line-side admission for phones, trunk admission, and a pluggable handler per method for what
// comes after admission (the B2BUA plugs in with setInviteHandler / onRequest). OPTIONS keepalives are answered here.
import { X509Certificate } from 'node:crypto';
import { logger } from '../../common/log.js';
import type { ClusterPki } from '../pki/index.js';
import type { KeyPairInput } from '../tls/listener.js';
import { type TrunkSecurityProfile, identifyTrunk } from '../tls/peer-verification.js';
import { buildTlsPolicy, type TlsPolicy } from '../tls/policy.js';
import { NonceService } from './auth/index.js';
import type { SipRequest } from './message/index.js';
import { DeviceDirectory, LocationService, Registrar, phoneVerifierFromPki, type AdmittedPhone, type PhoneCertificateVerifier, type RegistrarOptions } from './registrar/index.js';
import { SecurityJournal } from './security-journal.js';
import { type ServerTransaction, TransactionLayer, type TimerService, type TimerValues } from './transaction/index.js';
import { type AdmittedTrunk, type ApplicationUser, type SipTrunk, TrunkAdmission } from './trunk/index.js';
import { type Connection, type MessageSource, type PeerIdentity, TransportLayer, type TransportLayerOptions } from './transport/index.js';
import { type IncomingRequest, UserAgentCore } from './ua-core.js';

const log = logger('sip.server');

export interface SipServerTlsOptions {
  /** Default 5061. */
  port?: number;
  /** CallManager (RSA) and CallManager-ECDSA; taken from `pki` when absent. */
  rsa?: KeyPairInput;
  ecdsa?: KeyPairInput;
  /** Default: buildTlsPolicy({ port: 5061 }) (the enterprise defaults, both secure modes). */
  policy?: TlsPolicy;
  /**
   * Ask every TLS client for a certificate and refuse the connection when it is missing or neither a trusted phone
   * certificate nor a configured trunk's (CUCM's 5061). Default true. With false no certificate is asked for, and
   * Authenticated/Encrypted phones are refused at registration instead.
   */
  requireClientCertificate?: boolean;
  /** CA names sent in the CertificateRequest (default: CallManager-trust from `pki`). */
  clientCa?: (string | Buffer)[];
  keyLogFile?: string;
  handshakeTimeoutMs?: number;
}

export interface SipServerOptions {
  /** Listening address (default 127.0.0.1). */
  host?: string;
  /** UDP listener (default port 5060); false for none. */
  udp?: { port?: number } | false;
  /** TCP listener (default port 5060); false for none. */
  tcp?: { port?: number } | false;
  /** TLS listener (default port 5061, credentials from `pki`); false for none. */
  tls?: SipServerTlsOptions | false;
  /** The cluster's PKI: TLS credentials, CallManager-trust for phone and trunk certificates. */
  pki?: ClusterPki;
  /** Verifies phone certificates at the handshake (default: phoneVerifierFromPki(pki) when pki is given). */
  phoneVerifier?: PhoneCertificateVerifier;
  devices?: DeviceDirectory;
  registrar?: RegistrarOptions;
  trunks?: SipTrunk[];
  applicationUsers?: ApplicationUser[];
  /** "Cluster ID" enterprise parameter: realm of trunk challenges (default "StandAloneCluster"). */
  clusterId?: string;
  /** Drop a phone's bindings when the connection it registered over closes (CUCM: unregistered). Default true. */
  unregisterOnConnectionLoss?: boolean;
  timers?: TimerService;
  values?: Partial<TimerValues>;
  transport?: TransportLayerOptions;
  /** Server header value (default "trustline"). */
  userAgent?: string;
}

/** A request that passed admission, with who sent it. */
export interface ServerRequest extends IncomingRequest {
  /** Line side: the phone (device undefined with open registration or for unchallenged methods from unknown sources). */
  phone?: AdmittedPhone;
  /** Trunk side. */
  trunk?: AdmittedTrunk;
}

export type ServerRequestHandler = (req: ServerRequest) => void;

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, REFER, NOTIFY, SUBSCRIBE';

export class SipServer {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly ua: UserAgentCore;
  readonly journal = new SecurityJournal();
  readonly directory: DeviceDirectory;
  readonly location: LocationService;
  readonly registrar: Registrar;
  readonly trunkAdmission: TrunkAdmission;
  private readonly handlers = new Map<string, ServerRequestHandler>();
  private readonly phoneVerifier: PhoneCertificateVerifier | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private bound: { udp?: number; tcp?: number; tls?: number } = {};

  private constructor(private readonly opts: SipServerOptions) {
    this.transport = new TransportLayer(opts.transport);
    this.transactions = new TransactionLayer(this.transport, { ...(opts.timers ? { timers: opts.timers } : {}), ...(opts.values ? { values: opts.values } : {}) });
    this.ua = new UserAgentCore({ transport: this.transport, transactions: this.transactions, userAgent: opts.userAgent ?? 'trustline' });
    this.directory = opts.devices ?? new DeviceDirectory();
    const now = opts.registrar?.now ?? (opts.timers ? () => opts.timers!.now() : Date.now);
    this.location = new LocationService(now);
    const nonces = opts.registrar?.nonces ?? new NonceService();
    this.registrar = new Registrar(this.directory, this.location, this.journal, { now, ...opts.registrar, nonces });
    const trust = opts.pki ? opts.pki.trustedPems('CallManager-trust').map((p) => new X509Certificate(p)) : [];
    this.trunkAdmission = new TrunkAdmission({
      trunks: (opts.trunks ?? []).map((t) => ({ ...t, trust: t.trust ?? trust })),
      applicationUsers: opts.applicationUsers ?? [],
      clusterId: opts.clusterId ?? 'StandAloneCluster',
      journal: this.journal,
      nonces,
      now,
    });
    this.phoneVerifier = opts.phoneVerifier ?? (opts.pki ? phoneVerifierFromPki(opts.pki) : undefined);
    this.transactions.onRequest((req, tx, source) => this.onRequestIn(req, tx, source));
    this.transactions.onStrayResponse(() => undefined);
    this.ua.onRequest((r) => this.route(r as ServerRequest));
    this.transport.on('tls-refusal', (rec) =>
      this.journal.record({ subject: 'tls', stage: rec.refusal?.stage ?? 'handshake', reason: rec.refusal?.reason ?? 'refused', remote: rec.remote, transport: 'TLS' }),
    );
    if (opts.unregisterOnConnectionLoss ?? true)
      this.transport.on('connection-closed', (c: Connection) => {
        this.location.removeByConnection(c);
        this.registrar.forgetFlow(c);
      });
  }

  /** Builds and starts the server; resolves once every listener is bound. */
  static async start(opts: SipServerOptions = {}): Promise<SipServer> {
    const s = new SipServer(opts);
    try {
      await s.listen();
    } catch (e) {
      await s.stop();
      throw e;
    }
    return s;
  }

  /** Bound ports (port 0 resolved). */
  get ports(): { udp?: number; tcp?: number; tls?: number } {
    return { ...this.bound };
  }

  private async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    if (this.opts.udp !== false) {
      const want = this.opts.udp?.port ?? 5060;
      this.bound.udp = (await this.transport.listenUdp(want, host)).port;
      this.trunkAdmission.mapPort(want === 0 ? 5060 : want, this.bound.udp);
    }
    if (this.opts.tcp !== false) {
      const want = this.opts.tcp?.port ?? 5060;
      this.bound.tcp = (await this.transport.listenTcp(want, host)).port;
      this.trunkAdmission.mapPort(want === 0 ? 5060 : want, this.bound.tcp);
    }
    if (this.opts.tls !== false && (this.opts.tls || this.opts.pki)) {
      const t = this.opts.tls || {};
      const pki = this.opts.pki;
      const rsa = t.rsa ?? (pki ? pki.tlsCredentials('CallManager') : undefined);
      if (!rsa) throw new Error('TLS listener: no CallManager certificate (give tls.rsa or pki)');
      let ecdsa = t.ecdsa;
      if (!ecdsa && pki) {
        try {
          ecdsa = pki.tlsCredentials('CallManager-ECDSA');
        } catch {
          /* a cluster without CallManager-ECDSA serves RSA only */
        }
      }
      const policy = t.policy ?? (await buildTlsPolicy({ port: 5061 }));
      const requireCert = t.requireClientCertificate ?? true;
      const want = t.port ?? 5061;
      const clientCa = t.clientCa ?? (pki ? pki.trustedPems('CallManager-trust') : undefined);
      const a = await this.transport.listenTls(
        {
          rsa: { key: rsa.key, cert: rsa.cert },
          ...(ecdsa ? { ecdsa: { key: ecdsa.key, cert: ecdsa.cert } } : {}),
          policy,
          name: `SIP TLS ${want}`,
          ...(requireCert ? { requestClientCert: true, identifyPeer: (chain, _s, rec) => this.identifyPeer(chain, rec.localPort) } : {}),
          ...(clientCa && requireCert ? { clientCa } : {}),
          ...(t.keyLogFile ? { keyLogFile: t.keyLogFile } : {}),
          ...(t.handshakeTimeoutMs ? { handshakeTimeoutMs: t.handshakeTimeoutMs } : {}),
        },
        want,
        host,
      );
      this.bound.tls = a.port;
      this.trunkAdmission.mapPort(want === 0 ? 5061 : want, a.port);
    }
    this.sweep = setInterval(() => this.location.sweep(), 30_000);
    this.sweep.unref();
    log.info(`SIP server on ${host}: ${JSON.stringify(this.bound)}`);
  }

  /** TLS handshake verdict: a configured trunk's peer (subject names + trust) or a trusted phone certificate. */
  private identifyPeer(chain: Parameters<PhoneCertificateVerifier>[0], localPort: number): { ok: true; identity?: PeerIdentity } | { ok: false; reason: string } {
    const reasons: string[] = [];
    const profiles: TrunkSecurityProfile[] = this.trunkAdmission.tlsProfiles(localPort);
    if (profiles.length > 0) {
      const t = identifyTrunk(chain, localPort, profiles);
      if (t.ok) return { ok: true, identity: { kind: 'trunk', trunk: t.trunk.name, matched: t.matched, detail: t.detail } };
      reasons.push(`not a SIP trunk peer: ${t.reason}`);
    }
    if (this.phoneVerifier) {
      const p = this.phoneVerifier(chain);
      if (p.ok) return p;
      reasons.push(`not a phone: ${p.reason}`);
    } else reasons.push('no phone certificate verifier configured');
    return { ok: false, reason: reasons.join('; ') };
  }

  /** Handler for one method after admission ('*' for any method without its own). */
  onRequest(method: string, handler: ServerRequestHandler): void {
    this.handlers.set(method.toUpperCase(), handler);
  }

  /** The B2BUA's entry point: INVITEs (new and in-dialog) after admission. */
  setInviteHandler(handler: ServerRequestHandler): void {
    this.onRequest('INVITE', handler);
  }

  private onRequestIn(req: SipRequest, tx: ServerTransaction | undefined, source: MessageSource): void {
    if (req.method === 'ACK') {
      this.ua.dispatch(req, undefined, source);
      return;
    }
    if (!tx) return;
    if (req.method === 'OPTIONS' && req.toTag === undefined && !this.handlers.has('OPTIONS')) {
      // Keepalive: answered, never challenged (seed 001 L6362).
      tx.reply(200, { headers: [['Allow', ALLOW], ['Accept', 'application/sdp'], ['Server', this.opts.userAgent ?? 'trustline']] });
      return;
    }
    if (this.trunkAdmission.isTrunkSource(source)) {
      const trunk = this.trunkAdmission.admit(req, tx, source);
      if (trunk) this.ua.dispatch(req, tx, source, { trunk });
      return;
    }
    if (req.method === 'REGISTER') {
      this.registrar.handleRegister(req, tx, source);
      return;
    }
    const phone = this.registrar.admitRequest(req, tx, source);
    if (phone) this.ua.dispatch(req, tx, source, { phone });
  }

  private route(r: ServerRequest): void {
    const h = this.handlers.get(r.request.method) ?? this.handlers.get('*');
    if (h) return h(r);
    if (!r.transaction) return;
    if (r.request.toTag !== undefined && !r.dialog) r.reply(481);
    else if (r.request.method === 'OPTIONS') r.reply(200, { headers: [['Allow', ALLOW]] });
    else r.reply(501);
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.transactions.close();
    await this.transport.close();
  }
}
