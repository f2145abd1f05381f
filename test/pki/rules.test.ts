// CUCM's certificate rules one by one (no keys generated here): key types, RSA and EC key lengths, EC hash strength,
// FIPS, multi-server, common names, CSR purposes, LSC requests. Each refusal is checked for its code and CUCM's words.
import { expect } from 'chai';
import { PkiRuleError } from '../../engine/pki/errors.js';
import { PURPOSE_RULES, PURPOSES, type Purpose } from '../../engine/pki/purposes.js';
import {
  allowedHashes,
  checkCsrPurpose,
  checkEcCommonName,
  checkHostname,
  checkLscRequest,
  checkMultiServer,
  commonNameFor,
  defaultParameters,
  dnsNamesFor,
  parseHash,
  resolveParameters,
} from '../../engine/pki/rules.js';

function refusal(fn: () => unknown): PkiRuleError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(PkiRuleError);
    return err as PkiRuleError;
  }
  expect.fail('expected a PkiRuleError');
}

const RSA_PURPOSES = PURPOSES.filter((p) => PURPOSE_RULES[p].keyType === 'RSA');
const EC_PURPOSES = PURPOSES.filter((p) => PURPOSE_RULES[p].keyType === 'EC');

describe('pki rules: key type per purpose (001 L3403)', () => {
  it('sets RSA for tomcat, ipsec, ITLRecovery, CallManager, CAPF, TVS and EC for tomcat-ECDSA, CallManager-ECDSA', () => {
    expect(RSA_PURPOSES).to.have.members(['tomcat', 'ipsec', 'ITLRecovery', 'CallManager', 'CAPF', 'TVS']);
    expect(EC_PURPOSES).to.have.members(['tomcat-ECDSA', 'CallManager-ECDSA']);
  });

  for (const p of PURPOSES) {
    const other = PURPOSE_RULES[p].keyType === 'RSA' ? 'EC' : 'RSA';
    it(`refuses key type ${other} for ${p}`, () => {
      const e = refusal(() => resolveParameters(p, { keyType: other }));
      expect(e.code).to.equal('E_KEY_TYPE');
      expect(e.message).to.contain(`the Key Type field is automatically set to ${PURPOSE_RULES[p].keyType === 'EC' ? 'EC' : 'RSA'}`);
    });
  }
});

describe('pki rules: RSA key lengths (001 L3411)', () => {
  for (const size of [1024, 2048, 3072, 4096]) {
    it(`accepts RSA ${size}`, () => {
      expect(resolveParameters('CallManager', { keySize: size })).to.deep.equal({ keyType: 'RSA', keySize: size, hash: 'SHA256' });
    });
  }
  for (const size of [512, 768, 1536, 2047, 8192, 256]) {
    it(`refuses RSA ${size} naming the drop-down values`, () => {
      const e = refusal(() => resolveParameters('tomcat', { keySize: size }));
      expect(e.code).to.equal('E_RSA_KEY_SIZE');
      expect(e.message).to.contain('1024, 2048, 3072, 4096');
      expect(e.source).to.equal('001:L3411');
    });
  }
  it('defaults to RSA 2048 with SHA256', () => {
    for (const p of RSA_PURPOSES) expect(defaultParameters(p)).to.deep.equal({ keyType: 'RSA', keySize: 2048, hash: 'SHA256' });
    expect(resolveParameters('TVS')).to.deep.equal({ keyType: 'RSA', keySize: 2048, hash: 'SHA256' });
  });
  it('offers SHA1 and SHA256 for RSA and refuses SHA384/SHA512 (our choice, recorded in docs/decisions.md)', () => {
    expect(resolveParameters('CallManager', { hash: 'SHA1' }).hash).to.equal('SHA1');
    for (const h of ['SHA384', 'SHA512']) expect(refusal(() => resolveParameters('CallManager', { hash: h })).code).to.equal('E_RSA_HASH');
  });
});

