// `trustline srtp protect|unprotect`: one SRTP/SRTCP packet through a fresh session, for debugging captures and peers.
//   trustline srtp unprotect --suite AES_CM_128_HMAC_SHA1_80 --key <base64 key||salt> [--roc N] [--rtcp] <hex>
// The key may also be a full `inline:...` key param or a whole `a=crypto:` line (then --suite is optional).
// Prints the resulting packet as hex on stdout; a refused packet prints its reason on stderr and exits 1.
import type { Command } from 'commander';
import { parseCryptoAttribute, parseKeyParams, sdesToPolicy, SdesError } from '../../ciphers/sdes/index.js';
import { createSrtpSession } from '../../ciphers/srtp/session.js';
import { isSrtpSuiteName, SRTP_SUITES, SRTP_SUITE_NAMES, type SrtpSuiteName } from '../../ciphers/srtp/suites.js';
import { isSrtpFailure, SrtpError, type SrtpBackendName, type SrtpPolicy } from '../../ciphers/srtp/types.js';

interface SrtpCliOptions {
  suite?: string;
  key: string;
  roc?: string;
  rtcp?: boolean;
  mki?: string;
  backend?: string;
}

class CliInputError extends Error {}

/** Hex with optional spaces, colons, newlines and a 0x prefix. */
export function parseHexPacket(parts: string[]): Buffer {
  let text = parts.join('').replace(/[\s:]/g, '');
  if (/^0x/i.test(text)) text = text.slice(2);
  if (text.length === 0) throw new CliInputError('the packet is empty');
  const bad = /[^0-9a-fA-F]/.exec(text);
  if (bad) throw new CliInputError(`packet hex has ${JSON.stringify(bad[0])} at position ${bad.index}`);
  if (text.length % 2 !== 0) throw new CliInputError(`packet hex has an odd number of digits (${text.length})`);
  return Buffer.from(text, 'hex');
}

function hexBytes(text: string, what: string): Buffer {
  const t = text.replace(/[\s:]/g, '').replace(/^0x/i, '');
  if (t.length === 0 || t.length % 2 !== 0 || /[^0-9a-fA-F]/.test(t)) throw new CliInputError(`${what} must be hex bytes, got ${JSON.stringify(text)}`);
  return Buffer.from(t, 'hex');
}

/** Builds the policy from --suite/--key/--mki (see the command help). */
export function policyFromCli(o: Pick<SrtpCliOptions, 'suite' | 'key' | 'mki'>): SrtpPolicy {
  let suite: SrtpSuiteName | undefined;
  if (o.suite !== undefined) {
    const upper = o.suite.toUpperCase();
    if (!isSrtpSuiteName(upper)) throw new CliInputError(`unknown suite ${JSON.stringify(o.suite)}; one of ${SRTP_SUITE_NAMES.join(', ')}`);
    suite = upper;
  }
  const key = o.key.trim();
  let policy: SrtpPolicy;
  if (/^(a=)?crypto:/i.test(key) || /^[0-9]+\s+\S+\s+inline:/i.test(key)) {
    const attr = parseCryptoAttribute(key);
    if (suite !== undefined && suite !== attr.suite) throw new CliInputError(`--suite ${suite} contradicts the a=crypto line's ${attr.suite}`);
    policy = sdesToPolicy(attr);
  } else {
    if (suite === undefined) throw new CliInputError('--suite is required unless --key is an a=crypto line');
    const param = /^inline:/i.test(key) ? key : `inline:${key}`;
    const keys = parseKeyParams(param, SRTP_SUITES[suite], '--key');
    policy = {
      suite,
      keys: keys.map((k) => ({ key: k.key, salt: k.salt, ...(k.mki ? { mki: k.mki } : {}), ...(k.lifetime !== undefined ? { lifetime: Math.min(k.lifetime, 2 ** 48) } : {}) })),
    };
  }
  if (o.mki !== undefined) {
    const mki = hexBytes(o.mki, '--mki');
    const withMki = policy.keys.findIndex((k) => k.mki !== undefined && Buffer.from(k.mki).equals(mki));
    if (withMki >= 0) {
      // Protect under the key with this MKI.
      const [chosen] = policy.keys.splice(withMki, 1);
      policy.keys.unshift(chosen!);
    } else if (policy.keys.length === 1 && policy.keys[0]!.mki === undefined) {
      policy.keys[0]!.mki = mki;
    } else {
      throw new CliInputError(`--mki ${mki.toString('hex')} matches none of the keys' MKIs`);
    }
  }
  return policy;
}

function run(action: 'protect' | 'unprotect', packetHex: string[], o: SrtpCliOptions): void {
  try {
    const policy = policyFromCli(o);
    const backend = (o.backend ?? 'auto') as SrtpBackendName | 'auto';
    if (!['ts', 'native', 'auto'].includes(backend)) throw new CliInputError(`--backend must be ts, native or auto, not ${JSON.stringify(o.backend)}`);
    const packet = parseHexPacket(packetHex);
    const session = createSrtpSession(policy, { backend });
    try {
      if (o.roc !== undefined && !o.rtcp) {
        if (!/^[0-9]+$/.test(o.roc) || Number(o.roc) > 0xffffffff) throw new CliInputError(`--roc must be an integer in 0..2^32-1, got ${JSON.stringify(o.roc)}`);
        if (packet.length >= 12) session.setRoc(packet.readUInt32BE(8), Number(o.roc));
      }
      const r = o.rtcp
        ? action === 'protect'
          ? session.protectRtcp(packet)
          : session.unprotectRtcp(packet)
        : action === 'protect'
          ? session.protectRtp(packet)
          : session.unprotectRtp(packet);
      if (isSrtpFailure(r)) {
        process.stderr.write(`trustline srtp ${action}: ${r.code}: ${r.detail}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(r.toString('hex') + '\n');
    } finally {
      session.close();
    }
  } catch (err) {
    if (err instanceof CliInputError || err instanceof SdesError || err instanceof SrtpError) {
      process.stderr.write(`trustline srtp ${action}: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

export function registerSrtp(program: Command): void {
  const srtp = program.command('srtp').description('protect or unprotect one SRTP/SRTCP packet (hex in, hex out)');
  for (const action of ['protect', 'unprotect'] as const) {
    srtp
      .command(action)
      .description(`${action} one ${action === 'protect' ? 'RTP/RTCP' : 'SRTP/SRTCP'} packet given in hex (spaces and colons allowed)`)
      .option('--suite <suite>', `crypto suite (${SRTP_SUITE_NAMES.join(', ')})`)
      .requiredOption('--key <key>', 'base64 master key||salt as in a=crypto inline:, or a full inline:... param, or a whole a=crypto: line')
      .option('--roc <n>', 'rollover counter of the packet (RTP)')
      .option('--rtcp', 'the packet is RTCP/SRTCP')
      .option('--mki <hex>', 'MKI of the key (or which a=crypto key to protect with)')
      .option('--backend <name>', 'ts, native or auto', 'auto')
      .argument('<packet...>', 'packet bytes in hex')
      .action((packet: string[], opts: SrtpCliOptions) => run(action, packet, opts));
  }
}
