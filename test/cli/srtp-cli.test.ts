// `trustline srtp protect|unprotect` through the real command (node --import tsx cli/dev.ts).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../common/paths.js';
import { PACKET_VECTORS } from '../srtp/vectors.js';

const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function srtp(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(projectRoot(), 'cli', 'dev.ts'), 'srtp', ...args], {
      encoding: 'utf8',
      timeout: 20000,
      env: { ...process.env, TRUSTLINE_LOG: 'warn' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout, stderr: err.stderr };
  }
}

const validate = PACKET_VECTORS.find((v) => v.name === 'srtp_validate RTP')!;
const validateRtcp = PACKET_VECTORS.find((v) => v.name === 'srtp_validate RTCP')!;
const keyB64 = Buffer.from(validate.keys[0]!.key + validate.keys[0]!.salt, 'hex').toString('base64');

describe('trustline srtp (CLI)', function () {
  this.timeout(60000);

  it('reproduces libsrtp srtp_validate (RTP and RTCP) from a base64 key||salt', async () => {
    const [r, c] = await Promise.all([
      srtp('protect', '--suite', 'AES_CM_128_HMAC_SHA1_80', '--key', keyB64, '--backend', 'ts', validate.plain),
      srtp('protect', '--suite', 'AES_CM_128_HMAC_SHA1_80', '--key', keyB64, '--rtcp', validateRtcp.plain),
    ]);
    expect(r).to.deep.equal({ code: 0, stdout: validate.protected + '\n', stderr: '' });
    expect(c.code, c.stderr).to.equal(0);
    expect(c.stdout).to.equal(validateRtcp.protected + '\n');
  });

  it('round-trips protect -> unprotect with an a=crypto line, hex with spaces and colons, --roc and --mki', async () => {
    const line = `a=crypto:1 AEAD_AES_256_GCM inline:${Buffer.alloc(44, 7).toString('base64')}|2^31|1:4;inline:${Buffer.alloc(44, 9).toString('base64')}|2^31|2:4`;
    const plain = '80 00 12 34 00 00 00 a0 ca fe ba be de:ad:be:ef:00:11:22:33';
    const p = await srtp('protect', '--key', line, '--roc', '3', '--mki', '00000002', plain);
    expect(p.code, p.stderr).to.equal(0);
    const wire = p.stdout.trim();
    expect(wire).to.match(/^80001234000000a0cafebabe[0-9a-f]{48}00000002$/); // header | 8 ct | 16 tag | MKI of the chosen key
    const [u, wrongRoc] = await Promise.all([srtp('unprotect', '--key', line, '--roc', '3', '--backend', 'ts', wire), srtp('unprotect', '--key', line, wire)]);
    expect(u).to.deep.equal({ code: 0, stdout: plain.replace(/[ :]/g, '') + '\n', stderr: '' });
    expect(wrongRoc.code).to.equal(1);
    expect(wrongRoc.stderr).to.match(/auth/);
  });

  it('a tampered packet exits 1 with the authentication failure on stderr', async () => {
    const tampered = validate.protected.slice(0, -2) + (validate.protected.endsWith('bb') ? 'bc' : 'bb');
    const r = await srtp('unprotect', '--suite', 'AES_CM_128_HMAC_SHA1_80', '--key', `inline:${keyB64}`, tampered);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/auth/);
  });

  it('explains bad input: key length, hex, suite', async () => {
    const [key, hex, suite] = await Promise.all([
      srtp('protect', '--suite', 'AES_256_CM_HMAC_SHA1_80', '--key', keyB64, validate.plain),
      srtp('protect', '--suite', 'AES_CM_128_HMAC_SHA1_80', '--key', keyB64, '80zz'),
      srtp('protect', '--suite', 'AES_CM_999', '--key', keyB64, validate.plain),
    ]);
    expect(key.code).to.equal(1);
    expect(key.stderr).to.contain('key-salt').and.contain('30 bytes').and.contain('46');
    expect(hex.code).to.equal(1);
    expect(hex.stderr).to.contain('"z"');
    expect(suite.code).to.equal(1);
    expect(suite.stderr).to.contain('unknown suite');
  });
});
