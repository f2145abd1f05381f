// The phone's trust store on its own (files built with engine/trust from a ClusterPki, TVS as a fake port): first use,
// CTL before ITL, signed and unsigned configuration, unknown signers and TVS answers, the rollback ITL, digests the
// firmware cannot verify, server certificates and EC records, persistence, and a kill in the middle of a write.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ClusterPki } from '../../engine/pki/index.js';
import { signFile } from '../../engine/trust/index.js';
import { PhoneTrustStore, TRUST_FILE, isRollbackItl, type TvsAnswer, type TvsPort, type TvsQuery } from '../../endpoints/index.js';
import { cluster, ctlFor, itlFor, quietLogs, rollbackItlFor, tempDir } from './support.js';

const run = promisify(execFile);
const KILL_WRITER = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'kill-writer.ts');

function fakeTvs(answer: TvsAnswer): TvsPort & { seen: TvsQuery[] } {
  const seen: TvsQuery[] = [];
  return {
    seen,
    async verify(q) {
      seen.push(q);
      return answer;
    },
  };
}

const VALID_SAST: TvsAnswer = { status: 'valid', member: 'tvs-1:2445', roles: [0], roleNames: ['SAST'], detail: 'tvs-1 answered' };

describe('endpoints: phone trust store', function () {
  this.timeout(30_000);
  quietLogs();
  let pki: ClusterPki;
  let other: ClusterPki;
  let itl: Buffer;
  let otherItl: Buffer;
  const config = '<?xml version="1.0"?><device><fullConfig>true</fullConfig></device>';

  before(async () => {
    [pki, other] = await Promise.all([cluster('cucm-trust'), cluster('cucm-other')]);
    itl = itlFor(pki);
    otherItl = itlFor(other);
  });

  const open = (o: Partial<Parameters<typeof PhoneTrustStore.open>[0]> = {}) => PhoneTrustStore.open({ deviceName: 'SEP00000000AB01', ...o });

  it('trusts the first ITL, says "unchanged" for the same one, and verifies .sgn files against its TFTP records', async () => {
    const s = await open();
    const first = await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
    expect(first).to.include({ accepted: true, basis: 'tofu', kind: 'itl' });
    expect(first.signer!.name).to.match(/^CN=ITLRECOVERY_cucm-trust;/);
    expect(first.sha1).to.match(/^[0-9a-f]{40}$/);
    expect(await s.acceptTrustList('itl', 'ITLFile.tlv', itl)).to.include({ accepted: true, basis: 'unchanged' });
    const sgn = signFile('SEP00000000AB01.cnf.xml', config, pki.fileSigner('CallManager'));
    const ok = await s.verifySignedFile('SEP00000000AB01.cnf.xml.sgn', sgn);
    expect(ok).to.include({ accepted: true, basis: 'itl' });
    expect(ok.parsed!.content.toString()).to.equal(config);
    const tampered = Buffer.from(sgn);
    tampered[tampered.length - 5] ^= 1;
    expect((await s.verifySignedFile('x.sgn', tampered)).reason).to.match(/does not verify/);
    const foreign = await s.verifySignedFile('x.sgn', signFile('x', config, other.fileSigner('CallManager')));
    expect(foreign).to.include({ accepted: false });
    expect(foreign.reason).to.match(/CN=cucm-other.*no TFTP or CCM\+TFTP record.*no TVS to ask/);
    expect((await s.acceptUnsignedFile('x.cnf.xml', Buffer.from(config))).reason).to.match(/holds an ITL: an unsigned configuration file is refused/);
    expect(s.events.map((e) => e.decision)).to.deep.equal(['accepted', 'accepted', 'accepted', 'refused', 'refused', 'refused']);
  });

  it('refuses a malformed file and a first ITL that does not verify against its own SAST record', async () => {
    const s = await open();
    expect((await s.acceptTrustList('itl', 'ITLFile.tlv', Buffer.from([1, 2, 3]))).reason).to.match(/^malformed ITL: /);
    const broken = Buffer.from(itl);
    const { parseTrustList } = await import('../../engine/trust/index.js');
    broken[parseTrustList(itl).header.signatureOffset + 10] ^= 0xff; // inside the SIGNATURE value
    const d = await s.acceptTrustList('itl', 'ITLFile.tlv', broken);
    expect(d.accepted).to.equal(false);
    expect(d.reason).to.match(/^first ITL does not verify against its own SAST record: the signature does not verify against record 1/);
    expect(s.itl).to.equal(undefined);
  });

  it('an unknown ITL signer is refused without TVS, accepted on "valid", refused on "invalid" or the wrong role', async () => {
    const base = await open();
    await base.acceptTrustList('itl', 'ITLFile.tlv', itl);
    const noTvs = await base.acceptTrustList('itl', 'ITLFile.tlv', otherItl);
    expect(noTvs.accepted).to.equal(false);
    expect(noTvs.reason).to.match(/its signer CN=ITLRECOVERY_cucm-other.* is no SAST record of the stored ITL, and the phone has no TVS to ask/);

    const tvs = fakeTvs(VALID_SAST);
    const s = await open({ tvs });
    await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
    await s.setTvsMembers([{ address: 'tvs-1', port: 2445, priority: 0 }]);
    const yes = await s.acceptTrustList('itl', 'ITLFile.tlv', otherItl);
    expect(yes).to.include({ accepted: true, basis: 'tvs' });
    expect(yes.tvs).to.deep.include({ status: 'valid', member: 'tvs-1:2445', roles: ['SAST'] });
    expect(tvs.seen[0]!.purpose).to.equal('trust-list-signer');
    expect(tvs.seen[0]!.certificate.equals(other.certificate('ITLRecovery').der), 'asks about the signer certificate of the new file').to.equal(true);
    expect(tvs.seen[0]!.members).to.deep.equal([{ address: 'tvs-1', port: 2445, priority: 0 }]);
    expect(tvs.seen[0]!.itl!.bytes.equals(itl), 'the TVS servers are checked against the stored ITL').to.equal(true);

    for (const [answer, why] of [
      [{ status: 'invalid', member: 'tvs-1:2445', detail: '' }, /TVS tvs-1:2445 answered invalid/],
      [{ status: 'unreachable', detail: 'tvs-1:2445 refused' }, /no TVS answered \(tvs-1:2445 refused\)/],
      [{ status: 'valid', member: 'tvs-1:2445', roles: [7], roleNames: ['APP-SERVER'], detail: '' }, /vouches for it only as APP-SERVER, not SAST\/CCM\+TFTP\/TFTP/],
    ] as [TvsAnswer, RegExp][]) {
      const t = await open({ tvs: fakeTvs(answer) });
      await t.acceptTrustList('itl', 'ITLFile.tlv', itl);
      const d = await t.acceptTrustList('itl', 'ITLFile.tlv', otherItl);
      expect(d.accepted).to.equal(false);
      expect(d.reason).to.match(why);
    }
  });

  it('with no configuration yet, TVS members come from the ITL TVS records', async () => {
    const s = await open();
    await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
    expect(s.tvsMembers).to.deep.equal([{ address: 'cucm-trust.cucm-trust.trustline.test', port: 2445, priority: 0 }]);
  });

  it('the rollback ITL: accepted from the trusted signer, then any ITL and unsigned configuration are accepted', async () => {
    const s = await open();
    await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
    const rb = rollbackItlFor(pki);
    expect(isRollbackItl((await import('../../engine/trust/index.js')).parseTrustList(rb))).to.equal(true);
    expect(await s.acceptTrustList('itl', 'ITLFile.tlv', rb)).to.include({ accepted: true, basis: 'itl' });
    expect(s.rollback).to.equal(true);
    expect(await s.acceptUnsignedFile('SEP.cnf.xml', Buffer.from(config))).to.include({ accepted: true, basis: 'rollback' });
    expect(await s.acceptTrustList('itl', 'ITLFile.tlv', otherItl)).to.include({ accepted: true, basis: 'rollback' });
    expect(s.rollback).to.equal(false);
    // Back to normal: the next foreign ITL is refused again.
    expect((await s.acceptTrustList('itl', 'ITLFile.tlv', itl)).accepted).to.equal(false);
  });

  it('a CTL on first use, then the ITL validated through the CTL; a CTL after an ITL is validated by the ITL', async () => {
    const s = await open();
    expect(await s.acceptTrustList('ctl', 'CTLFile.tlv', ctlFor(pki))).to.include({ accepted: true, basis: 'tofu' });
    const d = await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
    expect(d).to.include({ accepted: true, basis: 'ctl' });
    expect((await s.acceptTrustList('itl', 'ITLFile.tlv', otherItl)).reason).to.match(/no SAST record of the stored CTL/);

    const t = await open();
    await t.acceptTrustList('itl', 'ITLFile.tlv', itl);
    expect(await t.acceptTrustList('ctl', 'CTLFile.tlv', ctlFor(pki))).to.include({ accepted: true, basis: 'itl' });
    expect((await t.acceptTrustList('ctl', 'CTLFile.tlv', ctlFor(other))).accepted).to.equal(false);
  });

  it('legacy firmware verifies SHA-1 only: a SHA-512 ITL is refused, even on first use', async () => {
    const s = await open({ digests: ['sha1'] });
    const d = await s.acceptTrustList('itl', 'ITLFile.tlv', itlFor(pki, { digest: 'sha512' }));
    expect(d.accepted).to.equal(false);
    expect(d.reason).to.match(/signed with SHA512; this phone verifies SHA1 only/);
  });

  it('server certificates: by role and exact certificate; EC records only for 1.1 firmware; else TVS', async () => {
    const s = await open({ tvs: fakeTvs({ status: 'valid', member: 't:2445', roles: [4], roleNames: ['CAPF'], detail: '' }) });
    await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
    const ec = pki.certificate('CallManager-ECDSA').der;
    expect(await s.verifyServerCertificate('tftp', ec, '127.0.0.1:6971')).to.include({ accepted: true, basis: 'itl' });
    expect(await s.verifyServerCertificate('tftp', pki.certificate('CallManager').der, 'x')).to.include({ accepted: true, basis: 'itl' });
    expect(await s.verifyServerCertificate('tvs', pki.certificate('TVS').der, 'x')).to.include({ accepted: true, basis: 'itl' });
    const wrongRole = await s.verifyServerCertificate('tvs', pki.certificate('CallManager').der, 'x');
    expect(wrongRole.accepted).to.equal(false);
    expect(wrongRole.reason).to.match(/in no TVS record/);
    // Not in the ITL: TVS is asked (here it vouches as CAPF).
    expect(await s.verifyServerCertificate('capf', other.certificate('CAPF').der, 'x')).to.include({ accepted: true, basis: 'tvs' });

    const old = await open({ itlVersion: '1.0' });
    await old.acceptTrustList('itl', 'ITLFile.tlv', itl);
    const d = await old.verifyServerCertificate('tftp', ec, 'x');
    expect(d.accepted).to.equal(false);
    expect(d.reason).to.match(/EC record in the ITL does not count \(this firmware reads signer version 1\.0 files only/);
  });

  it('mixed mode: the CallManager certificate for SIP TLS must be in the CTL; an ITL (or TVS) alone is not enough', async () => {
    const regenerated = await cluster('cucm-trust');
    const oldCm = regenerated.certificate('CallManager').der;
    const oldCtl = ctlFor(regenerated);
    await regenerated.regenerate('CallManager');
    const newCm = regenerated.certificate('CallManager').der;
    const newItl = itlFor(regenerated);
    const tvs = fakeTvs({ status: 'valid', member: 't:2445', roles: [2], roleNames: ['CCM+TFTP'], detail: '' });

    // Non-secure cluster (no CTL): the new ITL's CCM+TFTP record is enough.
    const plain = await open({ tvs });
    await plain.acceptTrustList('itl', 'ITLFile.tlv', newItl);
    expect(await plain.verifyServerCertificate('ccm', newCm, '127.0.0.1:5061')).to.include({ accepted: true, basis: 'itl' });

    // Mixed mode, CTL not updated: the ITL has the new certificate (it is ITLRecovery-signed, so it is accepted), but
    // the CTL still lists the old one: refused, and TVS is not asked.
    const mixed = await open({ tvs });
    await mixed.acceptTrustList('ctl', 'CTLFile.tlv', oldCtl);
    expect(await mixed.acceptTrustList('itl', 'ITLFile.tlv', newItl)).to.include({ accepted: true });
    const asked = tvs.seen.length;
    const d = await mixed.verifyServerCertificate('ccm', newCm, '127.0.0.1:5061');
    expect(d.accepted).to.equal(false);
    expect(d.reason).to.match(/in no CCM\/CCM\+TFTP record of the phone's CTL/);
    expect(tvs.seen.length).to.equal(asked);
    expect(await mixed.verifyServerCertificate('ccm', oldCm, '127.0.0.1:5061')).to.include({ accepted: true, basis: 'ctl' });
    // The TFTP role (HTTPS 6971) still counts ITL records.
    expect(await mixed.verifyServerCertificate('tftp', newCm, '127.0.0.1:6971')).to.include({ accepted: true, basis: 'itl' });

    // After `utils ctl update CTLFile`: accepted from the CTL.
    expect(await mixed.acceptTrustList('ctl', 'CTLFile.tlv', ctlFor(regenerated))).to.include({ accepted: true });
    expect(await mixed.verifyServerCertificate('ccm', newCm, '127.0.0.1:5061')).to.include({ accepted: true, basis: 'ctl' });
  });

  it('persists the CTL, ITL, TVS members and events, and reopens them', async () => {
    const dir = tempDir('trust');
    const s = await open({ dir });
    await s.acceptTrustList('ctl', 'CTLFile.tlv', ctlFor(pki));
    await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
    await s.setTvsMembers([{ address: '10.0.0.1', port: 2445, priority: 0 }]);
    const again = await open({ dir });
    expect(again.stored('itl')!.sha1).to.equal(s.stored('itl')!.sha1);
    expect(again.stored('ctl')!.basis).to.equal('tofu');
    expect(again.tvsMembers).to.deep.equal([{ address: '10.0.0.1', port: 2445, priority: 0 }]);
    expect(again.events.map((e) => [e.kind, e.basis])).to.deep.equal([
      ['ctl', 'tofu'],
      ['itl', 'ctl'],
    ]);
    expect(JSON.parse(readFileSync(join(dir, TRUST_FILE), 'utf8')).format).to.equal('trustline-phone-trust');
    await again.reset();
    expect((await open({ dir })).holdsTrustList).to.equal(false);
  });

  describe('a kill during a write leaves the old or the new state, never a torn one', function () {
    this.timeout(60_000);
    for (const [killAt, survives] of [
      ['temp-written', 'old'],
      ['temp-synced', 'old'],
      ['renamed', 'new'],
    ] as const) {
      it(`killed after ${killAt}: the ${survives} state`, async () => {
        const dir = tempDir('kill');
        const s = await open({ dir });
        await s.acceptTrustList('itl', 'ITLFile.tlv', itl);
        const child = await run(process.execPath, ['--import', 'tsx', KILL_WRITER, dir, killAt, 'reset'], { timeout: 30_000 }).then(
          (r) => ({ signal: null as string | null, stdout: r.stdout }),
          (e: { signal?: string; stdout?: string }) => ({ signal: e.signal ?? null, stdout: e.stdout ?? '' }),
        );
        expect(child.signal, child.stdout).to.equal('SIGKILL');
        if (killAt !== 'renamed') expect(readdirSync(dir).some((n) => n.endsWith('.tmp')), 'the killed writer left its temp file').to.equal(true);
        const after = await open({ dir });
        expect(after.holdsTrustList).to.equal(survives === 'old');
        expect(readdirSync(dir).filter((n) => n.endsWith('.tmp')), 'temp files are cleaned on open').to.deep.equal([]);
      });
    }
  });
});
