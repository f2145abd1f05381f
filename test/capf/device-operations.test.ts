// CAPF's per-device rules as pure functions: settings and their refusals, the deadline, and which key a phone is asked
// for (seed 004 L238-242: CAPF version 3, Endpoint Advanced Encryption Algorithm Support, EC Preferred / RSA Backup).
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  CapfRuleError,
  DEFAULT_CAPF_PARAMETERS,
  checkParameters,
  generateAuthString,
  operationExpired,
  planKeyRequest,
  resolveDeviceSettings,
  type CapfDeviceSettings,
  type CapfKeyOrder,
} from '../../engine/capf/device-operations.js';

const NOW = new Date('2025-01-01T00:00:00Z');
const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const ctx = { now: NOW, parameters: DEFAULT_CAPF_PARAMETERS, hash };

function rule(fn: () => unknown, code: string): CapfRuleError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CapfRuleError);
    expect((err as CapfRuleError).code, (err as Error).message).to.equal(code);
    return err as CapfRuleError;
  }
  expect.fail(`expected ${code}`);
}

describe('capf device operations: settings', () => {
  it('defaults: No Pending Operation, RSA Only 2048, EC 384', () => {
    expect(resolveDeviceSettings(undefined, {}, ctx)).to.deep.equal({ operation: 'none', authMode: 'null-string', keyOrder: 'rsa-only', rsaKeySize: 2048, ecKeySize: 384 });
  });

  it('an operation gets "Operation Completes By" = now + CAPF Operation Expires in (days), unless given', () => {
    const s = resolveDeviceSettings(undefined, { operation: 'install-upgrade' }, ctx);
    expect(s.operationCompletesBy).to.equal('2025-01-11T00:00:00.000Z');
    const given = resolveDeviceSettings(undefined, { operation: 'delete', operationCompletesBy: '2025-01-02T12:00:00Z' }, ctx);
    expect(given.operationCompletesBy).to.equal('2025-01-02T12:00:00.000Z');
    expect(resolveDeviceSettings(given, { operation: 'none' }, ctx).operationCompletesBy).to.equal(undefined);
    expect(operationExpired(given, new Date('2025-01-02T12:00:01Z'))).to.equal(true);
    expect(operationExpired(given, new Date('2025-01-02T11:59:59Z'))).to.equal(false);
    rule(() => resolveDeviceSettings(undefined, { operation: 'delete', operationCompletesBy: 'tomorrow-ish' }, ctx), 'E_DEADLINE');
  });

  it('By Authentication String needs 4 to 10 digits, and a used string cannot be set again', () => {
    rule(() => resolveDeviceSettings(undefined, { operation: 'install-upgrade', authMode: 'auth-string' }, ctx), 'E_AUTH_STRING_MISSING');
    rule(() => resolveDeviceSettings(undefined, { authString: '123' }, ctx), 'E_AUTH_STRING');
    rule(() => resolveDeviceSettings(undefined, { authString: '12345678901' }, ctx), 'E_AUTH_STRING');
    rule(() => resolveDeviceSettings(undefined, { authString: '12ab' }, ctx), 'E_AUTH_STRING');
    expect(resolveDeviceSettings(undefined, { operation: 'install-upgrade', authMode: 'auth-string', authString: '0042' }, ctx).authString).to.equal('0042');
    const e = rule(() => resolveDeviceSettings(undefined, { authString: '0042' }, { ...ctx, usedAuthStringHashes: [hash('0042')] }), 'E_AUTH_STRING_USED');
    expect(e.source).to.equal('001:L7925');
    const g = resolveDeviceSettings(undefined, { operation: 'install-upgrade', authMode: 'auth-string', generateAuthString: true }, ctx);
    expect(g.authString).to.match(/^[0-9]{8}$/);
    expect(generateAuthString()).to.match(/^[0-9]{4,10}$/);
  });

  it('refuses values outside the drop-downs', () => {
    rule(() => resolveDeviceSettings(undefined, { rsaKeySize: 1536 }, ctx), 'E_RSA_KEY_SIZE');
    rule(() => resolveDeviceSettings(undefined, { ecKeySize: 224 }, ctx), 'E_EC_KEY_SIZE');
    rule(() => resolveDeviceSettings(undefined, { keyOrder: 'dsa' as CapfKeyOrder }, ctx), 'E_KEY_ORDER');
    rule(() => resolveDeviceSettings(undefined, { operation: 'reset' as 'none' }, ctx), 'E_OPERATION');
    for (const size of [512, 1024, 2048, 3072, 4096]) expect(resolveDeviceSettings(undefined, { rsaKeySize: size }, ctx).rsaKeySize).to.equal(size);
  });

  it('checks the CAPF parameters (validity 1-1825 days, keepalive 5-60 minutes)', () => {
    expect(() => checkParameters(DEFAULT_CAPF_PARAMETERS)).not.to.throw();
    rule(() => checkParameters({ ...DEFAULT_CAPF_PARAMETERS, validityDays: 1826 }), 'E_PARAMETER');
    rule(() => checkParameters({ ...DEFAULT_CAPF_PARAMETERS, keepAliveMinutes: 4 }), 'E_PARAMETER');
    rule(() => checkParameters({ ...DEFAULT_CAPF_PARAMETERS, keepAliveMinutes: 61 }), 'E_PARAMETER');
    rule(() => checkParameters({ ...DEFAULT_CAPF_PARAMETERS, certificateIssuer: 'vault' as 'capf' }), 'E_PARAMETER');
  });
});

