// Key Order over TLS (seed 004 L234-242, 001 L5736-5738): RSA Only at every size, EC Only on every curve, EC Preferred
// with an RSA backup for a phone without EC, CAPF v2 phones getting RSA (and KEY_SIZE alone on the wire), the Endpoint
// Advanced Encryption Algorithm Support parameter gating EC LSCs, and FIPS clusters (no CAPFv3).
import { expect } from 'chai';
import { CapfCommand, decodeMessage } from '../../engine/capf/capf-codec.js';
import type { CapfKeyOrder } from '../../engine/capf/device-operations.js';
import { bench, phone, pooledKeys, type Bench } from './support.js';

const DEV = 'SEP0A0B0C0D0E0F';

async function install(b: Bench, keyOrder: CapfKeyOrder, sizes: { rsaKeySize?: number; ecKeySize?: number }, client: { capfVersion?: number; supportsEc?: boolean } = {}) {
  await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', keyOrder, ...sizes });
  return phone(b, { deviceName: DEV, authMode: 'null-string', recordTranscript: true, ...client });
}

function keyGenerateRequests(t: { direction: string; bytes: Buffer; command: number }[]): string[] {
  return t.filter((e) => e.direction === 'received' && e.command === CapfCommand.KEY_GENERATE_REQUEST).map((e) => e.bytes.subarray(8).toString('hex'));
}

