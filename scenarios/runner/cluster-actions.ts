// The administrator's steps on the embedded cluster: regenerate a certificate, OS CLI commands (`utils ctl`,
// `utils itl`), Control Center restarts, enterprise parameters / security mode / phone settings (`set`), and Bulk
// Certificate Export/Import between clusters. Like CUCM, a change reaches a service when it restarts: the runner
// restarts nothing by itself. What it does do is what the phones would: reset when the cluster resets them
// automatically, and register again when Cisco CallManager restarts under them.
import type { OperationResult } from '../../engine/cluster/index.js';
import type { CliStep, ImportCertificatesStep, ObservedFacts, RegenerateStep, RestartStep, SetStep, StepContext, StepObservation, SubjectObservation } from '../model.js';
import { clusterFacts } from './facts.js';
import { automaticResets, registerPhone } from './phone-actions.js';
import { clusterOf, mapLimit, phoneOf, type ClusterHandle, type World } from './world.js';

function observation(h: ClusterHandle, result: OperationResult | undefined, phones: SubjectObservation[], extraWarnings: string[] = []): StepObservation {
  const facts: ObservedFacts = {
    outcome: 'ok',
    cluster: clusterFacts(h.cluster, { phoneResets: result?.phoneResets ?? 0, warnings: [...(result?.warnings ?? []), ...extraWarnings] }),
  };
  if (result?.message) facts.reason = result.message;
  return { outcome: 'ok', subjects: [{ subject: h.name, kind: 'cluster', facts }, ...phones] };
}

export async function regenerateStep(w: World, step: RegenerateStep, ctx: StepContext): Promise<StepObservation> {
  const h = clusterOf(w, step.cluster);
  const r = await h.cluster.regenerate(step.certificate, {
    ...(step.node ? { node: step.node } : {}),
    ...(step.keyType ? { keyType: step.keyType } : {}),
    ...(step.keySize ? { keySize: step.keySize } : {}),
    ...(step.hash ? { hash: step.hash } : {}),
  });
  ctx.log.info(`${h.name}: ${r.message}${r.servicesToRestart.length ? `; restart ${r.servicesToRestart.join(', ')} for it to take effect` : ''}`);
  const phones = await automaticResets(w, h, ctx);
  return observation(h, r, phones);
}

export async function cliStep(w: World, step: CliStep, ctx: StepContext): Promise<StepObservation> {
  const h = clusterOf(w, step.cluster);
  const c = h.cluster;
  let r: OperationResult;
  switch (step.command) {
    case 'utils ctl set-cluster mixed-mode':
      r = await c.setSecurityMode('mixed');
      break;
    case 'utils ctl set-cluster non-secure-mode':
      r = await c.setSecurityMode('non-secure');
      break;
    case 'utils ctl update CTLFile':
      r = await c.ctlUpdate();
      break;
    case 'utils ctl reset localkey':
      r = await c.ctlResetLocalKey();
      break;
    case 'utils itl reset localkey':
      r = await c.itlResetLocalKey();
      break;
    default:
      throw new Error(`"${step.command}" is not emulated by the embedded cluster`);
  }
  ctx.log.info(`${h.name}: ${r.message}`);
  const phones = await automaticResets(w, h, ctx);
  return observation(h, r, phones);
}

export async function restartStep(w: World, step: RestartStep, ctx: StepContext): Promise<StepObservation> {
  const h = clusterOf(w, step.cluster);
  const registered = [...w.phones.values()].filter((p) => p.cluster === h && p.phone.sip?.registered);
  const r = await h.cluster.restartServices(step.services);
  ctx.log.info(`${h.name}: ${r.message}`);
  let phones: SubjectObservation[] = [];
  // Cisco CallManager closed every SIP connection: its phones register again (with what it loaded now).
  if (step.services.includes('Cisco CallManager') && registered.length) {
    h.endpoints = h.cluster.endpoints();
    phones = (await mapLimit(registered, 16, (p) => registerPhone(w, p, ctx))).map((x) => x.subject);
  }
  return observation(h, r, phones);
}

export async function setStep(w: World, step: SetStep, ctx: StepContext): Promise<StepObservation> {
  const h = clusterOf(w, step.cluster);
  const c = h.cluster;
  let last: OperationResult | undefined;
  const warnings: string[] = [];
  if (step.securityMode) last = await c.setSecurityMode(step.securityMode);
  if (step.parameters && Object.keys(step.parameters).length) {
    last = await c.setParameters(step.parameters);
    if (last.servicesToRestart.length) warnings.push(`restart ${last.servicesToRestart.join(', ')} for the change to take effect`);
  }
  if (step.capf && Object.keys(step.capf).length) throw new Error('changing CAPF settings in a step is not supported by the embedded cluster yet');
  for (const name of step.phones) {
    const p = phoneOf(w, name);
    const ph = step.phone ?? {};
    const dev = p.cluster.cluster.device(p.name);
    if (!dev) throw new Error(`phone ${name} is not configured on cluster ${p.cluster.name}`);
    const capf: Record<string, unknown> = { ...(ph.authMode ? { authMode: ph.authMode } : {}), ...(ph.authString !== undefined ? { authString: ph.authString } : {}), ...(ph.capfOperation ? { operation: ph.capfOperation } : {}) };
    // A phone leaving By Authentication String drops its old string: the cluster would submit it to CAPF again,
    // which refuses a string already used ("one-time use only").
    const mode = ph.authMode ?? dev.capf.authMode ?? p.cluster.cluster.config.phoneProfiles[ph.profile ?? dev.profile]?.authMode;
    if (ph.authString === undefined && dev.capf.authString !== undefined && mode !== 'auth-string') capf.authString = undefined;
    await p.cluster.cluster.updateDevice(p.name, {
      ...(ph.profile ? { profile: ph.profile } : {}),
      ...(Object.keys(capf).length ? { capf } : {}),
    });
    ctx.log.info(`${p.cluster.name}: phone ${name} changed (${Object.keys(ph).join(', ')})`);
  }
  const phones = await automaticResets(w, h, ctx);
  return observation(h, last, phones, warnings);
}

/** Purposes as Bulk Certificate Management names its types. */
const BULK_TYPES: Partial<Record<string, string>> = { CallManager: 'TFTP', ITLRecovery: 'ITLRecovery', TVS: 'TVS', tomcat: 'tomcat', CAPF: 'CAPF' };

export async function importCertificatesStep(w: World, step: ImportCertificatesStep, ctx: StepContext): Promise<StepObservation> {
  const from = clusterOf(w, step.from);
  const into = clusterOf(w, step.into);
  const types = step.certificates.map((p) => {
    const t = BULK_TYPES[p];
    if (!t) throw new Error(`Bulk Certificate Management does not export ${p} (it exports ${Object.keys(BULK_TYPES).join(', ')})`);
    return t;
  });
  const bundle = from.cluster.bulkExport(types);
  const results = await into.cluster.bulkImport(bundle, types);
  ctx.log.info(`${into.name}: imported from ${from.name}: ${results.map((r) => `${r.type} ${r.subject} ${r.action}`).join('; ')}`);
  return observation(into, undefined, []);
}
