// Online CA mode (002 L2225-2288): CAPF authenticates the phone, asks for its key, and the emulated online CA (an
// EnterpriseCa serving the configured template) issues the LSC, which the phone stores and the cluster records. Without
// an online CA the mode issues nothing and says why.
import { expect } from 'chai';
import type { PhoneCredentials } from '../../engine/capf/capf-client.js';
import { emulatedOnlineCa } from '../../engine/capf/lsc-issuer.js';
import { parseCertificate } from '../../engine/pki/certificates.js';
import { EnterpriseCa } from '../../engine/pki/enterprise-ca.js';
import { bench, micFor, nextSession, phone } from './support.js';

const DEV = 'SEP00EBD5100001';

describe('capf end to end: Online CA', function () {
  this.timeout(60_000);
  let ca: EnterpriseCa;
  before(async () => {
    ca = await EnterpriseCa.create({ commonName: 'ent-pa-ca.ent-pa.com' });
  });

  it('the online CA signs the LSC for the key the phone generated; CAPF delivers it, the pki records it', async () => {
    const online = emulatedOnlineCa(ca, { hostname: 'ent-pa-ca.ent-pa.com', port: 443, template: 'CiscoLSC', type: 'microsoft-ca' });
    const b = await bench({ server: { onlineCa: online } });
    try {
      await b.store.setParameters({ certificateIssuer: 'online-ca' });
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'existing-mic', keyOrder: 'rsa-only', rsaKeySize: 2048 });
      const mic = await micFor(b.pki, DEV);
      const creds: PhoneCredentials = { mic };
      const session = nextSession(b);
      const r = await phone(b, { deviceName: DEV, authMode: 'existing-mic', credentials: creds });
      expect(r.outcome.status, JSON.stringify(r.outcome)).to.equal('installed');
      const lsc = parseCertificate(creds.lsc!.der);
      expect(lsc.issuer).to.equal(ca.subject);
      expect(lsc.subjectCN).to.equal(DEV);
      expect(ca.issued(lsc)).to.equal(true);
      expect(b.pki.lsc(DEV)?.der.equals(lsc.der)).to.equal(true);
      expect(b.pki.lsc(DEV)?.issuer.subject).to.equal(b.pki.certificate('CAPF').certificate.subject, 'the CA is not in CAPF-trust yet');
      const rec = await session;
      expect(rec.outcome).to.equal('installed');
      expect(b.store.device(DEV)!.installed).to.deep.include({ issuedBy: 'online-ca', fingerprintSha256: lsc.fingerprintSha256, issuer: ca.subject });
      expect(b.store.journal().map((j) => j.reason).join('\n')).to.contain("sending the phone's key to the online CA ent-pa-ca.ent-pa.com:443 (microsoft-ca, template CiscoLSC)");
      // Once the CA is in CAPF-trust (step 1 of 002 L2230), the pki's view names it as the issuer.
      await b.pki.importTrustCertificate('CAPF-trust', ca.certificate.pem);
      expect(b.pki.lsc(DEV)?.issuer.subject).to.equal(ca.subject);
    } finally {
      await b.close();
    }
  });

  it('without an online CA, Online CA mode fails the operation and names what is missing', async () => {
    const b = await bench();
    try {
      await b.store.setParameters({ certificateIssuer: 'online-ca' });
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', keyOrder: 'rsa-only', rsaKeySize: 2048 });
      const r = await phone(b, { deviceName: DEV, authMode: 'null-string', credentials: {} });
      expect(r.outcome.status).to.not.equal('installed');
      expect(b.pki.lsc(DEV)).to.equal(undefined);
      expect(b.store.device(DEV)!.status.detail ?? JSON.stringify(b.store.device(DEV))).to.contain('no online CA is configured');
    } finally {
      await b.close();
    }
  });

  it('refuses online CA settings that cannot name a CA', () => {
    expect(() => emulatedOnlineCa(ca, { hostname: ' ', port: 443, template: 'CiscoLSC', type: 'microsoft-ca' })).to.throw('Online CA Hostname is empty');
    expect(() => emulatedOnlineCa(ca, { hostname: 'ca', port: 0, template: 'CiscoLSC', type: 'microsoft-ca' })).to.throw('Online CA Port 0');
    expect(() => emulatedOnlineCa(ca, { hostname: 'ca', port: 443, template: '', type: 'microsoft-ca' })).to.throw('Online CA Template is empty');
  });
});
