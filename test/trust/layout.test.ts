// Files assembled byte by byte here from the published layout (research anchors 1.2-1.8 and the CUCM `show ctl` dump
// in TAC doc 118893), never through engine/trust's builders, so builder and parser cannot share a mistake.
import { expect } from 'chai';
import { constants, createCipheriv, createHash, publicEncrypt, sign, verify } from 'node:crypto';
import {
  buildClusterItl,
  buildCtl,
  decryptConfig,
  encryptConfig,
  parseEncryptedConfig,
  parseSigned,
  parseTrustList,
  signFile,
  verifySigned,
  verifyTrustList,
} from '../../engine/trust/index.js';
import { makeIdentity, quietLogs, signerOf, T0, testCluster, type Identity } from './fixtures.js';

// ---- an independent little encoder for the published layout ----
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const t = (tag: number, value: Buffer | number[]) => {
  const v = Buffer.from(value);
  return Buffer.concat([Buffer.from([tag]), u16(v.length), v]);
};
const str = (s: string) => Buffer.from(s + '\0', 'utf8');

interface HandHeader {
  version: [number, number];
  signerVersion?: [number, number];
  signerName: string;
  serial: Buffer;
  issuer: string;
  digestCode: number;
  sigLen: number;
  filename: string;
  timestamp: number;
  trailing?: Buffer[];
}

/** Returns the header without the signature element, where it goes, and the header length (already patched in). */
function handHeader(h: HandHeader): { unsigned: Buffer; sigPos: number; headerLength: number } {
  const before = Buffer.concat([
    t(1, h.version),
    t(2, [0, 0]),
    ...(h.signerVersion ? [t(28, h.signerVersion)] : []),
    t(3, Buffer.concat([t(4, str(h.signerName)), t(5, h.serial), t(6, str(h.issuer))])),
    t(7, Buffer.concat([t(8, [h.digestCode]), t(9, Buffer.concat([t(10, [0]), t(11, [[64, 128, 256, 512].indexOf(h.sigLen)])]))])),
  ]);
  let unsigned = Buffer.concat([before, t(14, str(h.filename)), t(15, u32(h.timestamp)), ...(h.trailing ?? [])]);
  while ((unsigned.length + 3 + h.sigLen) % 4 !== 0) unsigned = Buffer.concat([unsigned, Buffer.from([13])]);
  const headerLength = unsigned.length + 3 + h.sigLen;
  unsigned.writeUInt16BE(headerLength, 8);
  return { unsigned, sigPos: before.length, headerLength };
}

function seal(unsigned: Buffer, sigPos: number, digest: string, id: Identity): Buffer {
  const sig = sign(digest, unsigned, id.privateKey);
  return Buffer.concat([unsigned.subarray(0, sigPos), t(12, sig), unsigned.subarray(sigPos)]);
}

function handRecord(role: number, id: Identity, dn: { subject: string; issuer: string }, extra: { dns?: string; ip?: number[] } = {}): Buffer {
  const body = Buffer.concat([
    ...(extra.dns !== undefined ? [t(2, str(extra.dns))] : []),
    t(3, str(dn.subject)),
    t(4, u16(role)),
    t(5, str(dn.issuer)),
    t(6, id.serial),
    t(7, id.publicKey.export({ format: 'der', type: 'pkcs1' })),
    t(8, id.signatureValue),
    t(9, id.certDer),
    ...(extra.ip ? [t(10, extra.ip)] : []),
  ]);
  return Buffer.concat([t(1, u16(body.length + 5)), body]);
}

/** Finds the top-level SIGNATURE element by walking the header as published: 13 is one byte, the rest are TLVs. */
function findSignature(file: Buffer): { pos: number; len: number } {
  const headerLength = file.readUInt16BE(8);
  for (let p = 10; p < headerLength; ) {
    const tag = file[p]!;
    if (tag === 13) {
      p++;
      continue;
    }
    const len = file.readUInt16BE(p + 1);
    if (tag === 12) return { pos: p, len };
    // Containers (3, 7, 16) are skipped whole; tag 9 sits inside 7.
    p += 3 + len;
  }
  throw new Error('no signature');
}

