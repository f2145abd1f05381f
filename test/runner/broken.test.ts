// Deliberately broken scenarios through the real runner: each run exits non-zero and says what went wrong where —
// schema errors with file:line:column, failed expectations naming the step, the phone and the value observed.
import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../scenarios/run.js';
import { createExecutorFactory } from '../../scenarios/runner/index.js';

const BROKEN = join(dirname(fileURLToPath(import.meta.url)), 'broken');
const factory = createExecutorFactory({ mediaSpeed: 2 });

async function run(file: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand([join(BROKEN, file)], { executorFactory: factory, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } });
  return { code, out: out.join(''), err: err.join('') };
}

describe('runner: deliberately broken scenarios fail loudly', function () {
  this.timeout(60_000);
  this.slow(10_000);

  it('schema errors: file:line:column, the path and a hint, nothing runs', async () => {
    const r = await run('schema-error.yaml');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/schema-error\.yaml:5:32: error: phones\.frank\.mac: expected a string but got an integer \(YAML reads 001122334455 as a number/);
    expect(r.err).to.match(/schema-error\.yaml:8:5: error: steps\[0\]: unknown property 'expcet' \(did you mean 'expect'\?\)/);
    expect(r.out).to.contain('ERROR');
  });

  it('a TLS expectation: names the step, the phone, the expected and the observed suite and certificate', async () => {
    const r = await run('wrong-tls-suite.yaml');
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/step 2 "register alice" \(\S*wrong-tls-suite\.yaml:15:21\), alice: tls\.suite: expected TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, observed TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384/);
    expect(r.out).to.match(/alice: tls\.certificate: expected CallManager-ECDSA, observed CallManager\n/);
  });

  it('a media expectation: the authentication failures the corrupted packets caused, per stream', async () => {
    const r = await run('srtp-auth-failures.yaml');
    expect(r.code).to.equal(1);
    // One line for both streams when they counted the same, one per stream otherwise.
    const m = /step 5 "hang up noisy" \(\S+:18:30\), (?:alice|bob) stream noisy\/(?:alice|bob)(?:, bob stream noisy\/bob)?: media\.authFailures: expected 0, observed (\d+)/.exec(r.out);
    expect(m, r.out).to.not.equal(null);
    expect(Number(m![1])).to.be.greaterThan(0);
    expect(r.out).to.contain('1 failed');
  });

  it('an action that fails with nothing expecting it: the implicit outcome ok fails with the reason', async () => {
    const r = await run('phone-without-certificate.yaml');
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/step 1 "boot carol" \(\S+:11:5\), carol: the action failed: not registered: the boot ended at ready: device security mode encrypted needs an LSC or MIC/);
    expect(r.out).to.contain("write expect: { outcome: failed } if that is intended");
  });

  it('a call expectation: security and SRTP observed on both phones', async () => {
    const r = await run('call-not-encrypted.yaml');
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/step 2 "call dave → erin \(1s\)" \(\S+:11:45\), dave, erin: call\.security: expected encrypted, observed non-secure/);
    expect(r.out).to.match(/media\.srtp: expected true, observed false/);
  });
});
