// How the phone's trust store asks TVS about a certificate it cannot verify locally (004:L39, L544-567). The store only
// sees this port; `engineTvsPort` implements it with engine/tvs's client, trusting the TVS server only through the TVS
// records of the phone's ITL (001 L2816: "These certificates allow the phone to communicate to TVS securely").
import type { ParsedTrustList } from '../../engine/trust/index.js';
import { itlServerCheck, TvsClient, type TvsClientTlsParams, type TvsVerdict } from '../../engine/tvs/tvs-client.js';

export interface TvsMemberAddress {
  address: string;
  /** Default 2445. */
  port: number;
  priority: number;
}

export type TvsPurpose = 'trust-list-signer' | 'config-signer' | 'server';

export interface TvsQuery {
  /** The certificate to vouch for (DER). */
  certificate: Buffer;
  purpose: TvsPurpose;
  /** The file or connection the question is about (for logs). */
  subject: string;
  /** The TVS members from the phone's last configuration (else its ITL's TVS records), highest priority first. */
  members: TvsMemberAddress[];
  /** The ITL the phone holds: its TVS records authenticate the TVS servers. */
  itl?: ParsedTrustList;
}

export type TvsAnswer =
  | { status: 'valid'; member: string; roles: number[]; roleNames: string[]; ttlSeconds?: number; detail: string }
  | { status: 'invalid'; member: string; detail: string }
  | { status: 'unreachable'; detail: string };

export interface TvsPort {
  verify(q: TvsQuery): Promise<TvsAnswer>;
}

export interface EngineTvsPortOptions {
  /** The phone's TVS identity, `CP-<model>-SEP<MAC>`. */
  deviceName: string;
  tls?: TvsClientTlsParams;
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
  /** Maps a configured member address (a host name in cnf.xml) to where to connect (tests, DNS emulation). */
  resolveHost?: (address: string) => string;
}

export function describeVerdict(v: TvsVerdict): string {
  const tried = v.attempts.map((a) => `${a.member} ${a.outcome}${a.reason ? ` (${a.reason})` : ''}`).join('; ');
  return tried || ('reason' in v ? v.reason : '');
}

/** A TvsPort on engine/tvs's TvsClient: members in priority order, the server checked against the ITL's TVS records. */
export function engineTvsPort(o: EngineTvsPortOptions): TvsPort {
  return {
    async verify(q: TvsQuery): Promise<TvsAnswer> {
      if (!q.members.length) return { status: 'unreachable', detail: 'no TVS member is known (no configuration and no TVS record with an address in the ITL)' };
      const client = new TvsClient({
        deviceName: o.deviceName,
        members: [...q.members].sort((a, b) => a.priority - b.priority).map((m) => ({ host: o.resolveHost?.(m.address) ?? m.address, port: m.port, label: `${m.address}:${m.port}` })),
        ...(q.itl ? { verifyServer: itlServerCheck(q.itl.records) } : {}),
        ...(o.tls ? { tls: o.tls } : {}),
        ...(o.connectTimeoutMs ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
        ...(o.responseTimeoutMs ? { responseTimeoutMs: o.responseTimeoutMs } : {}),
      });
      const v = await client.verify(q.certificate);
      const detail = describeVerdict(v);
      if (v.status === 'valid') return { status: 'valid', member: v.member, roles: v.roles, roleNames: v.roleNames, ...(v.ttlSeconds !== undefined ? { ttlSeconds: v.ttlSeconds } : {}), detail };
      if (v.status === 'invalid') return { status: 'invalid', member: v.member, detail };
      return { status: 'unreachable', detail };
    },
  };
}
