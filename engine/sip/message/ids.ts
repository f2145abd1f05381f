// Random identifiers for messages we originate: tags (RFC 3261 19.3), branches (8.1.1.7) and Call-IDs (8.1.1.4).
import { randomBytes } from 'node:crypto';
import { BRANCH_COOKIE } from './via.js';

/** 64 random bits, hex. */
export function generateTag(): string {
  return randomBytes(8).toString('hex');
}

/** "z9hG4bK" + 80 random bits, unique per transaction. */
export function generateBranch(): string {
  return BRANCH_COOKIE + randomBytes(10).toString('hex');
}

/** 128 random bits, optionally "@host". */
export function generateCallId(host?: string): string {
  const id = randomBytes(16).toString('hex');
  return host ? `${id}@${host}` : id;
}