describe('pki rules: EC key lengths and hash strength (000 L101-112, 001 L3411)', () => {
  const table: Record<number, Record<string, boolean>> = {
    256: { SHA1: false, SHA256: true, SHA384: true, SHA512: true },
    384: { SHA1: false, SHA256: false, SHA384: true, SHA512: true },
    521: { SHA1: false, SHA256: false, SHA384: false, SHA512: true },
  };
  for (const [size, hashes] of Object.entries(table)) {
    for (const [hash, ok] of Object.entries(hashes)) {
      it(`${ok ? 'accepts' : 'refuses'} EC ${size} with ${hash}`, () => {
        for (const p of EC_PURPOSES) {
          if (ok) {
            expect(resolveParameters(p, { keySize: Number(size), hash })).to.deep.equal({ keyType: 'EC', keySize: Number(size), hash });
          } else {
            const e = refusal(() => resolveParameters(p, { keySize: Number(size), hash }));
            expect(e.code).to.equal('E_EC_HASH');
            expect(e.message).to.contain(`For an EC ${size} key size`);
          }
        }
      });
    }
  }
  it('lists the hashes at least as strong as the key', () => {
    expect(allowedHashes('EC', 256)).to.deep.equal(['SHA256', 'SHA384', 'SHA512']);
    expect(allowedHashes('EC', 384)).to.deep.equal(['SHA384', 'SHA512']);
    expect(allowedHashes('EC', 521)).to.deep.equal(['SHA512']);
  });
  it('defaults to EC 384 with SHA384 (000 L112), and to the matching hash for 256 and 521', () => {
    expect(resolveParameters('CallManager-ECDSA')).to.deep.equal({ keyType: 'EC', keySize: 384, hash: 'SHA384' });
    expect(resolveParameters('tomcat-ECDSA', { keySize: 256 }).hash).to.equal('SHA256');
    expect(resolveParameters('tomcat-ECDSA', { keySize: 521 }).hash).to.equal('SHA512');
  });
  it('refuses SHA256 with the default EC 384 key', () => {
    expect(refusal(() => resolveParameters('CallManager-ECDSA', { hash: 'SHA256' })).code).to.equal('E_EC_HASH');
  });
  for (const size of [3072, 4096]) {
    it(`refuses EC ${size} with CUCM's note that 3072/4096 are RSA only`, () => {
      const e = refusal(() => resolveParameters('CallManager-ECDSA', { keySize: size }));
      expect(e.code).to.equal('E_EC_KEY_SIZE');
      expect(e.message).to.contain('Certificates with a key length value of 3072 or 4096 are chosen only for RSA certificates. These options are not available for ECDSA certificates.');
    });
  }
  for (const size of [1024, 2048, 224, 512]) {
    it(`refuses EC ${size} naming 256, 384 and 521`, () => {
      const e = refusal(() => resolveParameters('tomcat-ECDSA', { keySize: size }));
      expect(e.code).to.equal('E_EC_KEY_SIZE');
      expect(e.message).to.contain('256, 384, and 521');
    });
  }
});

describe('pki rules: FIPS mode (001 L8983)', () => {
  it('refuses SHA1 for every RSA purpose in FIPS mode with CUCM wording', () => {
    for (const p of RSA_PURPOSES) {
      const e = refusal(() => resolveParameters(p, { hash: 'SHA1' }, { fips: true }));
      expect(e.code).to.equal('E_FIPS_SHA1');
      expect(e.message).to.contain("certificates must be encrypted using the SHA256 hashing algorithm and can't select SHA1");
    }
  });
  it('refuses SHA1 for EC purposes in FIPS mode too', () => {
    expect(refusal(() => resolveParameters('CallManager-ECDSA', { keySize: 256, hash: 'SHA1' }, { fips: true })).code).to.equal('E_FIPS_SHA1');
  });
  it('accepts SHA256 (RSA) and the EC rule hashes in FIPS mode', () => {
    expect(resolveParameters('CallManager', { hash: 'SHA256' }, { fips: true }).hash).to.equal('SHA256');
    expect(resolveParameters('CallManager-ECDSA', {}, { fips: true }).hash).to.equal('SHA384');
  });
  it('accepts SHA1 for RSA outside FIPS mode', () => {
    expect(resolveParameters('TVS', { hash: 'sha-1' }).hash).to.equal('SHA1');
  });
});

describe('pki rules: hash names', () => {
  it('reads SHA256, sha-256 and SHA-256 alike and refuses MD5', () => {
    expect(parseHash('sha-256')).to.equal('SHA256');
    expect(parseHash('SHA-512')).to.equal('SHA512');
    expect(refusal(() => parseHash('MD5')).code).to.equal('E_HASH');
  });
});

