// A fleet of light emulated phones for load: what endpoints/sip's user agent does per phone (its own TLS connection
// with its own LSC through the model's offer, REGISTER, calls with SDES-SRTP media through PhoneCall and CallMedia),
// but with one transport, one transaction layer and one media clock shared by every phone of the thread, and no
// flash, trust store or full boot (each phone only downloads and parses its configuration file). The CallManager
// certificate is pinned by fingerprint instead of going through a trust store per phone.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { parseCertificate, type CertificateInfo, type DnFields } from '../../engine/pki/certificates.js';
import { lscCertificate } from '../../engine/pki/profiles.js';
import type { StreamConnection, SipTarget } from '../../engine/sip/transport/index.js';
import { UserAgentCore, type IncomingRequest } from '../../engine/sip/ua-core.js';
import { parseCnfXml } from '../../engine/tftp/cnf-xml.js';
import { parseSigned } from '../../engine/trust/signed-file.js';
import type { MediaClock } from '../../endpoints/media/media-clock.js';
import { builtinModels, type ModelProfile } from '../../endpoints/models/model-profiles.js';
import { PhoneCall, type CallPort, type CallResult } from '../../endpoints/sip/phone-call.js';
import { clientTlsFacts, PhoneTransport } from '../../endpoints/sip/phone-transport.js';
import { connectWithOffer, phoneTlsOffer } from '../../endpoints/tls/phone-tls-offer.js';

export interface FleetServer {
  host: string;
  tlsPort: number;
  httpPort?: number;
  /** SHA-256 fingerprints (colon form) of the CallManager certificates the phones accept. */
  pinned: string[];
}

/** The CAPF signing material: phones of the bench get LSCs signed here, as CAPF would issue them. */
export interface LscIssuer {
  keyPem: string;
  certPem: string;
  /** Subject fields of the cluster's LSCs (O, OU, L, ST, C). */
  subject: Omit<DnFields, 'commonName'>;
}

export interface FleetPhone {
  index: number;
  mac: string;
  deviceName: string;
  line: string;
  key?: KeyObject;
  cert?: CertificateInfo;
  conn?: StreamConnection;
  port?: CallPort;
  registered: boolean;
  error?: string;
}

export function fleetPhone(index: number): FleetPhone {
  const mac = (0x001b54000000 + index).toString(16).toUpperCase().padStart(12, '0');
  return { index, mac, deviceName: `SEP${mac}`, line: String(100000 + index), registered: false };
}

/** EC P-256 key and an LSC for it, signed with the CAPF key (what CAPF issues for "EC Key Only" P-256). */
export function issueLscs(phones: FleetPhone[], issuer: LscIssuer): void {
  const capfKey = createPrivateKey(issuer.keyPem);
  const capf = parseCertificate(issuer.certPem);
  const now = new Date(Date.now() - 60_000);
  for (const p of phones) {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    p.key = k.privateKey;
    p.cert = lscCertificate({ subject: issuer.subject }, p.deviceName, k.publicKey, capf, capfKey, now, 30);
  }
}

/** GET over HTTP (6970), bounded. */
function httpGet(host: string, port: number, path: string, timeoutMs = 10_000): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface FleetOptions {
  server: FleetServer;
  clock: MediaClock;
  model?: ModelProfile;
  srtpSuites?: SrtpSuiteName[];
  /** Media options for every call (rtcp-mux halves the sockets). */
  media?: { rtcpMux?: boolean; rtcpIntervalMs?: number; jitterBufferMs?: number };
}

export class PhoneFleet {
  readonly transport = new PhoneTransport({ maxConnections: 100_000 });
  readonly core: UserAgentCore;
  readonly #o: FleetOptions;
  readonly #model: ModelProfile;
  readonly #byLine = new Map<string, FleetPhone>();
  readonly #calls = new Map<string, PhoneCall>();
  readonly ended: CallResult[] = [];
  /** Incoming calls answered. */
  answered = 0;

