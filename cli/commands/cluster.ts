// `trustline cluster start`: the emulated cluster in the foreground (TFTP/HTTP/HTTPS, TVS, CAPF, SIP) for real phones
// or other tools, until SIGINT/SIGTERM; `trustline cluster show`: its configuration and state without starting it.
import type { Command } from 'commander';
import Table from 'cli-table3';
import { createHash } from 'node:crypto';
import { getLogLevel, logger, setLogLevel } from '../../common/log.js';
import { B2bua } from '../../engine/calls/index.js';
import type { PhoneDevice } from '../../engine/sip/index.js';
import { builtinModels } from '../../endpoints/index.js';
import { EmbeddedCluster, loadClusterConfigFile, parsePortsSpec, type ClusterConfig, type ClusterEndpoints, type ServiceAddress } from '../../engine/cluster/index.js';
import type { Purpose } from '../../engine/pki/index.js';
import { EnterpriseCa } from '../../engine/pki/enterprise-ca.js';
import { join } from 'node:path';

const journalLog = logger('cluster.journal');
const DEFAULT_STATE_DIR = '.trustline/cluster';
/** A privileged port this process may not bind moves up by this much (69 → 10069). */
const PRIVILEGED_PORT_OFFSET = 10_000;

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

function certText(cluster: EmbeddedCluster, purposes: Purpose[]): string {
  return purposes
    .map((p) => {
      const c = cluster.pki.certificate(p);
      const key = c.keyType === 'EC' ? `EC ${c.keySize}` : `RSA ${c.keySize}`;
      return `${p}: ${c.certificate.subjectCN ?? c.certificate.subject} (${key}, to ${c.certificate.notAfter.toISOString().slice(0, 10)}, SHA-256 ${c.certificate.fingerprintSha256.slice(0, 16)}…)`;
    })
    .join('\n');
}

/** The services table: one row per door with where it listens and the certificate(s) it presents. */
export function servicesTable(cluster: EmbeddedCluster, e: ClusterEndpoints): string {
  const table = new Table({ head: ['Service', 'Door', 'Listening on', 'Certificate'], style: { head: [], border: [] } });
  const at = (a?: ServiceAddress) => (a ? `${e.bind}:${a.port}` : 'off');
  table.push(['Cisco CallManager', 'SIP UDP', at(e.sip.udp), '-']);
  table.push(['', 'SIP TCP', at(e.sip.tcp), '-']);
  table.push(['', 'SIP TLS', at(e.sip.tls), certText(cluster, ['CallManager', 'CallManager-ECDSA'])]);
  table.push(['Cisco TFTP', 'TFTP', at(e.tftp), '-']);
  table.push(['', 'HTTP', at(e.http), '-']);
  table.push(['', 'HTTPS', at(e.https6971), certText(cluster, ['CallManager', 'CallManager-ECDSA'])]);
  table.push(['Cisco Tomcat', 'HTTPS', at(e.https6972), certText(cluster, ['tomcat', 'tomcat-ECDSA'])]);
  table.push(['Cisco Trust Verification Service', 'TLS', at(e.tvs), certText(cluster, ['TVS'])]);
  table.push(['Cisco Certificate Authority Proxy Function', 'TLS', at(e.capf), cluster.config.capf.active ? certText(cluster, ['CAPF']) : 'CAPF not activated']);
  return table.toString();
}