describe('pki rules: multi-server certificates (001 Table 23 L4446-4454, 002 L789)', () => {
  const multi: Purpose[] = ['CallManager', 'CallManager-ECDSA', 'tomcat', 'tomcat-ECDSA'];
  for (const p of PURPOSES) {
    if (multi.includes(p)) {
      it(`allows a multi-server CSR for ${p}`, () => expect(() => checkMultiServer(p, 'csr')).not.to.throw());
      it(`refuses a self-signed multi-server ${p} (a CA must sign it)`, () => {
        const e = refusal(() => checkMultiServer(p, 'self-signed'));
        expect(e.code).to.equal('E_MULTI_SERVER_SELF_SIGNED');
        expect(e.message).to.contain('CA-signed certificate is also a requirement when using multi-server certificates');
      });
    } else {
      it(`refuses multi-server for ${p} (Multi server = N)`, () => {
        const e = refusal(() => checkMultiServer(p, 'csr'));
        expect(e.code).to.equal('E_MULTI_SERVER');
        expect(e.message).to.contain('Multi server = N');
      });
    }
  }
});

describe('pki rules: common names (000 L94-99, 001 L3407, L3447)', () => {
  const ctx = { hostname: 'cucm-pub', domain: 'example.com', capfId: '0a1b2c3d' };
  it('uses the host name for CallManager, tomcat, TVS and ipsec', () => {
    for (const p of ['CallManager', 'tomcat', 'TVS', 'ipsec'] as const) expect(commonNameFor(p, ctx)).to.equal('cucm-pub');
  });
  it('ends the ECDSA host portion in -EC', () => {
    expect(commonNameFor('CallManager-ECDSA', ctx)).to.equal('cucm-pub-EC');
    expect(commonNameFor('tomcat-ECDSA', ctx)).to.equal('cucm-pub-EC');
  });
  it('names multi-server certificates <host>-ms.<domain> (RSA) and <host>-EC-ms.<domain> (ECDSA)', () => {
    expect(commonNameFor('CallManager', ctx, true)).to.equal('cucm-pub-ms.example.com');
    expect(commonNameFor('tomcat', ctx, true)).to.equal('cucm-pub-ms.example.com');
    expect(commonNameFor('CallManager-ECDSA', ctx, true)).to.equal('cucm-pub-EC-ms.example.com');
    expect(commonNameFor('tomcat-ECDSA', ctx, true)).to.equal('cucm-pub-EC-ms.example.com');
  });
  it('needs a domain for a multi-server name', () => {
    expect(refusal(() => commonNameFor('CallManager', { hostname: 'a' }, true)).code).to.equal('E_DOMAIN');
  });
  it('names CAPF CAPF-<8 hex> and ITLRecovery ITLRECOVERY_<host>', () => {
    expect(commonNameFor('CAPF', ctx)).to.equal('CAPF-0a1b2c3d');
    expect(commonNameFor('ITLRecovery', ctx)).to.equal('ITLRECOVERY_cucm-pub');
  });
  it('accepts -EC and -EC-ms host portions for ECDSA purposes', () => {
    for (const cn of ['cucm-pub-EC', 'cucm-pub-EC.example.com', 'cucm-pub-EC-ms.example.com']) expect(() => checkEcCommonName('CallManager-ECDSA', cn)).not.to.throw();
  });
  it('refuses an ECDSA common name whose host portion does not end in -EC, with CUCM wording', () => {
    for (const cn of ['cucm-pub', 'cucm-pub.example.com', 'cucm-pub-ms.example.com', 'EC-cucm']) {
      const e = refusal(() => checkEcCommonName('tomcat-ECDSA', cn));
      expect(e.code).to.equal('E_EC_COMMON_NAME');
      expect(e.message).to.contain('It requires the host portion of the common name to end in -EC. This prevents having the same common name as the CallManager certificate.');
    }
  });
  it('does not apply the -EC rule to RSA purposes', () => {
    expect(() => checkEcCommonName('CallManager', 'cucm-pub')).not.to.throw();
  });
  it('puts the FQDN in the auto-populated domains, and every node plus the domain for multi-server', () => {
    const c = { hostname: 'pub', domain: 'example.com', nodes: ['pub', 'sub1'] };
    expect(dnsNamesFor('CallManager', c)).to.deep.equal(['pub.example.com']);
    expect(dnsNamesFor('CAPF', c)).to.deep.equal([]);
    expect(dnsNamesFor('CallManager-ECDSA', c, true)).to.deep.equal(['pub-EC-ms.example.com', 'pub.example.com', 'sub1.example.com', 'example.com']);
  });
  it('checks host names', () => {
    expect(() => checkHostname('cucm-pub')).not.to.throw();
    for (const bad of ['1cucm', 'cucm_pub', 'cucm-', '', 'a'.repeat(64)]) expect(refusal(() => checkHostname(bad)).code).to.equal('E_HOSTNAME');
  });
});

