// RFC 3261 17 transactions over real loopback sockets with an injected clock: retransmission schedules over UDP
// (timers A, E, G and the 2xx), none over TCP, timeouts (B, F, H), absorption (J), matching, CANCEL, ACK.
import { expect } from 'chai';
import { type SipRequest, buildRequest, createResponse, generateBranch, parseSipMessage } from '../../engine/sip/message/index.js';
import { ManualTimers, type ServerTransaction, TransactionLayer, serverKey } from '../../engine/sip/transaction/index.js';
import { TransportLayer } from '../../engine/sip/transport/index.js';
import { UserAgentCore } from '../../engine/sip/ua-core.js';
import { client, silentUdpPeer, tick, until } from './support.js';

function options(via: string, uri = 'sip:cucm@127.0.0.1'): SipRequest {
  return buildRequest({
    method: 'OPTIONS',
    uri,
    headers: [['Via', via], ['Max-Forwards', '70'], ['From', '<sip:1001@127.0.0.1>;tag=a1'], ['To', '<sip:cucm@127.0.0.1>'], ['Call-ID', `c-${generateBranch()}`], ['CSeq', '1 OPTIONS']],
  });
}

describe('sip-engine: transactions', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('client non-INVITE over UDP: timer E doubles to T2, timer F gives 408 at 64*T1', async () => {
    const peer = await silentUdpPeer();
    closers.push(() => peer.close());
    const timers = new ManualTimers();
    const c = client({ timers });
    closers.push(() => c.close());
    const flow = await c.transport.flow({ transport: 'UDP', host: '127.0.0.1', port: peer.port });
    let final: { status: number; synthetic?: string } | undefined;
    const tx = c.transactions.sendRequest(options(c.transactions.viaFor(flow)), flow, { onFinal: (r, _t, s) => (final = { status: r.status, ...(s ? { synthetic: s } : {}) }) });
    await until(() => peer.received.length === 1);
    // E fires at 500, 1500, 3500, 7500, then every T2 = 4000: 11500 ... 31500; F at 32000.
    const at = [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500];
    let now = 0;
    for (const [i, t] of at.entries()) {
      timers.advance(t - now - 1);
      now = t - 1;
      expect(tx.retransmissions, `before ${t} ms`).to.equal(i);
      timers.advance(1);
      now = t;
      expect(tx.retransmissions, `at ${t} ms`).to.equal(i + 1);
    }
    await until(() => peer.received.length === 11, 2000, '11 copies on the wire');
    expect(new Set(peer.received.map((b) => b.toString())).size).to.equal(1);
    expect(final).to.equal(undefined);
    timers.advance(32000 - now);
    expect(final).to.deep.equal({ status: 408, synthetic: 'timeout' });
    expect(c.transactions.size.client).to.equal(0);
  });

  it('client INVITE over UDP: timer A doubles without a cap, stops on a provisional; timer B gives 408', async () => {
    const peer = await silentUdpPeer();
    closers.push(() => peer.close());
    const timers = new ManualTimers();
    const c = client({ timers });
    closers.push(() => c.close());
    const flow = await c.transport.flow({ transport: 'UDP', host: '127.0.0.1', port: peer.port });
    const inv = c.ua.buildRequest({ method: 'INVITE', uri: `sip:1002@127.0.0.1:${peer.port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1002@127.0.0.1>', contact: 'sip:1001@127.0.0.1' }, c.transactions.viaFor(flow));
    let final: number | undefined;
    const tx = c.transactions.sendRequest(inv, flow, { onFinal: (r) => (final = r.status) });
    timers.advance(31999); // A at 500, 1500, 3500, 7500, 15500, 31500
    expect(tx.retransmissions).to.equal(6);
    timers.advance(1);
    expect(final).to.equal(408);
  });

  it('client INVITE: a provisional stops timer B too, so a ringing call never times out by itself (17.1.1.2)', async () => {
    const peer = await silentUdpPeer();
    closers.push(() => peer.close());
    const timers = new ManualTimers();
    const c = client({ timers });
    closers.push(() => c.close());
    const flow = await c.transport.flow({ transport: 'UDP', host: '127.0.0.1', port: peer.port });
    const inv = c.ua.buildRequest({ method: 'INVITE', uri: `sip:1002@127.0.0.1:${peer.port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1002@127.0.0.1>', contact: 'sip:1001@127.0.0.1' }, c.transactions.viaFor(flow));
    let final: number | undefined;
    let provisional = 0;
    const tx = c.transactions.sendRequest(inv, flow, { onFinal: (r) => (final = r.status), onProvisional: () => provisional++ });
    timers.advance(600); // one retransmission (timer A at 500)
    tx.receive(createResponse(inv, 180, { toTag: 'ring' }));
    expect(provisional).to.equal(1);
    expect(tx.state).to.equal('proceeding');
    timers.advance(120_000);
    expect(tx.retransmissions).to.equal(1);
    expect(final).to.equal(undefined);
    expect(tx.state).to.equal('proceeding');
  });

  it('over TCP nothing is retransmitted, but timer F still ends the transaction', async () => {
    const timers = new ManualTimers();
    const server = new TransportLayer();
    const seen: string[] = [];
    server.onMessage((m) => seen.push(m.kind));
    const tcp = await server.listenTcp(0);
    closers.push(() => server.close());
    const c = client({ timers });
    closers.push(() => c.close());
    const flow = await c.transport.flow({ transport: 'TCP', host: '127.0.0.1', port: tcp.port });
    let final: number | undefined;
    const tx = c.transactions.sendRequest(options(c.transactions.viaFor(flow)), flow, { onFinal: (r) => (final = r.status) });
    await until(() => seen.length === 1);
    timers.advance(31999);
    await tick();
    expect(tx.retransmissions).to.equal(0);
    expect(seen).to.have.length(1);
    timers.advance(1);
    expect(final).to.equal(408);
  });

  it('server non-INVITE over UDP: a retransmitted request gets the same response again; timer J then forgets it', async () => {
    const timers = new ManualTimers();
    const server = new TransportLayer();
    const layer = new TransactionLayer(server, { timers });
    const udp = await server.listenUdp(0);
    closers.push(() => server.close());
    let calls = 0;
    layer.onRequest((_req, tx) => {
      calls++;
      tx!.reply(200, { headers: [['X-Call', String(calls)]] });
    });
    const dgram = await import('node:dgram');
    const s = dgram.createSocket('udp4');
    closers.push(() => new Promise<void>((r) => s.close(() => r())));
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const responses: string[] = [];
    s.on('message', (m) => responses.push(m.toString()));
    const wire = (await import('../../engine/sip/message/index.js')).serializeMessage(
      options(`SIP/2.0/UDP 127.0.0.1:${s.address().port};branch=z9hG4bK-retrans-1`),
    );
    s.send(wire, udp.port, '127.0.0.1');
    await until(() => responses.length === 1);
    s.send(wire, udp.port, '127.0.0.1');
    await until(() => responses.length === 2);
    expect(calls).to.equal(1);
    expect(responses[1]).to.equal(responses[0]);
    expect(layer.size.server).to.equal(1);
    timers.advance(32000); // timer J = 64*T1
    expect(layer.size.server).to.equal(0);
    s.send(wire, udp.port, '127.0.0.1'); // now a new transaction
    await until(() => responses.length === 3);
    expect(calls).to.equal(2);
  });

  it('server INVITE over UDP: a 486 is retransmitted (timer G) until the ACK, which the transaction absorbs', async () => {
    const timers = new ManualTimers();
    const server = new TransportLayer();
    const layer = new TransactionLayer(server, { timers });
    const udp = await server.listenUdp(0);
    closers.push(() => server.close());
    let stx: ServerTransaction | undefined;
    const handled: string[] = [];
    layer.onRequest((req, tx) => {
      handled.push(req.method);
      if (req.method === 'INVITE') {
        stx = tx;
        tx!.reply(486);
      }
    });
    const c = client(); // real timers on the client: it ACKs the first 486 itself
    closers.push(() => c.close());
    const r = await c.ua.request({ method: 'INVITE', uri: `sip:1002@127.0.0.1:${udp.port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1002@127.0.0.1>', contact: 'sip:1001@127.0.0.1' }, { transport: 'UDP', host: '127.0.0.1', port: udp.port });
    expect(r.response.status).to.equal(486);
    await until(() => stx?.state === 'confirmed', 2000, 'ACK absorbed');
    expect(handled).to.deep.equal(['INVITE']); // the ACK of a non-2xx never reaches the TU
    timers.advance(5000); // timer I = T4
    expect(stx!.state).to.equal('terminated');
  });

  it('server INVITE: without ACK the 486 is resent at T1, 2T1... up to T2, and timer H ends it at 64*T1', async () => {
    const timers = new ManualTimers();
    const server = new TransportLayer();
    const layer = new TransactionLayer(server, { timers });
    const udp = await server.listenUdp(0);
    closers.push(() => server.close());
    let stx: ServerTransaction | undefined;
    let ackTimeout = false;
    layer.onRequest((_req, tx) => {
      stx = tx;
      tx!.onAckTimeout = () => (ackTimeout = true);
      tx!.reply(486);
    });
    const dgram = await import('node:dgram');
    const s = dgram.createSocket('udp4');
    closers.push(() => new Promise<void>((r) => s.close(() => r())));
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const { serializeMessage } = await import('../../engine/sip/message/index.js');
    const inv = buildRequest({
      method: 'INVITE',
      uri: 'sip:1002@127.0.0.1',
      headers: [['Via', `SIP/2.0/UDP 127.0.0.1:${s.address().port};branch=z9hG4bK-g-1`], ['From', '<sip:1001@x>;tag=1'], ['To', '<sip:1002@x>'], ['Call-ID', 'g1'], ['CSeq', '1 INVITE'], ['Contact', '<sip:1001@127.0.0.1>']],
    });
    s.send(serializeMessage(inv), udp.port, '127.0.0.1');
    await until(() => stx !== undefined);
    timers.advance(31999); // G at 500, 1500, 3500, 7500, 11500, ..., 31500 (capped at T2)
    expect(stx!.retransmissions).to.equal(10);
    timers.advance(1);
    expect(ackTimeout).to.equal(true);
    expect(stx!.state).to.equal('terminated');
  });

  it('a 2xx to INVITE over UDP is retransmitted until the end-to-end ACK, which reaches the TU', async () => {
    const timers = new ManualTimers();
    const server = new TransportLayer();
    const layer = new TransactionLayer(server, { timers });
    const sua = new UserAgentCore({ transport: server, transactions: layer });
    layer.onRequest((req, tx, source) => sua.dispatch(req, tx, source));
    const udp = await server.listenUdp(0);
    closers.push(() => server.close());
    const acks: SipRequest[] = [];
    let stx: ServerTransaction | undefined;
    sua.onRequest((r) => {
      if (r.request.method === 'ACK') acks.push(r.request);
      else {
        stx = r.transaction;
        r.reply(200, { contact: `sip:cucm@127.0.0.1:${udp.port}` });
      }
    });
    const c = client();
    closers.push(() => c.close());
    const r = await c.ua.invite({ uri: `sip:1002@127.0.0.1:${udp.port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1002@127.0.0.1>', contact: 'sip:1001@127.0.0.1' }, { transport: 'UDP', host: '127.0.0.1', port: udp.port });
    expect(r.response.status).to.equal(200);
    expect(r.dialog?.state).to.equal('confirmed');
    await until(() => acks.length === 1, 2000, 'ACK at the TU');
    expect(stx!.ack).to.equal(acks[0]);
    timers.advance(4000);
    expect(stx!.retransmissions).to.equal(0); // the ACK stopped them before the first
    expect(sua.dialogs.size).to.equal(1);
  });

  it('CANCEL: 200 to the CANCEL, 487 to the INVITE, ACKed inside the INVITE transaction', async () => {
    const server = new TransportLayer();
    const layer = new TransactionLayer(server);
    const udp = await server.listenUdp(0);
    closers.push(() => server.close());
    let cancelled = false;
    let invite: ServerTransaction | undefined;
    layer.onRequest((_req, tx) => {
      invite = tx;
      tx!.reply(180);
      tx!.onCancel = () => {
        cancelled = true;
        tx!.reply(487);
      };
    });
    const c = client();
    closers.push(() => c.close());
    const ringing: number[] = [];
    let ctx: import('../../engine/sip/transaction/index.js').ClientTransaction | undefined;
    const pending = c.ua.request(
      { method: 'INVITE', uri: `sip:1002@127.0.0.1:${udp.port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1002@127.0.0.1>', contact: 'sip:1001@127.0.0.1' },
      { transport: 'UDP', host: '127.0.0.1', port: udp.port },
      { onProvisional: (r) => ringing.push(r.status), onTransaction: (t) => (ctx = t) },
    );
    await until(() => ringing.includes(180));
    const cr = await c.ua.cancel(ctx!);
    expect(cr.response.status).to.equal(200);
    expect(cr.request.branch).to.equal(ctx!.request.branch); // 9.1: same branch as the INVITE
    const final = await pending;
    expect(final.response.status).to.equal(487);
    expect(cancelled).to.equal(true);
    await until(() => invite!.state === 'confirmed' || invite!.state === 'terminated', 2000, 'ACK of the 487');
  });

  it('CANCEL for no transaction gets 481', async () => {
    const server = new TransportLayer();
    new TransactionLayer(server);
    const udp = await server.listenUdp(0);
    closers.push(() => server.close());
    const c = client();
    closers.push(() => c.close());
    const r = await c.ua.request({ method: 'CANCEL', uri: `sip:1002@127.0.0.1:${udp.port}`, from: '<sip:1001@127.0.0.1>', to: '<sip:1002@127.0.0.1>' }, { transport: 'UDP', host: '127.0.0.1', port: udp.port });
    expect(r.response.status).to.equal(481);
  });

  it('matching: branch + sent-by + method for servers, ACK to its INVITE, RFC 2543 fallback without the cookie', () => {
    const mk = (via: string, method = 'INVITE', toTag = '') =>
      parseSipMessage(
        Buffer.from(`${method} sip:a@b SIP/2.0\r\nVia: ${via}\r\nFrom: <sip:x@y>;tag=f\r\nTo: <sip:a@b>${toTag}\r\nCall-ID: k\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`),
      ) as SipRequest;
    const a = mk('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1');
    expect(serverKey(mk('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1', 'ACK', ';tag=t'), 'INVITE')).to.equal(serverKey(a, 'INVITE'));
    expect(serverKey(mk('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1'), 'INVITE')).to.not.equal(serverKey(a, 'INVITE'));
    expect(serverKey(mk('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1', 'CANCEL'), 'CANCEL')).to.not.equal(serverKey(a, 'INVITE'));
    const old = mk('SIP/2.0/UDP 10.0.0.1:5060;branch=1234');
    expect(serverKey(mk('SIP/2.0/UDP 10.0.0.1:5060;branch=1234', 'ACK', ';tag=t'), 'INVITE')).to.equal(serverKey(old, 'INVITE'));
  });

  it('a response matching no client transaction goes to the stray handler', async () => {
    const server = new TransportLayer();
    const layer = new TransactionLayer(server);
    const strays: number[] = [];
    layer.onStrayResponse((r) => strays.push(r.status));
    const udp = await server.listenUdp(0);
    closers.push(() => server.close());
    const dgram = await import('node:dgram');
    const s = dgram.createSocket('udp4');
    closers.push(() => new Promise<void>((r) => s.close(() => r())));
    s.send(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKnone\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n'), udp.port, '127.0.0.1');
    await until(() => strays.length === 1);
    expect(strays).to.deep.equal([200]);
  });
});