const CISCO_DN = 'CN=cucm-1051-a-pub;OU=TAC;O=Cisco;L=Krakow;ST=Malopolska;C=PL';

describe('trust files assembled from the published layout', () => {
  quietLogs();
  const c = testCluster();
  // Shaped like the CUCM 10.5 publisher in TAC doc 118893: 62-byte DN (with NUL), 16-byte serial, RSA-1024.
  const cisco = makeIdentity(
    'tac-118893',
    [
      ['C', 'PL'],
      ['ST', 'Malopolska'],
      ['L', 'Krakow'],
      ['O', 'Cisco'],
      ['OU', 'TAC'],
      ['CN', 'cucm-1051-a-pub'],
    ],
    { type: 'rsa', bits: 1024 },
    { serialHex: '70caf64e090751b9df22f49f754fc5bb' },
  );
  const ts = Math.floor(T0.getTime() / 1000);

  it('parses and verifies a hand-made CTL with the sizes of the TAC show ctl dump (header 336, SIGNERID 149)', () => {
    const h = handHeader({ version: [1, 2], signerName: CISCO_DN, serial: cisco.serial, issuer: CISCO_DN, digestCode: 1, sigLen: 128, filename: 'CTLFile.tlv', timestamp: ts });
    expect(h.headerLength).to.equal(336);
    const dn = { subject: CISCO_DN, issuer: CISCO_DN };
    const records = Buffer.concat([
      handRecord(0, cisco, dn, { dns: 'cucm-1051-a-pub', ip: [10, 48, 47, 200] }),
      handRecord(2, cisco, dn, { dns: 'cucm-1051-a-pub', ip: [10, 48, 47, 200] }),
    ]);
    const file = seal(Buffer.concat([h.unsigned, records]), h.sigPos, 'sha1', cisco);
    const p = parseTrustList(file);
    expect(p.kind).to.equal('ctl');
    expect(p.header.headerLength).to.equal(336);
    expect(p.header.elements.find((e) => e.tag === 3)!.length).to.equal(149);
    expect(p.header.elements.find((e) => e.tag === 7)!.length).to.equal(15);
    expect(p.header.elements.find((e) => e.tag === 14)!.length).to.equal(12);
    expect(p.header.paddingBytes).to.equal(3);
    expect(p.header.signerName).to.equal(CISCO_DN);
    expect(p.records).to.have.length(2);
    const r = p.records[0]!;
    // Record length as in the dump: 1156 for a 694-byte certificate.
    expect(r.length).to.equal(1156 - 694 + cisco.certDer.length);
    expect(r.publicKey!.length).to.equal(140);
    expect(r.signature!.length).to.equal(128);
    expect(r.dnsName).to.equal('cucm-1051-a-pub');
    expect(r.roleName).to.equal('SAST');
    expect(p.records[1]!.roleName).to.equal('CCM+TFTP');
    expect(verifyTrustList(p)).to.include({ ok: true, signerRecord: 1, digest: 'sha1' });
  });

  it('builds that CTL byte for byte as assembled by hand (no signer-version tag, CUCM DN format)', () => {
    const built = buildCtl({
      signer: signerOf(cisco),
      records: [
        { role: 'SAST', certDer: cisco.certDer, dnsName: 'cucm-1051-a-pub', ipAddress: '10.48.47.200' },
        { role: 'CCM+TFTP', certDer: cisco.certDer, dnsName: 'cucm-1051-a-pub', ipAddress: '10.48.47.200' },
      ],
      signerVersionTag: false,
      timestamp: T0,
    }).bytes;
    const h = handHeader({ version: [1, 2], signerName: CISCO_DN, serial: cisco.serial, issuer: CISCO_DN, digestCode: 1, sigLen: 128, filename: 'CTLFile.tlv', timestamp: ts });
    const dn = { subject: CISCO_DN, issuer: CISCO_DN };
    const records = Buffer.concat([1, 2].map((_, i) => handRecord(i === 0 ? 0 : 2, cisco, dn, { dns: 'cucm-1051-a-pub', ip: [10, 48, 47, 200] })));
    const hand = seal(Buffer.concat([h.unsigned, records]), h.sigPos, 'sha1', cisco);
    expect(built.toString('hex')).to.equal(hand.toString('hex'));
  });

  it('parses a hand-made signer-version 1.1 ITL with SHA-512 and an EC record', () => {
    const dn = (id: Identity) => ({ subject: `CN=${id.label}`, issuer: `CN=${id.label}` });
    const h = handHeader({ version: [1, 2], signerVersion: [1, 1], signerName: 'CN=itlrecovery', serial: c.itlRecovery.serial, issuer: 'CN=itlrecovery', digestCode: 3, sigLen: 128, filename: 'ITLFile.tlv', timestamp: ts });
    const ec = c.callManagerEcdsa;
    const jwk = ec.publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const ecBody = Buffer.concat([t(3, str('CN=cucm-pub-EC')), t(4, u16(2)), t(5, str('CN=cucm-pub-EC')), t(6, ec.serial), t(7, point), t(8, ec.signatureValue), t(9, ec.certDer)]);
    const records = Buffer.concat([handRecord(0, c.itlRecovery, dn(c.itlRecovery)), handRecord(21, c.tvs, dn(c.tvs)), t(1, u16(ecBody.length + 5)), ecBody]);
    const file = seal(Buffer.concat([h.unsigned, records]), h.sigPos, 'sha512', c.itlRecovery);
    const p = parseTrustList(file);
    expect(p.header.signerVersion).to.deep.equal({ major: 1, minor: 1 });
    expect(p.header.digest).to.equal('sha512');
    expect(p.records.map((r) => r.roleName)).to.deep.equal(['SAST', 'TVS', 'CCM+TFTP']);
    expect(p.records[2]!.publicKey!.equals(point)).to.equal(true);
    expect(verifyTrustList(p)).to.include({ ok: true, signerRecord: 1, digest: 'sha512' });
  });

  it('reads header and container elements in any order and skips padding anywhere in the header', () => {
    // Signer info as 6, 4, 5 (a plausible Cisco order) and signature-algorithm info as 11, 10; padding before FILENAME.
    const before = Buffer.concat([
      t(1, [1, 2]),
      t(2, [0, 0]),
      t(3, Buffer.concat([t(6, str('CN=a')), t(4, str('CN=a')), t(5, c.itlRecovery.serial)])),
      t(7, Buffer.concat([t(9, Buffer.concat([t(11, [1]), t(10, [0])])), t(8, [1])])),
    ]);
    let unsigned = Buffer.concat([before, Buffer.from([13, 13]), t(15, u32(ts)), t(14, str('ITLFile.tlv'))]);
    while ((unsigned.length + 3 + 128) % 4) unsigned = Buffer.concat([unsigned, Buffer.from([13])]);
    unsigned.writeUInt16BE(unsigned.length + 131, 8);
    const rec = handRecord(0, c.itlRecovery, { subject: 'CN=a', issuer: 'CN=a' });
    const file = seal(Buffer.concat([unsigned, rec]), before.length, 'sha1', c.itlRecovery);
    const p = parseTrustList(file);
    expect(p.header.signerName).to.equal('CN=a');
    expect(p.header.modulusIndex).to.equal(1);
    expect(verifyTrustList(p).ok).to.equal(true);
  });

  it('parses, verifies and reads a hand-made .sgn (version 1.0, payload after the header)', () => {
    const content = Buffer.from('<device><loadInformation>SIP78xx.14-1-1</loadInformation></device>\n');
    const h = handHeader({ version: [1, 0], signerName: 'CN=cucm-pub', serial: c.callManager.serial, issuer: 'CN=cucm-pub', digestCode: 3, sigLen: 128, filename: 'SEP001122334455.cnf.xml.sgn', timestamp: ts });
    const file = seal(Buffer.concat([h.unsigned, content]), h.sigPos, 'sha512', c.callManager);
    const p = parseSigned(file);
    expect(p.content.equals(content)).to.equal(true);
    expect(p.header.filename).to.equal('SEP001122334455.cnf.xml.sgn');
    expect(verifySigned(p, c.callManager.certDer)).to.include({ ok: true, digest: 'sha512' });
    expect(verifySigned(p, c.tvs.certDer).ok).to.equal(false);
  });

  it('decrypts a hand-made .enc.sgn (version 2.0, AES-128-CBC, key wrapped to the phone, \\r padding)', () => {
    const xml = Buffer.from('<device><sipProfile><sipLines><line><authPassword>s3cret</authPassword></line></sipLines></sipProfile></device>');
    const aesKey = Buffer.alloc(16, 0x42);
    const iv = Buffer.alloc(16, 0x17);
    const pad = 16 - (xml.length % 16);
    const cipher = createCipheriv('aes-128-cbc', aesKey, iv).setAutoPadding(false);
    const ct = Buffer.concat([cipher.update(Buffer.concat([xml, Buffer.alloc(pad, 13)])), cipher.final()]);
    const wrapped = publicEncrypt({ key: c.phone.publicKey, padding: constants.RSA_PKCS1_PADDING }, aesKey);
    const trailing = [
      t(16, Buffer.concat([t(17, Buffer.concat([t(18, [0]), t(19, iv), t(20, u16(pad))])), t(21, Buffer.concat([t(22, [0]), t(23, u16(wrapped.length * 8)), t(24, [1]), t(25, wrapped)]))])),
      t(26, [1]),
      t(27, createHash('sha1').update(xml).digest()),
    ];
    const h = handHeader({ version: [2, 0], signerName: 'CN=cucm-pub', serial: c.callManager.serial, issuer: 'CN=cucm-pub', digestCode: 1, sigLen: 128, filename: 'SEP001122334455.cnf.xml.enc.sgn', timestamp: ts, trailing });
    const file = seal(Buffer.concat([h.unsigned, ct]), h.sigPos, 'sha1', c.callManager);
    const p = parseEncryptedConfig(file);
    expect(p.paddingCount).to.equal(pad);
    expect(p.iv.equals(iv)).to.equal(true);
    expect(p.keySizeBits).to.equal(1024);
    expect(verifySigned(p, c.callManager.certDer).ok).to.equal(true);
    expect(decryptConfig(p, c.phone.privateKey).equals(xml)).to.equal(true);
  });

  describe('the signature covers exactly the file minus the SIGNATURE element', () => {
    const cases: [string, () => { file: Buffer; id: Identity; digest: string }][] = [
      ['ITL', () => ({ file: buildClusterItl({ itlRecovery: c.itlRecovery, callManager: c.callManager, tvs: [c.tvs], digest: 'sha512', timestamp: T0 }).bytes, id: c.itlRecovery, digest: 'sha512' })],
      ['.sgn', () => ({ file: signFile('RingList.xml', '<CiscoIPPhoneRingList/>', signerOf(c.callManager), { timestamp: T0 }), id: c.callManager, digest: 'sha1' })],
      [
        '.enc.sgn',
        () => ({ file: encryptConfig('<device/>', { phoneCertificate: c.phone.certDer }, signerOf(c.callManager), { digest: 'sha512', stub: false }).encSgn, id: c.callManager, digest: 'sha512' }),
      ],
    ];
    for (const [name, make] of cases) {
      it(`${name}: verifies over exactly those bytes and over nothing else`, () => {
        const { file, id, digest } = make();
        const { pos, len } = findSignature(file);
        const sig = file.subarray(pos + 3, pos + 3 + len);
        const covered = Buffer.concat([file.subarray(0, pos), file.subarray(pos + 3 + len)]);
        expect(verify(digest, covered, id.publicKey, sig)).to.equal(true);
        // Near misses: the whole file; only the value cut (tag and length kept); the header only; without padding.
        expect(verify(digest, file, id.publicKey, sig)).to.equal(false);
        expect(verify(digest, Buffer.concat([file.subarray(0, pos + 3), file.subarray(pos + 3 + len)]), id.publicKey, sig)).to.equal(false);
        expect(verify(digest, covered.subarray(0, file.readUInt16BE(8) - 3 - len), id.publicKey, sig)).to.equal(false);
        expect(verify(digest, Buffer.concat([covered.subarray(0, 10), covered.subarray(11)]), id.publicKey, sig)).to.equal(false);
        // The header length counts the signature element and the padding, and is a multiple of 4.
        expect(file.readUInt16BE(8) % 4).to.equal(0);
      });
    }
  });
});
