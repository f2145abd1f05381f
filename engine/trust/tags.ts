// Tag, role and algorithm tables of Cisco's signed TLV files (ITL/CTL .tlv, .sgn, .enc.sgn).
// Facts from the public layout (research anchors section 1); names follow CUCM's `show ctl` where it has one.

/** Header element tags (1-byte tag, 2-byte big-endian length, except PADDING which is a lone byte). */
export const HeaderTag = {
  VERSION: 1,
  HEADER_LENGTH: 2,
  SIGNER_INFO: 3,
  SIGNER_NAME: 4,
  SERIAL_NUMBER: 5,
  ISSUER_NAME: 6,
  SIGNATURE_INFO: 7,
  DIGEST_ALGORITHM: 8,
  SIGNATURE_ALGORITHM_INFO: 9,
  SIGNATURE_ALGORITHM: 10,
  SIGNATURE_MODULUS: 11,
  SIGNATURE: 12,
  PADDING: 13,
  FILENAME: 14,
  TIMESTAMP: 15,
  ENCRYPTION_INFO: 16,
  IV_INFO: 17,
  IV_RESERVED: 18,
  IV: 19,
  CIPHER_PADDING: 20,
  KEY_INFO: 21,
  KEY_RESERVED: 22,
  KEY_SIZE: 23,
  KEY_ALGORITHM: 24,
  WRAPPED_KEY: 25,
  CONTENT_HASH_ALGORITHM: 26,
  CONTENT_HASH: 27,
  SIGNER_VERSION: 28,
} as const;

export const HEADER_TAG_NAMES: Readonly<Record<number, string>> = {
  1: 'VERSION',
  2: 'HEADERLENGTH',
  3: 'SIGNERID',
  4: 'SIGNERNAME',
  5: 'SERIALNUMBER',
  6: 'CANAME',
  7: 'SIGNATUREINFO',
  8: 'DIGESTALGORITHM',
  9: 'SIGNATUREALGOINFO',
  10: 'SIGNATUREALGORITHM',
  11: 'SIGNATUREMODULUS',
  12: 'SIGNATURE',
  13: 'PADDING',
  14: 'FILENAME',
  15: 'TIMESTAMP',
  16: 'ENCRYPTIONINFO',
  17: 'IVINFO',
  18: 'IVRESERVED',
  19: 'IV',
  20: 'CIPHERPADDING',
  21: 'KEYINFO',
  22: 'KEYRESERVED',
  23: 'KEYSIZE',
  24: 'KEYALGORITHM',
  25: 'WRAPPEDKEY',
  26: 'CONTENTHASHALGORITHM',
  27: 'CONTENTHASH',
  28: 'SIGNERVERSION',
};

/** Header containers: their value is a run of nested elements, and which tags they normally hold. */
export const HEADER_CONTAINERS: Readonly<Record<number, readonly number[]>> = {
  3: [4, 5, 6],
  7: [8, 9],
  9: [10, 11],
  16: [17, 21],
  17: [18, 19, 20],
  21: [22, 23, 24, 25],
};

/** Record element tags. */
export const RecordTag = {
  RECORD_LENGTH: 1,
  DNS_NAME: 2,
  SUBJECT_NAME: 3,
  FUNCTION: 4,
  ISSUER_NAME: 5,
  SERIAL_NUMBER: 6,
  PUBLIC_KEY: 7,
  SIGNATURE: 8,
  CERTIFICATE: 9,
  IP_ADDRESS: 10,
  CERTIFICATE_HASH: 11,
  HASH_ALGORITHM: 12,
} as const;

export const RECORD_TAG_NAMES: Readonly<Record<number, string>> = {
  1: 'RECORDLENGTH',
  2: 'DNSNAME',
  3: 'SUBJECTNAME',
  4: 'FUNCTION',
  5: 'ISSUERNAME',
  6: 'SERIALNUMBER',
  7: 'PUBLICKEY',
  8: 'SIGNATURE',
  9: 'CERTIFICATE',
  10: 'IPADDRESS',
  11: 'CERTHASH',
  12: 'HASHALGORITHM',
};

export function headerTagName(tag: number): string {
  return HEADER_TAG_NAMES[tag] ?? `header tag ${tag}`;
}

export function recordTagName(tag: number): string {
  return RECORD_TAG_NAMES[tag] ?? `record tag ${tag}`;
}

/** Record FUNCTION (role) codes, 2 bytes in .tlv records. */
export const Role = {
  SAST: 0,
  CCM: 1,
  'CCM+TFTP': 2,
  TFTP: 3,
  CAPF: 4,
  'APP-SERVER': 7,
  TVS: 21,
} as const;

export type RoleName = keyof typeof Role;

export const ROLE_NAMES: Readonly<Record<number, RoleName>> = Object.fromEntries(
  Object.entries(Role).map(([name, code]) => [code, name as RoleName]),
);

/** How CUCM's `show ctl` spells a role (only SAST differs from the short name). */
export function roleDisplayName(code: number): string {
  if (code === Role.SAST) return 'System Administrator Security Token';
  return ROLE_NAMES[code] ?? `unknown role ${code}`;
}

export function roleCode(role: RoleName | number): number {
  if (typeof role === 'number') {
    if (!Number.isInteger(role) || role < 0 || role > 0xffff) throw new RangeError(`role ${role} is not a 16-bit code`);
    return role;
  }
  const code = Role[role];
  if (code === undefined) throw new RangeError(`unknown role ${JSON.stringify(role)} (known: ${Object.keys(Role).join(', ')})`);
  return code;
}

/** Roles whose certificate may sign configuration files (.sgn / .enc.sgn). */
export const TFTP_ROLES: readonly number[] = [Role.TFTP, Role['CCM+TFTP']];

/** Digest algorithm codes (header tag 8 and 26). */
export type DigestName = 'sha1' | 'sha256' | 'sha512';

export const DIGEST_CODES: Readonly<Record<DigestName, number>> = { sha1: 1, sha256: 2, sha512: 3 };

export function digestFromCode(code: number): DigestName | undefined {
  return (Object.keys(DIGEST_CODES) as DigestName[]).find((d) => DIGEST_CODES[d] === code);
}

/** Header tag 10 value for RSA (the only signature algorithm the files are known to use). */
export const SIGNATURE_ALGORITHM_RSA = 0;

/** Header tag 11: index of the signer's modulus size (bytes of signature). */
export const MODULUS_INDEX_BYTES: readonly number[] = [64, 128, 256, 512];

/** Header versions by file type. */
export const TLV_VERSION = { major: 1, minor: 2 } as const;
export const SGN_VERSION = { major: 1, minor: 0 } as const;
export const ENC_SGN_VERSION = { major: 2, minor: 0 } as const;
