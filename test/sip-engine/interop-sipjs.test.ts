// sip.js 0.21 as an independent RFC 3261 client of our server: a UserAgent + Registerer registers over TCP through
// digest (its own 401 handling) and gets 200; a second sip.js user agent sends OPTIONS and gets 200.
import { expect } from 'chai';
import { RegistererState, Registerer, URI, UserAgent } from 'sip.js';
import type { IncomingResponse } from 'sip.js/lib/core/index.js';
import { DeviceDirectory } from '../../engine/sip/registrar/index.js';
import { SipServer } from '../../engine/sip/sip-server.js';
import { NodeSipTransport } from './sipjs-transport.js';
import { until } from './support.js';

describe('sip-engine: sip.js 0.21 against our server', function () {
  this.timeout(20_000);
  let server: SipServer;
  const agents: UserAgent[] = [];

  before(async () => {
    server = await SipServer.start({
      udp: false,
      tcp: { port: 0 },
      tls: false,
      devices: new DeviceDirectory({
        profiles: [{ name: 'third-party', deviceSecurityMode: 'non-secure', transportType: 'TCP', digestAuthentication: true }],
        devices: [{ name: 'SEPSIPJS0001', lines: ['3001'], digestUser: { userId: 'sipjs', digestCredentials: 's3cret' }, securityProfile: 'third-party' }],
      }),
      registrar: { realm: 'ccmsipline' },
    });
  });

  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await server.stop();
  });

  function agent(user: string, creds?: { username: string; password: string }): UserAgent {
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${user}@127.0.0.1`)!,
      transportConstructor: NodeSipTransport,
      transportOptions: { host: '127.0.0.1', port: server.ports.tcp! },
      logBuiltinEnabled: false,
      ...(creds ? { authorizationUsername: creds.username, authorizationPassword: creds.password } : {}),
    });
    agents.push(ua);
    return ua;
  }

  it('a sip.js Registerer registers through digest and gets 200 with its Contact', async () => {
    const ua = agent('3001', { username: 'sipjs', password: 's3cret' });
    await ua.start();
    const registerer = new Registerer(ua, { expires: 600 });
    const states: RegistererState[] = [];
    registerer.stateChange.addListener((s) => states.push(s));
    const statuses: number[] = [];
    await registerer.register({ requestDelegate: { onAccept: (r) => statuses.push(r.message.statusCode!), onReject: (r) => statuses.push(r.message.statusCode!) } });
    await until(() => states.includes(RegistererState.Registered), 5000, 'Registered');
    expect(statuses).to.deep.equal([200]); // sip.js answered the 401 itself; the 401 never reaches the delegate
    const b = server.location.lookup('3001');
    expect(b).to.have.length(1);
    expect(b[0]!.device).to.equal('SEPSIPJS0001');
    expect(b[0]!.contact).to.match(/^sip:\w+@\w+\.invalid/); // sip.js's random contact
    await registerer.unregister();
    await until(() => server.location.lookup('3001').length === 0, 5000, 'unregistered');
  });

  it('a second sip.js user agent sends OPTIONS (a keepalive, not challenged) and gets 200', async () => {
    const ua = agent('4001');
    await ua.start();
    const core = ua.userAgentCore;
    const target = new URI('sip', undefined as unknown as string, '127.0.0.1', server.ports.tcp);
    const msg = core.makeOutgoingRequestMessage('OPTIONS', target, ua.configuration.uri, target, {});
    const response = await new Promise<IncomingResponse>((resolve, reject) => {
      core.request(msg, { onAccept: resolve, onReject: resolve });
      setTimeout(() => reject(new Error('no response to OPTIONS')), 5000).unref();
    });
    expect(response.message.statusCode).to.equal(200);
    expect(response.message.getHeader('allow')).to.include('INVITE');
  });
});
