// Throwaway self-signed client certificates (RSA 2048, ECDSA P-256) for the client-certificate probes: a server that
// only trusts its phones' MIC/LSC issuers should refuse them, one that takes any certificate will not.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';

export interface GeneratedCert {
  /** PEM. */
  cert: string;
  key: string;
  subject: string;
  label: string;
}

const ab = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const pem = (label: string, der: Uint8Array) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

function ext(oid: string, critical: boolean, value: unknown): asn.Extension {
  return new asn.Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** A self-signed client certificate (CN given, EKU clientAuth, one day either side of now). */
export function generateClientCert(type: 'RSA' | 'ECDSA', commonName = 'trustline-probe'): GeneratedCert {
  const { privateKey, publicKey } =
    type === 'RSA' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = new asn.Name([
    new asn.RelativeDistinguishedName([new asn.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn.AttributeValue({ utf8String: commonName }) })]),
  ]);
  // sha256WithRSAEncryption carries NULL parameters, ecdsa-with-SHA256 none (RFC 4055, RFC 5758).
  const alg =
    type === 'RSA'
      ? new asn.AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: ab(Buffer.from([5, 0])) })
      : new asn.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
  const serial = randomBytes(12);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const now = Math.floor(Date.now() / 1000) * 1000;
  const tbs = new asn.TBSCertificate({
    version: asn.Version.v3,
    serialNumber: ab(serial),
    signature: alg,
    issuer: name,
    subject: name,
    validity: new asn.Validity({ notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) }),
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ format: 'der', type: 'spki' }), asn.SubjectPublicKeyInfo),
    extensions: new asn.Extensions([
      ext(asn.id_ce_basicConstraints, true, new asn.BasicConstraints({ cA: false })),
      ext(asn.id_ce_keyUsage, true, new asn.KeyUsage(asn.KeyUsageFlags.digitalSignature)),
      ext(asn.id_ce_extKeyUsage, false, new asn.ExtendedKeyUsage([asn.id_kp_clientAuth])),
    ]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, type === 'ECDSA' ? { key: privateKey as KeyObject, dsaEncoding: 'der' } : privateKey);
  const der = AsnConvert.serialize(new asn.Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg, signatureValue: ab(signature) }));
  return {
    cert: pem('CERTIFICATE', new Uint8Array(der)),
    key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    subject: `CN=${commonName}`,
    label: type === 'RSA' ? 'generated RSA 2048' : 'generated ECDSA P-256',
  };
}
