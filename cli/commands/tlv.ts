// `trustline tlv show <file>`: any ITL/CTL/.sgn/.enc.sgn file, like CUCM's `show itl` / `show ctl`, or as JSON.
import type { Command } from 'commander';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describeTrustFile, renderDescription, TlvError, trustFromBytes, type SignedFileTrust } from '../../engine/trust/index.js';

interface ShowOptions {
  json?: boolean;
  trust?: string[];
  key?: string;
  manualKey?: string;
  lenient?: boolean;
}

/** Certificates from a PEM file (one or more), a DER certificate, or a .tlv trust list. */
function loadTrust(path: string): SignedFileTrust[] {
  const bytes = readFileSync(path);
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return blocks.map((pem) => new Uint8Array(new X509Certificate(pem).raw));
  }
  return [trustFromBytes(bytes)];
}

function fail(json: boolean | undefined, err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  if (json) {
    const e = err instanceof TlvError ? { message: msg, offset: err.offset, element: err.element } : { message: msg };
    process.stdout.write(JSON.stringify({ error: e }, null, 2) + '\n');
  }
  process.stderr.write(`trustline tlv show: ${msg}\n`);
  process.exitCode = 1;
}

export function registerTlv(program: Command): void {
  const tlv = program.command('tlv').description("Cisco's signed TLV files: ITL/CTL trust lists, .sgn, .enc.sgn");
  tlv
    .command('show <file>')
    .description('print an ITL/CTL/.sgn/.enc.sgn like CUCM show itl / show ctl: records, roles, keys, signature check (exit 1 malformed, 2 signature or decryption failed)')
    .option('--json', 'machine-readable output')
    .option('--trust <file>', 'TFTP certificate (PEM/DER) or ITL/CTL to verify a .sgn/.enc.sgn against (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--key <file>', "phone private key (PEM) to decrypt an .enc.sgn and check its content hash")
    .option('--manual-key <hex>', 'manual symmetric key (32 or 64 hex digits) to decrypt an .enc.sgn')
    .option('--lenient', 'keep unknown tags instead of rejecting the file')
    .action((file: string, o: ShowOptions) => {
      let bytes: Buffer;
      let trust: SignedFileTrust[] = [];
      let decryptWith: KeyObject | { manualKey: Uint8Array } | undefined;
      try {
        bytes = readFileSync(file);
        for (const t of o.trust ?? []) trust = trust.concat(loadTrust(t));
        if (o.key) decryptWith = createPrivateKey(readFileSync(o.key));
        if (o.manualKey) {
          if (!/^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(o.manualKey)) throw new Error('--manual-key must be 32 or 64 hex digits');
          decryptWith = { manualKey: Buffer.from(o.manualKey, 'hex') };
        }
      } catch (e) {
        fail(o.json, e);
        return;
      }
      try {
        const d = describeTrustFile(bytes, { nameHint: file, trust, ...(decryptWith ? { decryptWith } : {}), unknownTags: o.lenient ? 'keep' : 'error' });
        process.stdout.write(o.json ? JSON.stringify(d, null, 2) + '\n' : renderDescription(d));
        if (d.verification.status === 'failed' || d.encryption?.decrypted?.ok === false) process.exitCode = 2;
      } catch (e) {
        if (!(e instanceof TlvError)) throw e;
        fail(o.json, e);
      }
    });
}