describe('capf device operations: the key a phone is asked for', () => {
  const s = (keyOrder: CapfKeyOrder): CapfDeviceSettings => ({ operation: 'install-upgrade', authMode: 'null-string', keyOrder, rsaKeySize: 3072, ecKeySize: 521 });
  const rsa = { keyType: 'RSA', keySize: 3072 };
  const ec = { keyType: 'EC', keySize: 521 };
  // [key order, phone CAPF version, Endpoint Advanced Encryption, FIPS] → first request, fallback, or refusal
  const table: [CapfKeyOrder, number, boolean, boolean, object | 'refuse', object | undefined][] = [
    ['rsa-only', 3, false, false, rsa, undefined],
    ['rsa-only', 2, true, false, rsa, undefined],
    ['ec-only', 3, true, false, ec, undefined],
    ['ec-only', 3, false, false, 'refuse', undefined],
    ['ec-only', 2, false, false, rsa, undefined],
    ['ec-only', 2, true, false, rsa, undefined],
    ['ec-preferred-rsa-backup', 3, true, false, ec, rsa],
    ['ec-preferred-rsa-backup', 3, false, false, 'refuse', undefined],
    ['ec-preferred-rsa-backup', 2, false, false, rsa, undefined],
    ['ec-preferred-rsa-backup', 1, true, false, rsa, undefined],
    ['ec-only', 3, true, true, rsa, undefined],
  ];
  for (const [order, version, adv, fips, first, fallback] of table) {
    it(`${order}, CAPF v${version}, advanced encryption ${adv ? 'on' : 'off'}${fips ? ', FIPS' : ''} → ${first === 'refuse' ? 'no LSC' : JSON.stringify(first)}${fallback ? ' then RSA' : ''}`, () => {
      const p = planKeyRequest(s(order), { phoneVersion: version, endpointAdvancedEncryption: adv, fips });
      if (first === 'refuse') {
        expect(p.decision).to.equal('refuse');
        if (p.decision === 'refuse') {
          expect(p.source).to.equal('004:L242');
          expect(p.reason).to.contain('the ECDSA or RSA-based LSCs are not issued');
        }
        return;
      }
      expect(p.decision).to.equal('request');
      if (p.decision === 'request') {
        expect(p.first).to.deep.equal(first);
        expect(p.fallback).to.deep.equal(fallback);
      }
    });
  }
});
