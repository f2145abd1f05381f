import { expect } from 'chai';
import {
  CIPHER_MANAGEMENT_DISABLED,
  CUCM_INVALID_CIPHER_STRING,
  CipherStringError,
  INTERFACE_SUPPORTED_CIPHERS,
  DEFAULT_TLS_CIPHERS_PRESET,
  TLS_CIPHERS_PRESETS,
  checkSuiteForMode,
  expandCipherString,
  findPreset,
  getPreset,
  resolveCipherSelection,
  validateCipherString,
} from '../../engine/tls/presets.js';
import { getSuite } from '../../ciphers/tls/suite-catalogue.js';

const names = (id: keyof typeof TLS_CIPHERS_PRESETS) => TLS_CIPHERS_PRESETS[id].suites.map((s) => s.iana);

describe('engine/tls TLS Ciphers presets and Cipher Management', () => {
  it('lists each preset as the seeds print it (seed 001 L5726-5729, L3459)', () => {
    const R256 = 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384';
    const E256 = 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384';
    const R128 = 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256';
    const E128 = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
    const AES128SHA = 'TLS_RSA_WITH_AES_128_CBC_SHA';
    expect(names('strongest-rsa')).to.deep.equal([R256, E256]);
    expect(names('strongest-ecdsa')).to.deep.equal([E256, R256]);
    expect(names('medium-rsa')).to.deep.equal([R256, E256, R128, E128]);
    expect(names('medium-ecdsa')).to.deep.equal([E256, R256, E128, R128]);
    expect(names('all-rsa')).to.deep.equal([R256, E256, R128, E128, AES128SHA]);
    expect(names('all-ecdsa')).to.deep.equal([E256, R256, E128, R128, AES128SHA]);
    expect(names('ecdsa-only')).to.deep.equal([E256, E128]);
    expect(DEFAULT_TLS_CIPHERS_PRESET).to.equal('all-rsa');
  });

  it('finds presets by id or by label in any spelling', () => {
    expect(findPreset('All Ciphers RSA Preferred')?.id).to.equal('all-rsa');
    expect(findPreset('Strongest - AES-256 SHA-384 Only: ECDSA Preferred')?.id).to.equal('strongest-ecdsa');
    expect(findPreset('ECDSA Only')?.id).to.equal('ecdsa-only');
    expect(() => getPreset('Weakest')).to.throw('unknown TLS Ciphers option "Weakest"');
  });

  it('binds suites to device security modes', () => {
    expect(checkSuiteForMode('authenticated', getSuite('NULL-SHA'))).to.deep.equal({ ok: true });
    expect(checkSuiteForMode('authenticated', getSuite('AES128-SHA'))).to.deep.include({ ok: false });
    expect(checkSuiteForMode('encrypted', getSuite('NULL-SHA'))).to.deep.equal({
      ok: false,
      reason: 'device security mode Encrypted requires an encrypting suite, negotiated NULL-SHA',
    });
    expect(checkSuiteForMode('encrypted', getSuite('ECDHE-ECDSA-AES128-GCM-SHA256'))).to.deep.equal({ ok: true });
    expect(checkSuiteForMode('non-secure', getSuite('AES128-SHA'))).to.deep.include({ ok: false });
  });

  it("validates cipher strings as OpenSSL does, answering CUCM's message (seed 001 L2191-2195, L2232-2234)", async () => {
    const ok = await validateCipherString('ALL:BAD:!MD5');
    expect(ok.ok).to.equal(true);
    for (const bad of ['AES128_SHA', 'BAD', '', 'NULL-SHA', 'eNULL', 'RC4-SHA', 'DES-CBC3-SHA']) {
      const r = await validateCipherString(bad);
      expect(r.ok, bad).to.equal(false);
      if (!r.ok) expect(r.message).to.equal('You have entered an invalid Cipher String.');
    }
    const nul = await validateCipherString('NULL-SHA');
    expect(!nul.ok && nul.detail).to.match(/NULL-SHA: always disabled by Cipher Management/);
  });

  it('expands a string in OpenSSL order and drops the always-disabled ciphers (L2317-2333)', async () => {
    expect(await expandCipherString('AES256-GCM-SHA384:AES256-SHA256')).to.deep.equal([0x009d, 0x003d, 0x00ff]);
    const r = await validateCipherString('AES256-GCM-SHA384:NULL-SHA:AES128-SHA');
    expect(r.ok && r.suites.map((s) => s.openssl)).to.deep.equal(['AES256-GCM-SHA384', 'AES128-SHA']);
    expect(r.ok && r.dropped).to.deep.equal(['NULL-SHA: always disabled by Cipher Management (seed 001 L2317-2333)']);
    const all = await validateCipherString('ALL:eNULL');
    expect(all.ok && all.suites.some((s) => s.nullCipher || s.authentication === 'none')).to.equal(false);
    expect(CIPHER_MANAGEMENT_DISABLED).to.include.members(['NULL-SHA', 'NULL-SHA256', 'AECDH-NULL-SHA', 'RC4-SHA']);
  });

  it('resolves SIP TLS over All TLS over the enterprise parameter; an override ends authenticated mode', async () => {
    const plain = await resolveCipherSelection({ tlsCiphers: 'medium-ecdsa' });
    expect(plain.source).to.equal('enterprise parameter');
    expect(plain.encrypting).to.equal(TLS_CIPHERS_PRESETS['medium-ecdsa'].suites);
    expect(plain.authenticated.map((s) => s.openssl)).to.deep.equal(['NULL-SHA']);
    const all = await resolveCipherSelection({ tlsCiphers: 'all-rsa', cipherManagement: { allTls: 'AES256-GCM-SHA384:AES256-SHA256' } });
    expect(all.source).to.equal('All TLS');
    expect(all.encrypting.map((s) => s.openssl)).to.deep.equal(['AES256-GCM-SHA384', 'AES256-SHA256']);
    expect(all.authenticatedModeSupported).to.equal(false);
    expect(all.authenticated).to.deep.equal([]);
    const sip = await resolveCipherSelection({ cipherManagement: { allTls: 'AES256-GCM-SHA384', sipTls: 'ECDHE-RSA-AES128-GCM-SHA256' } });
    expect(sip.source).to.equal('SIP TLS');
    expect(sip.encrypting.map((s) => s.openssl)).to.deep.equal(['ECDHE-RSA-AES128-GCM-SHA256']);
    const cti = await resolveCipherSelection({ iface: 'cti', cipherManagement: { allTls: 'AES256-GCM-SHA384', sipTls: 'ECDHE-RSA-AES128-GCM-SHA256' } });
    expect(cti.source, 'SIP TLS does not apply to CTI (L1994)').to.equal('All TLS');
    const wide = await resolveCipherSelection({ cipherManagement: { allTls: 'ALL' } });
    expect(wide.encrypting.map((s) => s.openssl)).to.have.members(
      INTERFACE_SUPPORTED_CIPHERS.sip.filter((n) => n !== 'ECDHE-ECDSA-DES-CBC3-SHA'),
      'ALL gives the SIP interface what it supports (L2226, L2267), less 3DES that OpenSSL 3 lacks',
    );
    expect(wide.dropped).to.include('DHE-RSA-AES128-SHA: not supported on the SIP interface (seed 001 L2226, L2267)');
    const blank = await resolveCipherSelection({ cipherManagement: { allTls: '  ', sipTls: '' } });
    expect(blank.source).to.equal('enterprise parameter');
  });

  it('throws CUCM\'s message for an invalid override, with the field and the reason', async () => {
    try {
      await resolveCipherSelection({ cipherManagement: { sipTls: 'AES128_SHA' } });
      expect.fail('accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(CipherStringError);
      const err = e as CipherStringError;
      expect(err.message).to.equal(CUCM_INVALID_CIPHER_STRING);
      expect(err.field).to.equal('SIP TLS');
      expect(err.detail).to.match(/^OpenSSL refuses it/);
    }
  });
});
