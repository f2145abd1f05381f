// CAPF's signatures (anchors §2.6, gotchas 1 and 3), each checked against an independent computation: the raw-hash
// PKCS#1 type-1 block built by hand and recovered with the raw RSA public operation, OpenSSL's own type-1 padding,
// ordinary ECDSA, and the SUDI input with the session id written little-endian by hand.
import { expect } from 'chai';
import { constants, createHash, generateKeyPairSync, privateEncrypt, publicDecrypt, sign, verify } from 'node:crypto';
import {
  buildSignedData,
  buildSudiData,
  capfSign,
  capfVerify,
  certificateAuthData,
  sudiAuthData,
  verifySignedData,
  verifySudiSignatures,
} from '../../engine/capf/capf-signature.js';
import { pooledKeys } from './support.js';

describe('capf signatures', function () {
  this.timeout(30_000);
  const rsa = pooledKeys({ keyType: 'RSA', keySize: 2048 })[0]!;
  const rsaOther = pooledKeys({ keyType: 'RSA', keySize: 2048 })[1]!;
  const ec = pooledKeys({ keyType: 'EC', keySize: 256 })[0]!;
  const cert = Buffer.from('308201223081cf', 'hex');

  it('signs device name ‖ 0x00 ‖ certificate DER', () => {
    expect(certificateAuthData('SEP001122334455', cert).toString('hex')).to.equal(Buffer.from('SEP001122334455').toString('hex') + '00' + cert.toString('hex'));
  });

  it('RSA SIGNED_DATA is the raw private-key operation on 00 01 FF…FF 00 ‖ SHA-1, without DigestInfo', () => {
    const data = certificateAuthData('SEP001122334455', cert);
    const sig = capfSign(rsa, data, 'sha1');
    expect(sig).to.have.length(256);
    // Independently: the raw public operation gives back the block, which we assemble by hand.
    const block = publicDecrypt({ key: rsa, padding: constants.RSA_NO_PADDING }, sig);
    const digest = createHash('sha1').update(data).digest();
    const expected = Buffer.concat([Buffer.from('0001', 'hex'), Buffer.alloc(256 - 3 - 20, 0xff), Buffer.from('00', 'hex'), digest]);
    expect(block.toString('hex')).to.equal(expected.toString('hex'));
    // OpenSSL's RSA_PKCS1_PADDING private encryption of the bare digest is the same bytes (type-1 padding is deterministic).
    expect(privateEncrypt({ key: rsa, padding: constants.RSA_PKCS1_PADDING }, digest).equals(sig)).to.equal(true);
    // It is not RSASSA-PKCS1-v1_5 (which wraps the digest in DigestInfo).
    expect(sign('sha1', data, rsa).equals(sig)).to.equal(false);
    expect(capfVerify(rsa, data, 'sha1', sig)).to.equal(true);
  });

  it('RSA SHA2_SIGNED_DATA is the same with the bare SHA-512 digest and hash code 3', () => {
    const { signedData, sha2SignedData } = buildSignedData(rsa, 'SEP1', cert);
    const data = certificateAuthData('SEP1', cert);
    expect(sha2SignedData!.hash).to.equal(3);
    const block = publicDecrypt({ key: rsa, padding: constants.RSA_NO_PADDING }, sha2SignedData!.signature);
    expect(block.subarray(0, 2).toString('hex')).to.equal('0001');
    expect(block.subarray(2, 256 - 65).every((b) => b === 0xff)).to.equal(true);
    expect(block[256 - 65]).to.equal(0);
    expect(block.subarray(256 - 64).equals(createHash('sha512').update(data).digest())).to.equal(true);
    expect(verifySignedData(rsa, 'SEP1', cert, signedData, sha2SignedData)).to.deep.equal({ ok: true, checked: ['SIGNED_DATA', 'SHA2_SIGNED_DATA'] });
  });

  it('refuses RSASSA (DigestInfo) signatures, other keys, other names, tampered bytes and wrong lengths', () => {
    const data = certificateAuthData('SEP1', cert);
    const good = capfSign(rsa, data, 'sha1');
    expect(capfVerify(rsa, data, 'sha1', sign('sha1', data, rsa))).to.equal(false);
    expect(capfVerify(rsaOther, data, 'sha1', good)).to.equal(false);
    expect(capfVerify(rsa, certificateAuthData('SEP2', cert), 'sha1', good)).to.equal(false);
    const tampered = Buffer.from(good);
    tampered[100] ^= 1;
    expect(capfVerify(rsa, data, 'sha1', tampered)).to.equal(false);
    expect(capfVerify(rsa, data, 'sha1', good.subarray(1))).to.equal(false);
    expect(capfVerify(rsa, data, 'sha1', Buffer.alloc(256, 0xff))).to.equal(false);
    expect(capfVerify(rsa, data, 'sha512', good)).to.equal(false);
    const r = verifySignedData(rsa, 'SEP2', cert, good);
    expect(r.ok).to.equal(false);
    expect(verifySignedData(rsa, 'SEP1', cert)).to.deep.equal({ ok: false, reason: 'neither SIGNED_DATA nor SHA2_SIGNED_DATA was sent' });
    expect(verifySignedData(rsa, 'SEP1', cert, good, { hash: 2, signature: good })).to.deep.include({ ok: false });
  });

  it('EC is ordinary ECDSA (DER) with SHA-1 and SHA-512', () => {
    const { signedData, sha2SignedData } = buildSignedData(ec, 'SEP1', cert);
    const data = certificateAuthData('SEP1', cert);
    expect(verify('sha1', data, { key: ec, dsaEncoding: 'der' }, signedData)).to.equal(true);
    expect(verify('sha512', data, { key: ec, dsaEncoding: 'der' }, sha2SignedData!.signature)).to.equal(true);
    expect(verifySignedData(ec, 'SEP1', cert, signedData, sha2SignedData).ok).to.equal(true);
    expect(verifySignedData(ec, 'SEP1', cert, Buffer.from('3006020101020101', 'hex')).ok).to.equal(false);
  });

  it('a 512-bit RSA key cannot hold a SHA-512 block: SHA2_SIGNED_DATA is left out', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey;
    const s = buildSignedData(small, 'SEP1', cert);
    expect(s.sha2SignedData).to.equal(undefined);
    expect(verifySignedData(small, 'SEP1', cert, s.signedData).ok).to.equal(true);
  });

  it('SUDI signs the session id as 4 bytes little-endian ‖ the SUDI certificate', () => {
    expect(sudiAuthData(0x01020304, cert).toString('hex')).to.equal('04030201' + cert.toString('hex'));
    expect(sudiAuthData(7, cert).subarray(0, 4).toString('hex')).to.equal('07000000');
    const sudi = buildSudiData(rsa, cert, 0x01020304);
    expect(sudi.signatures.map((s) => s.hash)).to.deep.equal([1, 3]);
    // Independently: the SHA-1 part is the type-1 block of SHA-1(LE id ‖ cert).
    const le = Buffer.concat([Buffer.from([4, 3, 2, 1]), cert]);
    const block = publicDecrypt({ key: rsa, padding: constants.RSA_NO_PADDING }, sudi.signatures[0]!.signature);
    expect(block.subarray(-20).equals(createHash('sha1').update(le).digest())).to.equal(true);
    expect(verifySudiSignatures(sudi, rsa, 0x01020304).ok).to.equal(true);
    // The big-endian reading (the usual CAPF order) does not verify.
    const r = verifySudiSignatures(sudi, rsa, 0x04030201);
    expect(r).to.deep.include({ ok: false });
  });
});
