// The phone's SIP transport: engine/sip's TransportLayer, plus the one connection a phone keeps to its CallManager.
// A phone opens that connection itself (TLS through its model's offer and fallback, see endpoints/tls, so the suite,
// the server certificate and every attempt are recorded and the CallManager certificate goes through the phone's trust
// store), then hands the socket here; requests name it as their target's `connection`, and what arrives on it goes up
// to the transaction layer like any other message. UDP uses the TransportLayer's own socket.
import net from 'node:net';
import type tls from 'node:tls';
import { logger } from '../../common/log.js';
import { findSuite } from '../../ciphers/tls/suite-catalogue.js';
import { SipParseError, type SipMessage } from '../../engine/sip/message/index.js';
import {
  errorResponseForRaw,
  type MessageHandler,
  type MessageSource,
  StreamConnection,
  stampVia,
  type TlsFacts,
  TransportLayer,
  type TransportLayerOptions,
} from '../../engine/sip/transport/index.js';

const log = logger('phone.sip');

export class PhoneTransport extends TransportLayer {
  #handler: MessageHandler = () => undefined;
  readonly #adopted = new Set<StreamConnection>();

  constructor(opts: TransportLayerOptions = {}) {
    super(opts);
  }

  override onMessage(handler: MessageHandler): void {
    this.#handler = handler;
    super.onMessage(handler);
  }

  /**
   * Takes a connected TCP or TLS socket (the phone's signalling connection) and returns it as a SIP connection.
   * `onClose` is told when it goes away and why.
   */
  adopt(socket: net.Socket | tls.TLSSocket, transport: 'TCP' | 'TLS', onClose: (reason: string) => void, tlsFacts?: TlsFacts): StreamConnection {
    const conn = new StreamConnection(socket, { transport, direction: 'outbound', ...(tlsFacts ? { tls: tlsFacts } : {}) }, {
      onMessage: (message: SipMessage, c: StreamConnection) => {
        const source: MessageSource = { transport, remoteAddress: c.remoteAddress, remotePort: c.remotePort, localAddress: c.localAddress, localPort: c.localPort, connection: c };
        if (message.kind === 'request') {
          try {
            stampVia(message, source.remoteAddress, source.remotePort);
          } catch (e) {
            log.debug(`cannot stamp Via: ${(e as Error).message}`);
          }
        }
        this.#handler(message, source);
      },
      onInvalid: (error: SipParseError, bytes: Buffer, c: StreamConnection) => {
        log.warn(`${transport} ${c.remoteAddress}:${c.remotePort}: bad message: ${error.message}`);
        const r = errorResponseForRaw(bytes, error.status, 'Bad Request', error.message);
        if (r) c.send(r);
      },
      onClose: (c: StreamConnection, reason: string) => {
        this.#adopted.delete(c);
        onClose(reason);
      },
    });
    this.#adopted.add(conn);
    return conn;
  }

  override async close(): Promise<void> {
    for (const c of [...this.#adopted]) c.destroy('phone stopped');
    await super.close();
  }
}

/** TLS facts of a client socket, as the layers above read them. */
export function clientTlsFacts(socket: tls.TLSSocket): TlsFacts {
  const cipher = socket.getCipher();
  const suite = findSuite(cipher.standardName) ?? findSuite(cipher.name);
  const peer = socket.getPeerX509Certificate();
  return {
    protocol: socket.getProtocol() ?? '?',
    suite: { iana: suite?.iana ?? cipher.standardName, openssl: suite?.openssl ?? cipher.name, nullCipher: suite?.nullCipher ?? false },
    ...(peer ? { peerCertificate: peer } : {}),
  };
}

/** A plain TCP connection (non-secure phones), bounded in time. */
export function connectTcp(host: string, port: number, timeoutMs: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`TCP connect to ${host}:${port}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`TCP connect to ${host}:${port}: ${e.message}`));
    });
  });
}
