// The SIP step: over an established TLS connection, send OPTIONS (or REGISTER) and read the final answer with
// Content-Length framing (RFC 3261 18.3), so that "TLS works but SIP fails" shows up as such.
import type tls from 'node:tls';
import { SipStreamFramer, buildRequest, generateBranch, generateCallId, generateTag, serializeMessage } from '../engine/sip/message/index.js';
import type { Target } from './raw-probe.js';
import { formatTarget } from './target.js';
import type { SipResult } from './types.js';

export interface SipCheckOptions {
  method: 'OPTIONS' | 'REGISTER';
  timeoutMs: number;
  /** User part for REGISTER's To/From/Contact (default "probe"). */
  user?: string;
  /** REGISTER Expires (default 60). */
  expires?: number;
}

const UA = 'trustline-probe';

/** The request bytes; exported for tests. */
export function buildProbeRequest(target: Target, local: { address: string; port: number }, opts: SipCheckOptions): { bytes: Buffer; callId: string; cseq: number } {
  const host = formatTarget(target);
  const domain = target.serverName ?? (target.host.includes(':') ? `[${target.host}]` : target.host);
  const localHost = local.address.includes(':') ? `[${local.address}]` : local.address;
  const user = opts.user ?? 'probe';
  const callId = generateCallId();
  const cseq = 1;
  const register = opts.method === 'REGISTER';
  const aor = register ? `sip:${user}@${domain}` : `sip:${user}@${localHost}`;
  const req = buildRequest({
    method: opts.method,
    uri: register ? `sip:${domain}` : `sip:${host};transport=tls`,
    headers: [
      ['Via', `SIP/2.0/TLS ${localHost}:${local.port};branch=${generateBranch()};rport`],
      ['Max-Forwards', 70],
      ['From', `<${aor}>;tag=${generateTag()}`],
      ['To', register ? `<${aor}>` : `<sip:${host}>`],
      ['Call-ID', callId],
      ['CSeq', `${cseq} ${opts.method}`],
      ['Contact', `<sip:${user}@${localHost}:${local.port};transport=tls>`],
      ...(register ? ([['Expires', opts.expires ?? 60]] as const) : ([['Accept', 'application/sdp']] as const)),
      ['User-Agent', UA],
    ],
  });
  return { bytes: serializeMessage(req), callId, cseq };
}

/** Sends the request on `socket` and waits for the final answer. Never rejects; leaves the socket open. */
export function sipCheck(socket: tls.TLSSocket, target: Target, opts: SipCheckOptions): Promise<SipResult> {
  const started = Date.now();
  const method = opts.method;
  const result = (r: Omit<SipResult, 'method' | 'ms'>): SipResult => ({ method, ...r, ms: Date.now() - started });
  if (socket.destroyed || !socket.writable) return Promise.resolve(result({ outcome: 'not-sent', detail: 'connection already closed' }));
  let req: ReturnType<typeof buildProbeRequest>;
  try {
    req = buildProbeRequest(target, { address: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 }, opts);
  } catch (e) {
    return Promise.resolve(result({ outcome: 'not-sent', detail: `cannot build ${method}: ${(e as Error).message}` }));
  }
  return new Promise((resolve) => {
    const framer = new SipStreamFramer({ role: 'client', maxMessageBytes: 64 * 1024 });
    let settled = false;
    let provisional: string | undefined;
    let received = 0;
    const done = (r: SipResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('end', onClose);
      socket.off('error', onError);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      for (const ev of framer.push(chunk)) {
        if (ev.type === 'error') return done(result({ outcome: 'garbage', detail: `unreadable answer to ${method}: ${ev.error.message}` }));
        if (ev.type === 'invalid') return done(result({ outcome: 'garbage', detail: `malformed SIP message: ${ev.error.message}` }));
        if (ev.type !== 'message') continue;
        const m = ev.message;
        if (m.kind !== 'response') return done(result({ outcome: 'mismatch', detail: `server sent a ${(m as { method?: string }).method ?? ''} request instead of answering` }));
        if (m.callId !== req.callId || m.cseq.seq !== req.cseq || m.cseq.method !== method)
          return done(result({ outcome: 'mismatch', detail: `answer for another request (Call-ID ${m.callId}, CSeq ${m.cseq.seq} ${m.cseq.method})` }));
        if (m.status < 200) {
          provisional = `${m.status} ${m.reason}`;
          continue;
        }
        const server = m.get('Server') ?? m.get('User-Agent');
        return done(result({ outcome: 'answered', status: m.status, reason: m.reason, ...(server ? { server } : {}), detail: `${m.status} ${m.reason}` }));
      }
    };
    const onClose = () =>
      setImmediate(() => done(result({ outcome: 'closed', detail: `connection closed ${received ? `after ${received} byte(s), ` : ''}without a final answer to ${method}${provisional ? ` (got ${provisional})` : ''}` })),
      );
    const onError = (e: NodeJS.ErrnoException) => {
      const alert = /ALERT_([A-Z0-9_]+)$/.exec(e.code ?? '')?.[1]?.toLowerCase();
      done(result({ outcome: 'closed', detail: alert ? `server sent alert ${alert} instead of answering ${method}` : `connection failed: ${e.code ?? e.message}` }));
    };
    const timer = setTimeout(
      () => done(result({ outcome: 'no-answer', detail: `no final answer to ${method} within ${opts.timeoutMs} ms${provisional ? ` (got ${provisional})` : ''}` })),
      opts.timeoutMs,
    );
    socket.on('data', onData);
    // Over a tapped stream node emits 'end' but not always 'close' when the peer closes.
    socket.once('close', onClose);
    socket.once('end', onClose);
    socket.on('error', onError);
    socket.write(req.bytes);
  });
}