describe('capf end to end: key order and CAPF version', function () {
  this.timeout(60_000);
  let b: Bench;
  before(async () => {
    b = await bench();
  });
  after(async () => {
    await b?.close();
  });

  for (const size of [512, 1024, 2048]) {
    it(`RSA Only ${size}: KEY_TYPE 0, KEY_SIZE ${size}; an RSA ${size} LSC`, async () => {
      const { outcome } = await install(b, 'rsa-only', { rsaKeySize: size });
      expect(outcome.status, outcome.detail).to.equal('installed');
      expect(outcome.lsc).to.deep.include({ keyType: 'RSA', keySize: size });
      expect(b.pki.lsc(DEV)!.certificate.key).to.deep.include({ keyType: 'RSA', keySize: size });
      expect(keyGenerateRequests(outcome.transcript!)).to.deep.equal([`110001000a0002${size.toString(16).padStart(4, '0')}`]);
    });
  }

  for (const [size, curve] of [[256, 0], [384, 1], [521, 2]] as const) {
    it(`EC Only P-${size} with the advanced-encryption parameter on: KEY_TYPE 1, CURVE ${curve}; an EC LSC`, async () => {
      await b.store.setParameters({ endpointAdvancedEncryption: true });
      const { outcome } = await install(b, 'ec-only', { ecKeySize: size });
      expect(outcome.status, outcome.detail).to.equal('installed');
      expect(b.pki.lsc(DEV)!.certificate.key).to.deep.include({ keyType: 'EC', keySize: size });
      expect(keyGenerateRequests(outcome.transcript!)).to.deep.equal([`11000101120001${curve.toString(16).padStart(2, '0')}`]);
    });
  }

  it('EC Only with the parameter off: no LSC for a CAPF v3 phone (004 L242)', async () => {
    await b.store.setParameters({ endpointAdvancedEncryption: false });
    const gen = b.pki.generation;
    const { outcome, keyRequests } = await install(b, 'ec-only', { ecKeySize: 256 });
    expect(outcome).to.deep.include({ status: 'refused', reason: 7 });
    expect(keyRequests).to.have.length(0);
    expect(b.pki.generation).to.equal(gen);
    expect(b.store.device(DEV)!.status.detail).to.contain('the ECDSA or RSA-based LSCs are not issued');
  });

  it('EC Preferred, RSA Backup with the parameter off: no LSC either', async () => {
    const { outcome } = await install(b, 'ec-preferred-rsa-backup', { ecKeySize: 384, rsaKeySize: 2048 });
    expect(outcome).to.deep.include({ status: 'refused', reason: 7 });
  });

  it('EC Preferred with the parameter on: EC for a phone that can; the RSA backup after a phone says it cannot', async () => {
    await b.store.setParameters({ endpointAdvancedEncryption: true });
    const ec = await install(b, 'ec-preferred-rsa-backup', { ecKeySize: 384, rsaKeySize: 2048 });
    expect(ec.outcome.status).to.equal('installed');
    expect(ec.keyRequests).to.deep.equal([{ keyType: 'EC', keySize: 384 }]);

    const rsa = await install(b, 'ec-preferred-rsa-backup', { ecKeySize: 384, rsaKeySize: 1024 }, { supportsEc: false });
    expect(rsa.outcome.status, rsa.outcome.detail).to.equal('installed');
    expect(rsa.keyRequests).to.deep.equal([{ keyType: 'RSA', keySize: 1024 }]);
    // On the wire: EC asked, declined with REASON 7 and no key, then RSA asked.
    const t = rsa.outcome.transcript!;
    expect(keyGenerateRequests(t)).to.deep.equal(['11000101120001' + '01', '110001000a00020400']);
    const decline = t.find((e) => e.direction === 'sent' && e.command === CapfCommand.KEY_GENERATE_RESPONSE)!;
    expect(decodeMessage(decline.bytes).fields).to.deep.equal({ reason: 7 });
    expect(b.store.journal().some((j) => /does not support EC keys, asking for the RSA backup/.test(j.reason))).to.equal(true);
  });

  it('EC Only for a phone without EC support: refused, no RSA fallback', async () => {
    const { outcome } = await install(b, 'ec-only', { ecKeySize: 256 }, { supportsEc: false });
    expect(outcome).to.deep.include({ status: 'refused', reason: 7 });
    expect(b.store.device(DEV)!.status.detail).to.match(/did not generate EC P-256/);
  });

  for (const order of ['ec-only', 'ec-preferred-rsa-backup'] as const) {
    it(`${order} with a CAPF v2 phone: RSA, KEY_GENERATE_REQUEST carries KEY_SIZE alone (004 L242)`, async () => {
      for (const adv of [true, false]) {
        await b.store.setParameters({ endpointAdvancedEncryption: adv });
        const { outcome, keyRequests } = await install(b, order, { ecKeySize: 256, rsaKeySize: 2048 }, { capfVersion: 2 });
        expect(outcome.status, outcome.detail).to.equal('installed');
        expect(keyRequests).to.deep.equal([{ keyType: 'RSA', keySize: 2048 }]);
        expect(keyGenerateRequests(outcome.transcript!)).to.deep.equal(['0a00020800']);
        expect(decodeMessage(outcome.transcript!.find((e) => e.command === CapfCommand.AUTH_RESPONSE)!.bytes).fields.version).to.equal(2);
      }
    });
  }

  it('a phone answering with a key of another size is refused', async () => {
    await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', keyOrder: 'rsa-only', rsaKeySize: 2048 });
    const { outcome } = await phone(b, {
      deviceName: DEV,
      authMode: 'null-string',
      generateKey: async () => pooledKeys({ keyType: 'RSA', keySize: 1024 })[0]!,
    });
    expect(outcome).to.deep.include({ status: 'refused', reason: 7 });
    expect(b.store.device(DEV)!.status.detail).to.equal('the phone sent RSA 1024, CAPF asked for RSA 2048');
  });
});

describe('capf end to end: FIPS cluster', function () {
  this.timeout(60_000);
  it('no CAPFv3 in FIPS mode (001 L4942): EC Only with the parameter on still gets an RSA LSC', async () => {
    const b = await bench({ clusterKey: 'fips', cluster: { fips: true } });
    try {
      await b.store.setParameters({ endpointAdvancedEncryption: true });
      await b.store.configureDevice(DEV, { operation: 'install-upgrade', authMode: 'null-string', keyOrder: 'ec-only', rsaKeySize: 2048 });
      const { outcome, keyRequests } = await phone(b, { deviceName: DEV, authMode: 'null-string' });
      expect(outcome.status, outcome.detail).to.equal('installed');
      expect(keyRequests).to.deep.equal([{ keyType: 'RSA', keySize: 2048 }]);
    } finally {
      await b.close();
    }
  });
});
