// Base64 for SDES inline keys: lenient on input (missing '=' padding accepted, as some peers strip it), strict about
// the alphabet (node's own decoder silently skips bad characters, which would hide a corrupted key).

const ALPHABET = /^[A-Za-z0-9+/]*$/;

/** Decodes standard base64 with or without padding; returns null with a reason on bad input. */
export function decodeBase64Lenient(text: string): { bytes: Buffer } | { error: string } {
  let body = text;
  let pad = 0;
  while (body.endsWith('=') && pad < 2) {
    body = body.slice(0, -1);
    pad++;
  }
  if (!ALPHABET.test(body)) {
    const at = [...body].findIndex((c) => !/[A-Za-z0-9+/]/.test(c));
    return { error: `character ${JSON.stringify(body[at])} at position ${at} is not base64` };
  }
  if (body.length % 4 === 1) return { error: `${body.length} base64 characters cannot encode whole bytes` };
  if (pad > 0 && (body.length + pad) % 4 !== 0) return { error: `padding '${'='.repeat(pad)}' does not complete a 4-character group` };
  return { bytes: Buffer.from(body, 'base64') };
}

/** Standard padded base64 (what we emit). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