function summary(cluster: EmbeddedCluster, e: ClusterEndpoints): string {
  const s = cluster.status();
  const itl = cluster.itl().bytes;
  const ctl = cluster.ctl();
  const ports = Object.entries(cluster.config.network.ports).map(([k, v]) => `${k} ${v === false ? 'off' : v === 0 ? 'any' : v}`);
  const lines = [
    `cluster ${cluster.name} (${e.fqdn}), ${s.securityMode} mode, state ${cluster.stateDir}`,
    cluster.running
      ? `phones see ${e.advertise}: TFTP ${e.fileServer.tftpPort ?? 'off'}, CallManager ${e.callManagers.map((m) => `${m.sipPort}/${m.securedSipPort}`).join(', ')}, TVS ${e.tvsMembers.map((t) => `${t.address}:${t.port}`).join(', ') || 'none'}, CAPF ${e.capfServers.map((c) => `${c.processNodeName}:${c.phonePort}`).join(', ') || 'none'}`
      : `not running; listens on ${cluster.config.network.bind} when started: ${ports.join(', ')}`,
    `ITLFile.tlv: ${itl.length} bytes, SHA-1 ${createHash('sha1').update(itl).digest('hex')}, signed by ${s.itlSigner === 'itlRecovery' ? 'ITLRecovery' : 'CallManager (utils itl reset localkey)'}${s.prepareClusterForRollback ? ', rollback (empty TVS/TFTP entries)' : ''}`,
    ctl ? `CTLFile.tlv: ${ctl.length} bytes, SHA-1 ${createHash('sha1').update(ctl).digest('hex')}` : 'CTLFile.tlv: none (non-secure mode)',
    `phones: ${Object.values(cluster.config.devices).map((d) => `${d.label} ${d.name} (${d.profile}, ${d.lines.map((l) => l.dn).join('/') || 'no line'})`).join('; ') || 'none'}`,
  ];
  for (const w of e.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

interface StartOpts {
  state: string;
  enterpriseCa?: string;
  config?: string;
  bind?: string;
  ports?: string;
  mixed?: boolean;
  json?: boolean;
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('the emulated CUCM-like cluster (TFTP/HTTP/HTTPS, TVS, CAPF, SIP)');

  cluster
    .command('start')
    .description('run the cluster in the foreground until SIGINT/SIGTERM (created in --state on first use)')
    .option('--state <dir>', 'cluster state directory (PKI, CAPF, configuration)', DEFAULT_STATE_DIR)
    .option('--config <file>', 'cluster configuration (YAML, engine/cluster/cluster.schema.json); replaces the stored one')
    .option('--bind <addr>', 'address every service listens on (default 127.0.0.1)')
    .option('--ports <spec>', '0 (chosen by the OS), a base port N (SIP N, SIP TLS N+1, TFTP N+2, HTTP N+3, HTTPS N+4/N+5, TVS N+6, CAPF N+7), or a list like tftp=6969,capf=off')
    .option('--mixed', 'cluster security mode mixed (utils ctl set-cluster mixed-mode)')
    .option('--enterprise-ca <dir>', 'the emulated enterprise CA (created there on first use) that signs the certificates marked signedBy: enterprise-ca and issues LSCs for capf.onlineCa; clusters given the same one trust each other (default <state>/enterprise-ca)')
    .option('--json', 'print the endpoints as one JSON line instead of the table')
    .action(async (o: StartOpts) => {
      const quiet = getLogLevel() === 'error';
      if (!quiet && getLogLevel() === 'warn') setLogLevel('info');
      const config: ClusterConfig | undefined = o.config ? await loadClusterConfigFile(o.config) : undefined;
      const c = await EmbeddedCluster.openOrCreate({ stateDir: o.state, ...(config ? { config, configSource: o.config } : {}), privilegedPortOffset: PRIVILEGED_PORT_OFFSET });
      try {
        if (o.bind || o.ports) await c.setNetwork({ ...(o.bind ? { bind: o.bind } : {}), ...(o.ports ? { ports: parsePortsSpec(o.ports) } : {}) });
        if (o.mixed && c.securityMode !== 'mixed') await c.setSecurityMode('mixed');
        // The administrator's steps before the services start: CA-signed certificates, then CAPF's Online CA mode.
        const wantsCa = Object.values(c.config.certificates).some((x) => x?.signedBy === 'enterprise-ca') || !!c.config.capf.onlineCa;
        if (wantsCa) {
          const online = c.config.capf.onlineCa;
          const ca = await EnterpriseCa.openOrCreate(o.enterpriseCa ?? join(o.state, 'enterprise-ca'), { commonName: online?.hostname ?? `${c.config.domain} enterprise CA` });
          await c.useEnterpriseCa(ca);
          if (online) await c.useOnlineCa(ca);
        }
      } catch (e) {
        await c.close();
        throw e;
      }
      let endpoints: ClusterEndpoints;
      try {
        endpoints = await c.start();
      } catch (e) {
        await c.close();
        throw e;
      }
      // Call routing (engine/calls): lines, then the configuration's route patterns to its trunks; each line's SRTP
      // capabilities from its device's model.
      const lineMedia = (device: PhoneDevice | undefined) => {
        const m = device?.model !== undefined ? builtinModels.find(String(device.model)) : undefined;
        return m ? { capabilities: m.srtp.suites } : undefined;
      };
      const b2bua = new B2bua(() => c.sipServer, { srtpCiphers: () => c.srtpPolicy(), lineMedia, routePlan: c.routePlan() });
      for (const m of B2bua.HANDLED_METHODS) c.onSipRequest(m, b2bua.handler);
      // What a person watching the cluster wants to see as it happens: registrations, refusals, CAPF sessions.
      const offJournal = c.journal.onEvent((ev) => {
        if (ev.kind === 'sip-registration' || ev.kind === 'sip-refusal' || ev.kind === 'capf-session' || ev.kind === 'phone-reset') journalLog.info(ev.message);
      });
      b2bua.on('ended', (r) => {
        if (!quiet && !o.json) out(`call #${r.id} ${r.legs.A.device ?? r.legs.A.dn} -> ${r.dialled}: ${r.end?.reason ?? r.state}, ${r.security?.status ?? 'no security status'}${r.media?.suite ? `, ${r.media.suite}` : ''}`);
      });
      if (o.json) out(JSON.stringify(endpoints));
      else {
        out(summary(c, endpoints));
        out(servicesTable(c, endpoints));
        out('running; Ctrl-C (SIGINT) or SIGTERM stops it');
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          process.stderr.write(`trustline: ${signal}: stopping cluster ${c.name}\n`);
          resolve();
        };
        const onInt = () => stop('SIGINT');
        const onTerm = () => stop('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
      });
      offJournal();
      await b2bua.close().catch(() => undefined);
      await c.close();
      if (!o.json) out(`cluster ${c.name} stopped`);
    });

  cluster
    .command('show')
    .description('print the stored configuration and state of a cluster without starting it')
    .option('--state <dir>', 'cluster state directory', DEFAULT_STATE_DIR)
    .option('--json', 'machine-readable output')
    .action(async (o: { state: string; json?: boolean }) => {
      const c = await EmbeddedCluster.open({ stateDir: o.state });
      try {
        const s = c.status();
        if (o.json) return out(JSON.stringify({ status: s, config: c.config }, null, 2));
        out(summary(c, c.endpoints()));
        if (s.pendingRestarts.length) out(`services to restart: ${s.pendingRestarts.join(', ')}`);
        if (s.ctlUpdateRequired.length) out(`CTL update required (utils ctl update CTLFile): ${s.ctlUpdateRequired.join(', ')}`);
        if (s.pendingPhoneResets) out(`phone resets pending: ${s.pendingPhoneResets}`);
      } finally {
        await c.close();
      }
    });
}
