// `trustline pki …`: create the emulated cluster's certificates, show them, regenerate one, CSR/upload, trust stores.
import type { Command } from 'commander';
import Table from 'cli-table3';
import { readFileSync, writeFileSync } from 'node:fs';
import { ClusterPki, type IdentityCertificate } from '../../engine/pki/cluster-pki.js';
import type { PkiEvent } from '../../engine/pki/events.js';
import { parsePurpose } from '../../engine/pki/purposes.js';

export const DEFAULT_STATE_DIR = '.trustline/cluster';

interface StateOpts {
  state: string;
  json?: boolean;
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function keyText(c: IdentityCertificate): string {
  return c.keyType === 'EC' ? `EC ${c.keySize} (${c.curve})` : `RSA ${c.keySize}`;
}

function certificateTable(certs: IdentityCertificate[]): string {
  const table = new Table({
    head: ['Purpose', 'Node', 'Key', 'Signature', 'Subject', 'Issuer', 'Valid from', 'Valid to', 'Serial', 'SHA-256 fingerprint'],
    style: { head: [], border: [] },
  });
  for (const c of certs) {
    const i = c.certificate;
    table.push([
      c.purpose + (c.multiServer ? ' (multi-server)' : ''),
      c.node,
      keyText(c),
      `${i.signatureHash ?? '?'}with${i.signatureKeyType === 'EC' ? 'ECDSA' : 'RSA'}`,
      i.subjectCN ?? i.subject,
      c.signedBy === 'self' ? 'self-signed' : (i.issuerCN ?? i.issuer),
      day(i.notBefore),
      day(i.notAfter),
      i.serialHex.replace(/(.{16})(?=.)/g, '$1\n'),
      i.fingerprintSha256.replace(/(.{16})(?=.)/g, '$1\n'),
    ]);
  }
  return table.toString();
}

function eventText(e: PkiEvent): string {
  const lines = [`#${e.seq} ${e.message}`];
  if (e.certificate) lines.push(`  certificate: serial ${e.certificate.serialHex}, SHA-256 ${e.certificate.fingerprintSha256}`);
  if (e.effects) {
    const f = e.effects;
    lines.push(`  restarted automatically: ${f.servicesRestartedAutomatically.join(', ') || '-'}`);
    lines.push(`  services to restart: ${f.servicesToRestart.join(', ') || '-'}`);
    lines.push(`  ITL rebuilt: ${f.itlRebuilt ? 'yes' : 'no'}; CTL update in mixed mode: ${f.ctlUpdateIfMixedMode ? 'yes' : 'no'}; phone reset rounds: ${f.phoneResetRounds}`);
    for (const n of f.notes) lines.push(`  note: ${n}`);
    lines.push(`  sources: ${f.sources.join(', ')}`);
  }
  if (e.outOfOrder) lines.push(`  OUT OF ORDER: phone restarts of events ${e.outOfOrder.pendingEvents.map((s) => `#${s}`).join(', ')} (${e.outOfOrder.pendingPurposes.join(', ')}) were still pending`);
  for (const w of e.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

function stateOption(cmd: Command): Command {
  return cmd.option('--state <dir>', 'cluster state directory', DEFAULT_STATE_DIR).option('--json', 'machine-readable output');
}

export function registerPki(program: Command): void {
  const pki = program.command('pki').description("the emulated cluster's certificates, trust stores and CAPF/LSC material");

  stateOption(pki.command('init'))
    .description('create a cluster: self-signed certificates for every purpose and node, trust stores, an emulated Cisco manufacturing CA')
    .option('--hostname <name>', 'publisher host name', 'cucm-pub')
    .option('--domain <domain>', 'parent domain', 'trustline.test')
    .option('--subscriber <name>', 'another node (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--fips', 'FIPS mode (no SHA1, no EC LSCs)')
    .option('--force', 'replace an existing cluster state')
    .action(async (o: StateOpts & { hostname: string; domain: string; subscriber: string[]; fips?: boolean; force?: boolean }) => {
      const cluster = await ClusterPki.create(o.state, { hostname: o.hostname, domain: o.domain, subscribers: o.subscriber, fips: o.fips ?? false, force: o.force ?? false });
      if (o.json) return json(cluster.describe());
      out(`cluster state created in ${cluster.dir} (nodes ${cluster.nodes.join(', ')})`);
      out(certificateTable(cluster.certificates()));
    });

  stateOption(pki.command('show'))
    .description('print the certificates (key, subject, issuer, validity, serial, SHA-256), trust stores and pending work')
    .action(async (o: StateOpts) => {
      const cluster = await ClusterPki.open(o.state);
      if (o.json) return json(cluster.describe());
      out(`cluster state ${cluster.dir} (generation ${cluster.generation}; nodes ${cluster.nodes.join(', ')}${cluster.settings.fips ? '; FIPS mode' : ''})`);
      out(certificateTable(cluster.certificates()));
      const trust = new Table({ head: ['Trust store', 'Subject', 'Valid to', 'SHA-256 (first 16)'], style: { head: [], border: [] } });
      for (const store of cluster.trustStoreNames()) {
        for (const t of cluster.trustStore(store)) trust.push([store, t.subject, t.notAfter.replace(/\.\d{3}Z$/, 'Z'), t.fingerprintSha256.slice(0, 16)]);
      }
      out(trust.toString());
      const pending = cluster.pendingPhoneResets();
      if (pending.length) out(`phone restarts pending after: ${pending.map((p) => `${p.purpose} on ${p.node} (#${p.seq})`).join(', ')}`);
      const csrs = cluster.certificates().filter((c) => cluster.pendingCsr(c.purpose, c.node));
      if (csrs.length) out(`pending CSRs: ${csrs.map((c) => `${c.purpose} on ${c.node}`).join(', ')}`);
      out(`LSCs issued: ${cluster.lscs().length}`);
    });

  stateOption(pki.command('regen <purpose>'))
    .description('regenerate the self-signed certificate of a purpose (same key length unless --key-size/--hash) and print its documented effects')
    .option('--node <name>', 'node (default: the publisher)')
    .option('--key-size <bits>', 'new key length (Generate Self-Signed Certificate)', (v: string) => Number.parseInt(v, 10))
    .option('--hash <alg>', 'new hash algorithm (SHA1, SHA256, SHA384, SHA512)')
    .action(async (purpose: string, o: StateOpts & { node?: string; keySize?: number; hash?: string }) => {
      const cluster = await ClusterPki.open(o.state);
      const event = await cluster.regenerate(parsePurpose(purpose), { ...(o.node ? { node: o.node } : {}), ...(o.keySize !== undefined ? { keySize: o.keySize } : {}), ...(o.hash ? { hash: o.hash } : {}) });
      if (o.json) return json(event);
      out(eventText(event));
    });

  stateOption(pki.command('csr <purpose>'))
    .description('generate a certificate signing request (new private key; replaces a pending CSR)')
    .option('--node <name>', 'node (default: the publisher)')
    .option('--multi-server', 'multi-server (SAN) certificate for every node')
    .option('--key-size <bits>', 'key length', (v: string) => Number.parseInt(v, 10))
    .option('--hash <alg>', 'hash algorithm')
    .option('--out <file>', 'write the CSR (PEM) to a file instead of stdout')
    .action(async (purpose: string, o: StateOpts & { node?: string; multiServer?: boolean; keySize?: number; hash?: string; out?: string }) => {
      const cluster = await ClusterPki.open(o.state);
      const csr = await cluster.generateCsr(parsePurpose(purpose), {
        ...(o.node ? { node: o.node } : {}),
        ...(o.multiServer ? { multiServer: true } : {}),
        ...(o.keySize !== undefined ? { keySize: o.keySize } : {}),
        ...(o.hash ? { hash: o.hash } : {}),
      });
      if (o.out) writeFileSync(o.out, csr.pem);
      if (o.json) return json({ ...csr, pem: o.out ? undefined : csr.pem });
      if (o.out) out(`${csr.subject} → ${o.out}`);
      else out(csr.pem);
    });

  stateOption(pki.command('upload <purpose> <file>'))
    .description('upload the CA-signed certificate (PEM/DER, optionally followed by intermediates) answering a CSR')
    .option('--node <name>', 'node (default: the publisher)')
    .action(async (purpose: string, file: string, o: StateOpts & { node?: string }) => {
      const cluster = await ClusterPki.open(o.state);
      const events = await cluster.uploadCertificate(parsePurpose(purpose), readFileSync(file), o.node ? { node: o.node } : {});
      if (o.json) return json(events);
      out(events.map(eventText).join('\n'));
    });

  const trust = pki.command('trust').description('trust stores (CallManager-trust, tomcat-trust, CAPF-trust, Phone-SAST-trust, …)');
  stateOption(trust.command('list [store]'))
    .description('list a trust store (or all)')
    .action(async (store: string | undefined, o: StateOpts) => {
      const cluster = await ClusterPki.open(o.state);
      const stores = store ? [store] : [...cluster.trustStoreNames()];
      const entries = stores.flatMap((s) => cluster.trustStore(s));
      if (o.json) return json(entries.map(({ certificate: _c, ...e }) => e));
      const table = new Table({ head: ['Trust store', 'Subject', 'Serial', 'Valid to', 'SHA-256'], style: { head: [], border: [] } });
      for (const e of entries) table.push([e.trustStore, e.subject, e.serialHex, e.notAfter, e.fingerprintSha256]);
      out(table.toString());
    });
  stateOption(trust.command('import <store> <file>'))
    .description('upload a certificate or chain (PEM/DER) to a trust store')
    .option('--description <text>', 'description')
    .action(async (store: string, file: string, o: StateOpts & { description?: string }) => {
      const cluster = await ClusterPki.open(o.state);
      const results = await cluster.importTrustCertificate(store, readFileSync(file), o.description ? { description: o.description } : {});
      if (o.json) return json(results.map((r) => ({ action: r.action, subject: r.entry.subject, fingerprintSha256: r.entry.fingerprintSha256, event: r.event })));
      for (const r of results) out(`${r.action}: ${r.entry.subject} (${r.entry.fingerprintSha256})${r.event?.warnings.length ? '\n  warning: ' + r.event.warnings.join('\n  warning: ') : ''}`);
    });
  stateOption(trust.command('delete <store> <certificate>'))
    .description('delete a certificate from a trust store, named by SHA-256 fingerprint (or 8+ digit prefix) or common name')
    .action(async (store: string, certRef: string, o: StateOpts) => {
      const cluster = await ClusterPki.open(o.state);
      const event = await cluster.deleteTrustCertificate(store, certRef);
      if (o.json) return json(event);
      out(eventText(event));
    });
}
