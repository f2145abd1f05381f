import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  TLS_SUITES,
  describeCode,
  findSuite,
  formatCode,
  getSuite,
  isGrease,
  isSuiteAvailable,
  parseCode,
} from '../../ciphers/tls/suite-catalogue.js';
import { requirePeer } from '../support/peers.js';

describe('ciphers/tls suite catalogue', () => {
  it('finds a suite by IANA name, OpenSSL name, alias, Cisco help-page spelling and code point', () => {
    const s = getSuite('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    expect(s).to.include({ code: 0xc030, openssl: 'ECDHE-RSA-AES256-GCM-SHA384', keyExchange: 'ECDHE', authentication: 'RSA', encryption: 'AES-256-GCM', mac: 'AEAD', nullCipher: false });
    for (const name of ['ECDHE-RSA-AES256-GCM-SHA384', 'ecdhe-rsa-aes256-gcm-sha384', 'TLS_ECDHE_RSA with AES256_GCM_SHA384', 0xc030, '0xC030', 'C030', '0xC0,0x30', '{0xC0,0x30}'])
      expect(findSuite(name), String(name)).to.equal(s);
    expect(findSuite('TLS_RSA with AES_128_CBC_SHA1')?.code).to.equal(0x002f);
    expect(findSuite('DHE-RSA-DES-CBC3-SHA')?.openssl).to.equal('EDH-RSA-DES-CBC3-SHA');
  });

  it('knows NULL-SHA (CUCM authenticated mode), NULL-SHA256, 3DES, CHACHA20 and the TLS 1.3 suites', () => {
    expect(getSuite('NULL-SHA')).to.include({ iana: 'TLS_RSA_WITH_NULL_SHA', code: 0x0002, nullCipher: true, encryption: 'NULL', mac: 'SHA1' });
    expect(getSuite('NULL-SHA').versions).to.deep.equal(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(getSuite(0x003b)).to.include({ openssl: 'NULL-SHA256', nullCipher: true });
    expect(getSuite(0x003b).versions).to.deep.equal(['TLSv1.2']);
    expect(getSuite('DES-CBC3-SHA').code).to.equal(0x000a);
    expect(getSuite('ECDHE-ECDSA-CHACHA20-POLY1305').code).to.equal(0xcca9);
    expect(getSuite(0x1302)).to.include({ iana: 'TLS_AES_256_GCM_SHA384', keyExchange: 'any', authentication: 'any' });
    expect(getSuite(0x1302).versions).to.deep.equal(['TLSv1.3']);
  });

  it('names wire values it has no suite for, and explains unknown names', () => {
    expect(describeCode(0x00ff)).to.equal('TLS_EMPTY_RENEGOTIATION_INFO_SCSV');
    expect(describeCode(0x5600)).to.equal('TLS_FALLBACK_SCSV');
    expect(describeCode(0x3a3a)).to.equal('GREASE(0x3A,0x3A)');
    expect(describeCode(0xfefe)).to.equal('unknown(0xFE,0xFE)');
    expect(isGrease(0x0a0a) && isGrease(0xfafa) && !isGrease(0x0a1a)).to.equal(true);
    expect(formatCode(0xc02b)).to.equal('0xC0,0x2B');
    expect(parseCode('AES1')).to.equal(undefined);
    expect(() => getSuite('AES128_SHA')).to.throw('unknown TLS cipher suite "AES128_SHA" (not in ciphers/tls/suite-catalogue.ts)');
    expect(() => getSuite(0x1234)).to.throw('unknown TLS cipher suite 0x12,0x34');
  });

  it("asks node's OpenSSL what it can negotiate: NULL-SHA and CAMELLIA yes, RC4 and 3DES no", () => {
    expect(isSuiteAvailable(getSuite('NULL-SHA'))).to.equal(true);
    expect(isSuiteAvailable(getSuite('CAMELLIA128-SHA'))).to.equal(true);
    expect(isSuiteAvailable(getSuite('TLS_AES_128_GCM_SHA256'))).to.equal(true);
    expect(isSuiteAvailable(getSuite('RC4-SHA'))).to.equal(false);
    expect(isSuiteAvailable(getSuite('DES-CBC3-SHA'))).to.equal(false);
    expect(isSuiteAvailable(getSuite('ECDHE-ECDSA-DES-CBC3-SHA'))).to.equal(false);
  });

  it('agrees with `openssl ciphers -V` on every code point, name and protocol floor it lists', function () {
    requirePeer(this, 'openssl', 'openssl');
    const out = execFileSync('openssl', ['ciphers', '-V', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'], { encoding: 'utf8' });
    const listed = new Map<number, { name: string; proto: string }>();
    for (const line of out.split('\n')) {
      const m = /0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)\s+(\S+)/.exec(line);
      if (m) listed.set((parseInt(m[1]!, 16) << 8) | parseInt(m[2]!, 16), { name: m[3]!, proto: m[4]! });
    }
    let compared = 0;
    for (const s of TLS_SUITES) {
      const l = listed.get(s.code);
      if (!l) continue; // RC4, 3DES, CCM_8 for TLS 1.3...: not in this build
      compared++;
      expect(l.name, formatCode(s.code)).to.equal(s.openssl);
      const floor = l.proto === 'SSLv3' ? 'TLSv1' : l.proto;
      expect(s.versions[0], s.openssl).to.equal(floor);
    }
    expect(compared).to.be.greaterThan(45);
  });
});