  constructor(o: FleetOptions) {
    this.#o = o;
    this.#model = o.model ?? builtinModels.get('8865');
    this.core = new UserAgentCore({ transport: this.transport, userAgent: `Cisco-CP${this.#model.modelNumber}/trustline-bench` });
    this.core.onRequest((inc) => this.#onRequest(inc));
  }

  /** Downloads and reads the phone's configuration (the light boot): the CallManager's secure port and the line. */
  async boot(p: FleetPhone): Promise<void> {
    const s = this.#o.server;
    if (!s.httpPort) return;
    let r = await httpGet(s.host, s.httpPort, `/${p.deviceName}.cnf.xml`);
    let xml = r.body;
    if (r.status === 404) {
      r = await httpGet(s.host, s.httpPort, `/${p.deviceName}.cnf.xml.sgn`);
      if (r.status === 200) xml = Buffer.from(parseSigned(r.body).content);
    }
    if (r.status !== 200) throw new Error(`${p.deviceName}: configuration: HTTP ${r.status}`);
    const cfg = parseCnfXml(xml);
    const line = cfg.lines[0]?.name;
    if (line) p.line = line;
  }

  /** TLS with the phone's LSC (the 8800's offer), then REGISTER; true when 200. */
  async register(p: FleetPhone): Promise<boolean> {
    const s = this.#o.server;
    const offer = phoneTlsOffer({ model: this.#model, purpose: 'sip', mode: 'encrypted', clientCertificate: { certificate: p.cert!.der, privateKey: p.key!, label: 'LSC' } });
    const r = await connectWithOffer(offer, {
      host: s.host,
      port: s.tlsPort,
      timeoutMs: 30_000,
      verifyServer: (c) => (s.pinned.includes(c.fingerprint256) ? true : `unknown CallManager certificate ${c.subject}`),
    });
    if (!r.socket) {
      p.error = r.failure?.reason ?? 'TLS failed';
      return false;
    }
    const conn = this.transport.adopt(r.socket, 'TLS', (reason) => {
      if (p.registered) p.error = `connection lost: ${reason}`;
      p.registered = false;
    }, clientTlsFacts(r.socket));
    p.conn = conn;
    this.#byLine.set(p.line, p);
    const target: SipTarget = { transport: 'TLS', host: s.host, port: s.tlsPort, connection: conn };
    const contact = `<sip:${p.line}@${conn.localAddress}:${conn.localPort};transport=tls>;+u.sip!devicename.ccm.cisco.com="${p.deviceName}"`;
    const res = await this.core.request(
      { method: 'REGISTER', uri: `sip:${s.host}:${s.tlsPort};transport=tls`, from: `<sip:${p.line}@${s.host}>`, to: `<sip:${p.line}@${s.host}>`, contact, headers: [['Expires', '3600']] },
      target,
    );
    if (res.response.status !== 200) {
      p.error = `REGISTER ${res.response.status} ${res.response.reason} ${res.response.get('warning') ?? ''}`;
      return false;
    }
    p.registered = true;
    p.port = this.#port(p, target, contact);
    // The certificate and key are in the TLS session now; the fleet does not need them any more.
    delete p.key;
    delete p.cert;
    return true;
  }

  #port(p: FleetPhone, target: SipTarget, contact: string): CallPort {
    const fleet = this;
    const o = this.#o;
    return {
      core: this.core,
      deviceName: p.deviceName,
      line: p.line,
      target: () => target,
      contact: () => contact,
      domain: () => o.server.host,
      signalling: () => 'encrypted',
      mediaOptions: (name) => ({
        suites: o.srtpSuites ?? [...fleet.#model.srtp.suites],
        signalling: 'encrypted',
        user: p.deviceName,
        media: { clock: o.clock, name, rtcpMux: o.media?.rtcpMux ?? true, rtcpIntervalMs: o.media?.rtcpIntervalMs ?? 5000, ...(o.media?.jitterBufferMs ? { jitterBufferMs: o.media.jitterBufferMs } : {}) },
      }),
      ended(call) {
        fleet.#calls.delete(call.callId);
        fleet.ended.push(call.result());
      },
    };
  }

  /** Phone `p` calls `line` through the cluster. */
  call(p: FleetPhone, line: string): PhoneCall {
    const c = PhoneCall.place(p.port!, line);
    this.#calls.set(c.callId, c);
    return c;
  }

  get calls(): PhoneCall[] {
    return [...this.#calls.values()];
  }

  #onRequest(inc: IncomingRequest): void {
    const req = inc.request;
    if (req.method === 'OPTIONS') return void inc.reply(200);
    if (req.method === 'INVITE' && req.toTag === undefined) {
      let user: string | undefined;
      try {
        user = req.requestUri().user;
      } catch {
        /* answered below */
      }
      const p = user ? this.#byLine.get(user) : undefined;
      if (!p?.port) return void inc.reply(404);
      const call = PhoneCall.incoming(p.port, inc);
      this.#calls.set(call.callId, call);
      void call.answer().then(() => this.answered++);
      return;
    }
    const call = this.#calls.get(req.callId);
    if (!call) {
      if (inc.transaction) inc.reply(481);
      return;
    }
    call.onRequest(inc);
  }

  /** Live media statistics summed over this fleet's calls. */
  mediaTotals(): { calls: number; sent: number; received: number; authFailures: number; late: number; lost: number; contentErrors: number } {
    const t = { calls: 0, sent: 0, received: 0, authFailures: 0, late: 0, lost: 0, contentErrors: 0 };
    for (const c of this.#calls.values()) {
      const s = c.media?.session;
      if (!s || s.state !== 'started') continue;
      const st = s.stats();
      t.calls++;
      t.sent += st.send?.packets ?? 0;
      t.received += st.receive?.packets ?? 0;
      t.authFailures += st.receive?.authFailures ?? 0;
      t.late += st.receive?.late ?? 0;
      t.lost += st.receive?.lost ?? 0;
      t.contentErrors += st.receive?.contentErrors ?? 0;
    }
    return t;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.calls.map((c) => c.abandon('bench over')));
    this.core.close();
    await this.transport.close();
  }
}