describe('pki rules: CSR purposes (001 L1372-1380)', () => {
  it('offers CSRs for CallManager, CallManager-ECDSA, tomcat, tomcat-ECDSA, CAPF, ipsec, TVS', () => {
    for (const p of PURPOSES.filter((x) => x !== 'ITLRecovery')) expect(() => checkCsrPurpose(p)).not.to.throw();
  });
  it('refuses a CSR for ITLRecovery', () => {
    const e = refusal(() => checkCsrPurpose('ITLRecovery'));
    expect(e.code).to.equal('E_CSR_PURPOSE');
    expect(e.message).to.contain('ITLRecovery');
  });
});

describe('pki rules: key usage table (001 Table 23)', () => {
  it('gives CallManager(-ECDSA), tomcat(-ECDSA), TVS digitalSignature+keyEncipherment+dataEncipherment, serverAuth+clientAuth', () => {
    for (const p of ['CallManager', 'CallManager-ECDSA', 'tomcat', 'tomcat-ECDSA', 'TVS'] as const) {
      expect(PURPOSE_RULES[p].keyUsage).to.deep.equal(['digitalSignature', 'keyEncipherment', 'dataEncipherment']);
      expect(PURPOSE_RULES[p].extendedKeyUsage).to.deep.equal(['serverAuth', 'clientAuth']);
    }
  });
  it('adds IP security end system to ipsec', () => {
    expect(PURPOSE_RULES.ipsec.extendedKeyUsage).to.deep.equal(['serverAuth', 'clientAuth', 'ipsecEndSystem']);
  });
  it('makes CAPF a signing CA: digitalSignature+keyCertSign, no keyEncipherment, serverAuth only', () => {
    expect(PURPOSE_RULES.CAPF.keyUsage).to.deep.equal(['digitalSignature', 'keyCertSign']);
    expect(PURPOSE_RULES.CAPF.extendedKeyUsage).to.deep.equal(['serverAuth']);
    expect(PURPOSE_RULES.CAPF.ca).to.equal(true);
  });
  it('gives ITLRecovery 20 years and the others 5 (004 L153, 002 L745-747)', () => {
    for (const p of PURPOSES) expect(PURPOSE_RULES[p].validityYears).to.equal(p === 'ITLRecovery' ? 20 : 5);
  });
});

describe('pki rules: LSC requests (001 L4942, L4954, L5737-5738)', () => {
  it('accepts the CAPF key sizes', () => {
    for (const s of [512, 1024, 2048, 3072, 4096]) expect(checkLscRequest({ deviceName: 'SEP001122334455', keyType: 'RSA', keySize: s }).validityDays).to.equal(1825);
    for (const s of [256, 384, 521]) expect(() => checkLscRequest({ deviceName: 'SEP001122334455', keyType: 'EC', keySize: s })).not.to.throw();
  });
  it('refuses other RSA and EC sizes', () => {
    expect(refusal(() => checkLscRequest({ deviceName: 'SEP1', keyType: 'RSA', keySize: 768 })).code).to.equal('E_LSC_RSA_KEY_SIZE');
    expect(refusal(() => checkLscRequest({ deviceName: 'SEP1', keyType: 'EC', keySize: 224 })).code).to.equal('E_LSC_EC_KEY_SIZE');
  });
  it('refuses EC LSCs in FIPS mode (CAPFv3)', () => {
    const e = refusal(() => checkLscRequest({ deviceName: 'SEP1', keyType: 'EC', keySize: 256 }, { fips: true }));
    expect(e.message).to.contain("FIPS enabled mode doesn't support Online CAPF and CAPFv3");
  });
  it('keeps the validity between 1 and 1825 days', () => {
    expect(checkLscRequest({ deviceName: 'SEP1', keyType: 'RSA', keySize: 2048, validityDays: 1 }).validityDays).to.equal(1);
    for (const d of [0, 1826, 1.5]) expect(refusal(() => checkLscRequest({ deviceName: 'SEP1', keyType: 'RSA', keySize: 2048, validityDays: d })).code).to.equal('E_LSC_VALIDITY');
  });
  it('refuses a device name that is not one', () => {
    for (const n of ['', 'SEP 0011', 'a/b', '-SEP']) expect(refusal(() => checkLscRequest({ deviceName: n, keyType: 'RSA', keySize: 2048 })).code).to.equal('E_LSC_DEVICE');
  });
});
