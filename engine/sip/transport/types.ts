// What the transport layer hands up and takes down: where a message came from (transport, addresses, the stream
// connection and its TLS facts) and where one goes. The layers above (transactions, registrar, B2BUA) read these
// facts; they never touch sockets.
import type { X509Certificate } from 'node:crypto';
import type { SipMessage } from '../message/index.js';

export type TransportProtocol = 'UDP' | 'TCP' | 'TLS';

export function isReliable(t: TransportProtocol): boolean {
  return t !== 'UDP';
}

/** Who the TLS peer proved to be (decided at the handshake by the server's peer verifier). */
export type PeerIdentity =
  | { kind: 'phone'; deviceName: string; form: 'MIC' | 'LSC'; detail: string }
  | { kind: 'trunk'; trunk: string; matched: string; detail: string };

/** What a TLS connection negotiated, for the layers above (device security mode, trunk identification). */
export interface TlsFacts {
  /** 'TLSv1.2'... */
  protocol: string;
  /** IANA and OpenSSL names of the negotiated suite; nullCipher for NULL-SHA (authenticated mode). */
  suite: Readonly<{ iana: string; openssl: string; nullCipher: boolean }>;
  /** Certificate we served (server side) or the server's (client side). */
  localCertificate?: 'RSA' | 'ECDSA';
  /** Leaf certificate the peer presented, if any. */
  peerCertificate?: X509Certificate;
  /** The rest of the chain the peer sent. */
  peerChain?: readonly X509Certificate[];
  /** Set when the peer verifier accepted the certificate. */
  identity?: PeerIdentity;
  /** Listener record id (server side), to find the TLS connection record. */
  recordId?: number;
}

/** A stream connection (TCP or TLS), as seen from above. */
export interface Connection {
  readonly id: number;
  readonly transport: 'TCP' | 'TLS';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** 'inbound' when the peer connected to us. */
  readonly direction: 'inbound' | 'outbound';
  readonly tls: TlsFacts | undefined;
  readonly closed: boolean;
  send(data: Buffer): boolean;
  close(reason?: string): void;
}

/** Where a received message came from. */
export interface MessageSource {
  transport: TransportProtocol;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** The stream connection it arrived on (TCP/TLS). */
  connection?: Connection;
}

/** Where to send a message: an address (connections are reused or opened as needed) or a given connection. */
export interface SipTarget {
  transport: TransportProtocol;
  host: string;
  port: number;
  /** Send on this connection while it is open (RFC 3261 18.2.2; a phone's registration flow). */
  connection?: Connection;
  /** TLS client: server name to send (SNI) and to check. */
  servername?: string;
  /** TLS client: an Authenticated peer (a trunk whose profile is Authenticated) gets the NULL-SHA offer. */
  tlsMode?: 'authenticated' | 'encrypted';
}

export interface IncomingMessage {
  message: SipMessage;
  source: MessageSource;
}

/** Default port of a transport (RFC 3261 19.1.2: 5060, 5061 for TLS). */
export function defaultPort(t: TransportProtocol): number {
  return t === 'TLS' ? 5061 : 5060;
}

export function describeSource(s: MessageSource): string {
  return `${s.transport} ${s.remoteAddress}:${s.remotePort}${s.connection ? ` (conn #${s.connection.id})` : ''}`;
}
