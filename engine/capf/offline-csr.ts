// The request CAPF queues for an Offline CA (001 L4995-5000): a PKCS#10 carrying the phone's public key, the LSC
// subject (CN = device name, the cluster's O/OU/L/ST/C) and the LSC usages (digitalSignature + keyEncipherment,
// serverAuth + clientAuth). The phone's private key never leaves the phone (001 L4826), so the request cannot carry the
// usual self-signature: CAPF, which authenticated the phone in-band, signs it with its own key (SHA-256). A CA must
// therefore sign the public key it carries without a proof-of-possession check (openssl x509 -req -force_pubkey, or
// any CA that takes a public key). See docs/decisions.md ("CAPF").
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { buildName, toPem, type DnFields } from '../pki/certificates.js';

const ID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

function ab(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export interface OfflineCsr {
  pem: string;
  der: Buffer;
}

export function buildOfflineCsr(subject: DnFields, phonePublicKey: KeyObject, capfKey: KeyObject): OfflineCsr {
  const spki = (phonePublicKey.type === 'public' ? phonePublicKey : createPublicKey(phonePublicKey)).export({ type: 'spki', format: 'der' });
  const ku = new asn.KeyUsage(asn.KeyUsageFlags.digitalSignature | asn.KeyUsageFlags.keyEncipherment);
  const eku = new asn.ExtendedKeyUsage(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  const extensions = new asn.Extensions([
    new asn.Extension({ extnID: asn.id_ce_keyUsage, critical: true, extnValue: new OctetString(AsnConvert.serialize(ku)) }),
    new asn.Extension({ extnID: asn.id_ce_extKeyUsage, critical: false, extnValue: new OctetString(AsnConvert.serialize(eku)) }),
  ]);
  const info = new CertificationRequestInfo({
    version: 0,
    subject: buildName(subject),
    subjectPKInfo: AsnConvert.parse(spki, asn.SubjectPublicKeyInfo),
    attributes: new Attributes([new asn.Attribute({ type: ID_EXTENSION_REQUEST, values: [AsnConvert.serialize(extensions)] })]),
  });
  const infoDer = Buffer.from(AsnConvert.serialize(info));
  const rsa = capfKey.asymmetricKeyType === 'rsa';
  const alg = rsa ? new asn.AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: new Uint8Array([0x05, 0x00]).buffer }) : new asn.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const signature = sign('sha256', infoDer, rsa ? capfKey : { key: capfKey, dsaEncoding: 'der' });
  const der = Buffer.from(AsnConvert.serialize(new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: alg, signature: ab(signature) })));
  return { der, pem: toPem(der, 'CERTIFICATE REQUEST') };
}
