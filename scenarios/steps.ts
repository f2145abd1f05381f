// The steps of a scenario, normalized: one StepSpec per action with its phones and calls resolved, `repeat`
// expanded into sequences of copies, groups (parallel/sequence) kept as a tree. Walking the steps in order, it
// tracks which phones have booted and registered, which calls exist and which faults are active, so it can point
// at a call between unregistered phones or an answer to an unknown call before anything runs.
import type * as D from './document.js';
import type {
  ActionStep,
  CallLeg,
  ExpectationSpec,
  FaultSpec,
  GroupStep,
  PhoneSpec,
  SourceLocation,
  StepSpec,
} from './model.js';
import { STEP_KINDS, type ActionKind, type StepKind } from './vocabulary.js';
import { formatPath, listWords, type PathSegment } from './errors.js';
import { BuildContext, asArray, durationMs, formatDuration, unknownName } from './build-context.js';
import { buildExpectations, expectsCallFailure, expectsRegistrationFailure } from './expectations.js';
import { capfPatch, parametersPatch, type Declarations } from './declarations.js';

/** Upper bounds after expansion: a plan larger than this is a mistake (or needs a bigger machine). */
export const MAX_ACTION_STEPS = 100_000;
export const MAX_CALLS_PER_STEP = 100_000;
export const DEFAULT_FANOUT_CONCURRENCY = 16;

/** The fields every action step shares, before its kind and name are known. */
interface Base {
  id: string;
  location: SourceLocation;
  template: string;
  iteration: number[];
  timeoutMs: number;
  expect: ExpectationSpec;
}

interface CallState {
  leg: CallLeg;
  /** Who holds it, when on hold. */
  heldBy?: string;
  ended: boolean;
}

class StepBuilder {
  readonly ctx: BuildContext;
  readonly decl: Declarations;
  readonly stepTimeoutMs: number;
  readonly scenarioTimeoutMs: number;
  readonly phoneNames: string[];
  readonly phoneByName: Map<string, PhoneSpec>;
  readonly clusterNames: string[];
  readonly booted = new Set<string>();
  readonly registered = new Set<string>();
  /** Why a phone is not registered (shown when a call needs it). */
  readonly unregisteredWhy = new Map<string, string>();
  readonly phoneCluster = new Map<string, string>();
  /** Call base id (as written) → the legs of its latest declaration. */
  readonly callsById = new Map<string, CallState[]>();
  readonly calls: CallState[] = [];
  readonly faults = new Map<string, FaultSpec>();
  faultCounter = 0;
  actionSteps = 0;
  expectations = 0;
  tooBig = false;

  constructor(ctx: BuildContext, decl: Declarations, stepTimeoutMs: number, scenarioTimeoutMs: number) {
    this.ctx = ctx;
    this.decl = decl;
    this.stepTimeoutMs = stepTimeoutMs;
    this.scenarioTimeoutMs = scenarioTimeoutMs;
    this.phoneNames = decl.phones.map((p) => p.name);
    this.phoneByName = new Map(decl.phones.map((p) => [p.name, p]));
    this.clusterNames = decl.clusters.map((c) => c.name);
    for (const p of decl.phones) this.phoneCluster.set(p.name, p.cluster);
  }

  // ---- names -------------------------------------------------------------------------------------------------

  /** A phone, group or "all" → phone names; undefined when unknown. */
  phonesNamed(name: string): string[] | undefined {
    if (name === 'all') return [...this.phoneNames];
    if (this.decl.groups[name]) return [...this.decl.groups[name]!];
    if (this.phoneByName.has(name)) return [name];
    return undefined;
  }

  knownTargets(): string[] {
    return [...this.phoneNames, ...Object.keys(this.decl.groups)];
  }

  targets(value: D.PhoneTargets | undefined, path: PathSegment[]): string[] {
    const out: string[] = [];
    const list = asArray(value);
    for (const [i, name] of list.entries()) {
      const at = Array.isArray(value) ? [...path, i] : path;
      const names = this.phonesNamed(name);
      if (!names) this.ctx.error(at, unknownName('phone', name, this.knownTargets()));
      else for (const n of names) if (!out.includes(n)) out.push(n);
    }
    return out;
  }

  cluster(name: string | undefined, path: PathSegment[]): string {
    if (name === undefined) return this.clusterNames[0] ?? '';
    if (!this.clusterNames.includes(name)) this.ctx.error(path, unknownName('cluster', name, this.clusterNames));
    return name;
  }

  node(clusterName: string, node: string | undefined, path: PathSegment[]): string | undefined {
    if (node === undefined) return undefined;
    const c = this.decl.clusters.find((x) => x.name === clusterName);
    if (c && ![c.hostname, ...c.subscribers].includes(node)) this.ctx.error(path, unknownName(`node of cluster ${clusterName}`, node, [c.hostname, ...c.subscribers]));
    return node;
  }

  // ---- walking ------------------------------------------------------------------------------------------------

  list(items: D.StepDocument[], path: PathSegment[], idPrefix: string, iteration: number[], depth: number): StepSpec[] {
    const out: StepSpec[] = [];
    for (const [i, item] of items.entries()) {
      if (this.tooBig) break;
      const id = idPrefix ? `${idPrefix}.${i + 1}` : `${i + 1}`;
      const s = this.item(item, [...path, i], id, iteration, depth);
      if (s) out.push(s);
    }
    return out;
  }

  item(item: D.StepDocument, path: PathSegment[], id: string, iteration: number[], depth: number): StepSpec | undefined {
    if (item === null || typeof item !== 'object') return undefined;
    const kinds = stepKinds(item);
    if (kinds.length !== 1) return undefined; // reported by multiActionErrors (or the schema)
    const kind = kinds[0]!;
    const repeat = item.repeat ?? 1;
    if (repeat === 1) return this.one(kind, item, path, id, iteration, depth);
    const children: StepSpec[] = [];
    for (let r = 1; r <= repeat && !this.tooBig; r++) {
      const child = this.one(kind, item, path, `${id}#${r}`, [...iteration, r], depth + 1);
      if (child) children.push(child);
    }
    const first = children[0];
    const group: GroupStep = {
      id,
      kind: 'sequence',
      name: `${first?.name ?? kind} ×${repeat}`,
      location: this.ctx.location(path),
      template: formatPath(path),
      iteration,
      timeoutMs: this.scenarioTimeoutMs,
      expect: { leaves: [], implicitOk: false },
      children,
      concurrency: 1,
      repeat,
    };
    return group;
  }

  one(kind: StepKind, item: D.StepDocument, path: PathSegment[], id: string, iteration: number[], depth: number): StepSpec | undefined {
    const location = this.ctx.location(path);
    if (kind === 'parallel' || kind === 'sequence') {
      if (item.expect) this.ctx.error([...path, 'expect'], `expect is not supported on a ${kind} group: put the expectations on its steps`, 'key');
      const children = this.list((item[kind] ?? []) as D.StepDocument[], [...path, kind], id, iteration, depth + 1);
      return {
        id,
        kind,
        name: item.name ?? `${kind} (${children.length} steps)`,
        location,
        template: formatPath(path),
        iteration,
        timeoutMs: item.timeout !== undefined ? durationMs(item.timeout) : this.scenarioTimeoutMs,
        expect: { leaves: [], implicitOk: false },
        children,
        concurrency: kind === 'sequence' ? 1 : (item.concurrency ?? Math.max(1, children.length)),
      };
    }
    if (++this.actionSteps > MAX_ACTION_STEPS) {
      this.tooBig = true;
      this.ctx.error(path, `the plan has more than ${MAX_ACTION_STEPS} action steps after repetition: lower repeat (or use count and fan-out, which run inside one step)`, 'owner');
      return undefined;
    }
    const expect = buildExpectations(this.ctx, item.expect, [...path, 'expect'], (n) => this.phonesNamed(n), this.knownTargets());
    this.expectations += expect.leaves.length + (expect.implicitOk ? 1 : 0);
    const base = {
      id,
      location,
      template: formatPath(path),
      iteration,
      timeoutMs: item.timeout !== undefined ? durationMs(item.timeout) : this.stepTimeoutMs,
      expect,
    };
    const concurrency = item.concurrency ?? DEFAULT_FANOUT_CONCURRENCY;
    const step = this.action(kind as ActionKind, item, [...path, kind], base, concurrency, id);
    if (!step) return undefined;
    return { ...step, name: item.name ?? step.name } as ActionStep;
  }

  // ---- actions ------------------------------------------------------------------------------------------------

  action(
    kind: ActionKind,
    item: D.StepDocument,
    at: PathSegment[],
    base: Base,
    concurrency: number,
    id: string,
  ): ActionStep | undefined {
    const ctx = this.ctx;
    const targetsText = (v: D.PhoneTargets) => asArray(v).join(', ');
    switch (kind) {
      case 'boot': {
        const d: D.BootDocument = typeof item.boot === 'object' && !Array.isArray(item.boot) ? item.boot : { phones: item.boot! };
        const phonesAt = typeof item.boot === 'object' && !Array.isArray(item.boot) ? [...at, 'phones'] : at;
        const phones = this.targets(d.phones, phonesAt);
        const register = d.register ?? true;
        for (const p of phones) {
          this.booted.add(p);
          this.noteRegistration(p, register, item.expect, base.location, register ? 'boot' : 'boot with register: false');
        }
        return { ...base, kind, name: `boot ${targetsText(d.phones)}`, phones, register, door: d.door ?? 'tftp', concurrency };
      }
      case 'register': {
        const d: D.RegisterDocument = typeof item.register === 'object' && !Array.isArray(item.register) ? item.register : { phones: item.register! };
        const phonesAt = typeof item.register === 'object' && !Array.isArray(item.register) ? [...at, 'phones'] : at;
        const phones = this.targets(d.phones, phonesAt);
        for (const p of phones) {
          if (!this.booted.has(p)) ctx.error(phonesAt, `phone '${p}' has not booted yet: boot it in an earlier step`);
          this.noteRegistration(p, true, item.expect, base.location, 'register');
        }
        return { ...base, kind, name: `register ${targetsText(d.phones)}`, phones, concurrency };
      }
      case 'enroll': {
        const d: D.EnrollDocument = typeof item.enroll === 'object' && !Array.isArray(item.enroll) ? item.enroll : { phones: item.enroll! };
        const phonesAt = typeof item.enroll === 'object' && !Array.isArray(item.enroll) ? [...at, 'phones'] : at;
        const phones = this.targets(d.phones, phonesAt);
        for (const p of phones) if (!this.booted.has(p)) ctx.error(phonesAt, `phone '${p}' has not booted yet: boot it (register: false is enough) before it enrolls`);
        return {
          ...base,
          kind,
          name: `enroll ${targetsText(d.phones)}`,
          phones,
          ...(d.authString !== undefined ? { authString: String(d.authString) } : {}),
          operation: d.operation ?? 'install-upgrade',
          concurrency,
        };
      }
      case 'call':
        return this.call(item, at, base, concurrency, id);
      case 'answer':
      case 'hold':
      case 'resume':
      case 'hangup':
        return this.callAction(kind, item, at, base, concurrency);
      case 'wait': {
        const ms = durationMs(item.wait!);
        return { ...base, kind, name: `wait ${formatDuration(ms)}`, durationMs: ms, timeoutMs: item.timeout !== undefined ? base.timeoutMs : ms + this.stepTimeoutMs };
      }
      case 'regenerate': {
        const d: D.RegenerateDocument = typeof item.regenerate === 'string' ? { certificate: item.regenerate } : item.regenerate!;
        const obj = typeof item.regenerate === 'object';
        const cluster = this.cluster(d.cluster, [...at, 'cluster']);
        const node = this.node(cluster, d.node, [...at, 'node']);
        if (d.keySize !== undefined) {
          const c = this.decl.clusters.find((x) => x.name === cluster);
          const keyType = d.keyType ?? c?.certificates[d.certificate].keyType ?? 'RSA';
          const ok = keyType === 'EC' ? [256, 384, 521] : [1024, 2048, 3072, 4096];
          if (!ok.includes(d.keySize)) ctx.error(obj ? [...at, 'keySize'] : at, `keySize ${d.keySize} is not a${keyType === 'EC' ? 'n EC' : 'n RSA'} key size (${ok.join(', ')})`);
        }
        return {
          ...base,
          kind,
          name: `regenerate ${d.certificate}${this.clusterNames.length > 1 ? ` (${cluster})` : ''}`,
          cluster,
          certificate: d.certificate,
          ...(node ? { node } : {}),
          ...(d.keyType ? { keyType: d.keyType } : {}),
          ...(d.keySize ? { keySize: d.keySize } : {}),
          ...(d.hash ? { hash: d.hash } : {}),
        };
      }
      case 'reset': {
        const obj = typeof item.reset === 'object' && !Array.isArray(item.reset);
        const d: D.ResetDocument = obj ? (item.reset as D.ResetDocument) : { phones: item.reset as D.PhoneTargets };
        let phones: string[] = [];
        let cluster: string | undefined;
        if (d.phones !== undefined) phones = this.targets(d.phones, obj ? [...at, 'phones'] : at);
        if (d.cluster !== undefined) {
          cluster = this.cluster(d.cluster, [...at, 'cluster']);
          for (const [p, c] of this.phoneCluster) if (c === cluster && !phones.includes(p)) phones.push(p);
        }
        if (d.phones === undefined && d.cluster === undefined) ctx.error(at, 'reset needs phones or cluster');
        // a reset phone boots again and registers again if it was registered
        for (const p of phones) if (this.registered.has(p) && expectsRegistrationFailure(item.expect, (n) => this.phonesNamed(n), p)) this.unregister(p, base.location, 'reset');
        return {
          ...base,
          kind,
          name: `${d.type ?? 'reset'} ${d.phones !== undefined ? targetsText(d.phones) : `phones of ${cluster}`}`,
          phones,
          ...(cluster ? { cluster } : {}),
          type: d.type ?? 'reset',
          concurrency,
        };
      }
      case 'move': {
        const d = item.move!;
        const phones = this.targets(d.phones, [...at, 'phones']);
        const to = this.cluster(d.to, [...at, 'to']);
        for (const p of phones) {
          if (this.phoneCluster.get(p) === to) ctx.error([...at, 'to'], `phone '${p}' is already on cluster ${to}`);
          this.phoneCluster.set(p, to);
          if (expectsRegistrationFailure(item.expect, (n) => this.phonesNamed(n), p)) this.unregister(p, base.location, 'move');
          else if (this.booted.has(p)) {
            this.registered.add(p);
            this.unregisteredWhy.delete(p);
          }
        }
        return { ...base, kind, name: `move ${targetsText(d.phones)} to ${to}`, phones, to, concurrency };
      }
      case 'cli': {
        const d: D.CliDocument = typeof item.cli === 'string' ? { command: item.cli } : item.cli!;
        const cluster = this.cluster(d.cluster, [...at, 'cluster']);
        const node = this.node(cluster, d.node, [...at, 'node']);
        return { ...base, kind, name: d.command, cluster, ...(node ? { node } : {}), command: d.command as never };
      }
      case 'restart': {
        const d: D.RestartDocument = Array.isArray(item.restart) ? { services: item.restart } : item.restart!;
        const cluster = this.cluster(d.cluster, [...at, 'cluster']);
        const node = this.node(cluster, d.node, [...at, 'node']);
        return { ...base, kind, name: `restart ${d.services.join(', ')}`, cluster, ...(node ? { node } : {}), services: d.services as never };
      }
      case 'set': {
        const d = item.set!;
        const cluster = this.cluster(d.cluster, [...at, 'cluster']);
        const phoneKeys = (['profile', 'authMode', 'authString', 'capfOperation'] as const).filter((k) => d[k] !== undefined);
        const phones = d.phones !== undefined ? this.targets(d.phones, [...at, 'phones']) : [];
        if (phoneKeys.length && d.phones === undefined) ctx.error([...at, phoneKeys[0]!], `${listWords([...phoneKeys])} change phones: say which with phones:`, 'key');
        if (d.phones !== undefined && !phoneKeys.length) ctx.error([...at, 'phones'], 'set with phones needs profile, authMode, authString or capfOperation', 'key');
        if (d.profile !== undefined && !this.decl.phoneProfiles[d.profile])
          ctx.error([...at, 'profile'], unknownName('phone security profile', d.profile, Object.keys(this.decl.phoneProfiles)));
        const changes = [
          ...(d.securityMode ? [`securityMode=${d.securityMode}`] : []),
          ...Object.entries(d.parameters ?? {}).map(([k, v]) => `${k}=${typeof v === 'object' ? '…' : String(v)}`),
          ...Object.entries(d.capf ?? {}).map(([k, v]) => `capf.${k}=${typeof v === 'object' ? '…' : String(v)}`),
          ...phoneKeys.map((k) => `${k}=${String(d[k])}`),
        ];
        if (!changes.length) ctx.error(at, 'set changes nothing: give securityMode, parameters, capf, or phones with profile/authMode/authString/capfOperation');
        return {
          ...base,
          kind,
          name: `set ${d.phones !== undefined ? `${targetsText(d.phones)} ` : ''}${changes.join(', ')}`,
          cluster,
          ...(d.securityMode ? { securityMode: d.securityMode } : {}),
          ...(d.parameters ? { parameters: parametersPatch(d.parameters) } : {}),
          ...(d.capf ? { capf: capfPatch(d.capf) } : {}),
          phones,
          ...(phoneKeys.length
            ? {
                phone: {
                  ...(d.profile !== undefined ? { profile: d.profile } : {}),
                  ...(d.authMode !== undefined ? { authMode: d.authMode } : {}),
                  ...(d.authString !== undefined ? { authString: String(d.authString) } : {}),
                  ...(d.capfOperation !== undefined ? { capfOperation: d.capfOperation } : {}),
                },
              }
            : {}),
        };
      }
      case 'importCertificates': {
        const d = item.importCertificates!;
        const from = this.cluster(d.from, [...at, 'from']);
        const into = this.cluster(d.into, [...at, 'into']);
        if (from === into) ctx.error([...at, 'into'], 'importCertificates: from and into are the same cluster');
        const certificates = d.certificates ?? ['CallManager'];
        return { ...base, kind, name: `import ${certificates.join(', ')} from ${from} into ${into}`, from, into, certificates, store: d.store ?? 'Phone-SAST-trust' };
      }
      case 'probe': {
        const d = item.probe!;
        const cluster = this.cluster(d.cluster, [...at, 'cluster']);
        const node = this.node(cluster, d.node, [...at, 'node']);
        const clientCertificate = d.clientCertificate ?? 'none';
        if (clientCertificate !== 'none' && d.phone === undefined) ctx.error([...at, 'clientCertificate'], `clientCertificate ${clientCertificate} needs phone: (whose certificate is presented)`);
        if (d.phone !== undefined && !this.phoneByName.has(d.phone)) ctx.error([...at, 'phone'], unknownName('phone', d.phone, this.phoneNames));
        const host = node ?? this.decl.clusters.find((c) => c.name === cluster)?.hostname ?? cluster;
        const port = d.port ?? 5061;
        const offer = d.tlsSuites ? `${d.tlsSuites.length} suite${d.tlsSuites.length > 1 ? 's' : ''}` : 'preset suites';
        return {
          ...base,
          kind,
          name: `probe ${host}:${port} (${offer}, ${(d.tlsVersions ?? ['TLSv1.2']).join('/')})`,
          cluster,
          ...(node ? { node } : {}),
          port,
          ...(d.tlsSuites ? { tlsSuites: d.tlsSuites } : {}),
          tlsVersions: d.tlsVersions ?? ['TLSv1.2'],
          clientCertificate,
          ...(d.phone ? { phone: d.phone } : {}),
        };
      }
      case 'fault': {
        const d = item.fault!;
        const faultId = d.id ?? `fault-${++this.faultCounter}`;
        if (this.faults.has(faultId)) ctx.error(d.id !== undefined ? [...at, 'id'] : at, `fault '${faultId}' is already active: clear it first or give another id`);
        const cluster = this.cluster(d.cluster, [...at, 'cluster']);
        const node = this.node(cluster, d.node, [...at, 'node']);
        const phones = d.phones !== undefined ? this.targets(d.phones, [...at, 'phones']) : [...this.phoneNames];
        let calls: string[] | undefined;
        if (d.call !== undefined) calls = this.resolveCall(d.call, [...at, 'call'], 'any')?.map((c) => c.leg.id);
        if (d.type === 'packet-corruption' && d.call === undefined && d.phones === undefined)
          ctx.warn(at, 'packet-corruption with neither call nor phones corrupts the media of every call');
        if ((d.certificate === 'mic' || d.certificate === 'lsc') && d.phones === undefined) ctx.error([...at, 'certificate'], `certificate ${d.certificate} is a phone's: say which with phones:`);
        if (d.port !== undefined && (d.certificate === 'mic' || d.certificate === 'lsc')) ctx.error([...at, 'port'], `port names a cluster door; certificate ${d.certificate} is the phone's`, 'key');
        const fault: FaultSpec = {
          id: faultId,
          type: d.type,
          cluster,
          ...(node ? { node } : {}),
          phones,
          ...(calls ? { calls } : {}),
          ...(d.tamper ? { tamper: d.tamper } : d.type === 'tampered-itl' ? { tamper: 'signature' as const } : {}),
          ...(d.certificate ? { certificate: d.certificate } : {}),
          ...(d.port ? { port: d.port } : {}),
          ...(d.tlsSuites ? { tlsSuites: d.tlsSuites } : {}),
          ...(d.srtpSuites ? { srtpSuites: d.srtpSuites } : {}),
          ...(d.reason ? { reason: d.reason } : {}),
          ...(d.type === 'packet-corruption' ? { corrupt: d.corrupt ?? 'payload', direction: d.direction ?? 'both', rate: d.rate ?? 0.01 } : {}),
          ...(d.service ? { service: d.service as FaultSpec['service'] } : {}),
        };
        this.faults.set(faultId, fault);
        const what = d.certificate ?? d.service ?? d.reason ?? d.tamper ?? '';
        return { ...base, kind, name: `fault ${d.type}${what ? ` ${what}` : ''}${d.phones !== undefined ? ` (${targetsText(d.phones)})` : ''}`, fault };
      }
      case 'clearFault': {
        const ids = asArray(item.clearFault);
        let faults: string[];
        if (ids.length === 1 && ids[0] === 'all') faults = [...this.faults.keys()];
        else {
          faults = [];
          for (const [i, f] of ids.entries()) {
            if (this.faults.has(f)) faults.push(f);
            else ctx.error(Array.isArray(item.clearFault) ? [...at, i] : at, `fault '${f}' is not active${this.faults.size ? ` (active: ${[...this.faults.keys()].join(', ')})` : ' (no fault is active here)'}`);
          }
        }
        for (const f of faults) this.faults.delete(f);
        return { ...base, kind, name: `clear ${ids.join(', ')}`, faults };
      }
    }
  }

  noteRegistration(phone: string, registers: boolean, expect: D.ExpectationDocument | undefined, where: SourceLocation, what: string): void {
    if (!registers) {
      this.unregister(phone, where, what);
      return;
    }
    if (expectsRegistrationFailure(expect, (n) => this.phonesNamed(n), phone)) this.unregister(phone, where, what);
    else {
      this.registered.add(phone);
      this.unregisteredWhy.delete(phone);
    }
  }

  unregister(phone: string, where: SourceLocation, what: string): void {
    this.registered.delete(phone);
    this.unregisteredWhy.set(phone, `the ${what} at line ${where.line} ${what.includes('register: false') ? 'does not register it' : 'expects its registration to fail'}`);
  }

  requireRegistered(phone: string, path: PathSegment[]): void {
    if (this.registered.has(phone)) return;
    const why = this.unregisteredWhy.get(phone);
    this.ctx.error(path, `phone '${phone}' is not registered at this point: ${why ?? 'boot (or register) it in an earlier step'}`);
  }

  call(item: D.StepDocument, at: PathSegment[], base: Base, concurrency: number, id: string): ActionStep | undefined {
    const ctx = this.ctx;
    const d = item.call!;
    const from = this.targets(d.from, [...at, 'from']);
    const to = d.to !== undefined ? this.targets(d.to, [...at, 'to']) : [];
    if (d.to === undefined && d.dial === undefined) ctx.error(at, 'call needs to: (a phone) or dial: (digits)', 'owner');
    if (d.to !== undefined && d.dial !== undefined) ctx.error([...at, 'dial'], 'call takes to: or dial:, not both', 'key');
    const mayFail = expectsCallFailure(item.expect);
    if (!mayFail) {
      for (const p of from) this.requireRegistered(p, [...at, 'from']);
      for (const p of to) this.requireRegistered(p, [...at, 'to']);
    }
    let pairs: [string, string | undefined][] = [];
    if (d.to === undefined) pairs = from.map((f) => [f, undefined]);
    else if (from.length === to.length) pairs = from.map((f, i) => [f, to[i]!]);
    else if (from.length === 1) pairs = to.map((t) => [from[0]!, t]);
    else if (to.length === 1) pairs = from.map((f) => [f, to[0]!]);
    else if (from.length && to.length) ctx.error([...at, 'to'], `from has ${from.length} phones and to has ${to.length}: calls pair group members in order, so use groups of the same size (or one phone on a side)`);
    if (pairs.length > MAX_CALLS_PER_STEP) ctx.error(at, `${pairs.length} calls in one step is more than ${MAX_CALLS_PER_STEP}`);
    for (const [f, t] of pairs) if (t !== undefined && f === t) ctx.error([...at, 'to'], `phone '${f}' cannot call itself`);
    if (d.via !== undefined && !this.decl.trunks.some((t) => t.name === d.via)) ctx.error([...at, 'via'], unknownName('trunk', d.via, this.decl.trunks.map((t) => t.name)));
    for (const [f, t] of pairs) {
      if (t === undefined) continue;
      const cf = this.phoneCluster.get(f);
      const ct = this.phoneCluster.get(t);
      if (cf === ct) {
        if (d.via !== undefined) ctx.error([...at, 'via'], `${f} and ${t} are both on cluster ${cf}: a call between them does not use trunk ${d.via}`);
        continue;
      }
      const trunk = d.via !== undefined ? this.decl.trunks.find((x) => x.name === d.via) : this.decl.trunks.find((x) => x.ends.some((e) => e.cluster === cf) && x.ends.some((e) => e.cluster === ct));
      if (!trunk) ctx.error(d.via !== undefined ? [...at, 'via'] : [...at, 'to'], `${f} (cluster ${cf}) and ${t} (cluster ${ct}) are on different clusters and no trunk connects them`);
      else if (!(trunk.ends.some((e) => e.cluster === cf) && trunk.ends.some((e) => e.cluster === ct)))
        ctx.error([...at, 'via'], `trunk ${trunk.name} connects ${trunk.ends.map((e) => e.cluster).join(' and ')}, not ${cf} and ${ct}`);
    }
    const baseId = d.id !== undefined ? `${d.id}${base.iteration.map((r) => `#${r}`).join('')}` : `c${id}`;
    const legs: CallLeg[] = pairs.map(([f, t], i) => ({
      id: pairs.length > 1 ? `${baseId}[${i + 1}]` : baseId,
      from: f,
      ...(t !== undefined ? { to: t } : {}),
      ...(d.dial !== undefined ? { dial: String(d.dial) } : {}),
      ...(d.via !== undefined ? { via: d.via } : {}),
    }));
    const durMs = d.duration !== undefined ? durationMs(d.duration) : undefined;
    const states = legs.map((leg) => ({ leg, ended: durMs !== undefined }));
    this.callsById.set(d.id ?? baseId, states);
    this.calls.push(...states);
    const toText = d.to ?? `dial ${String(d.dial)}`;
    return {
      ...base,
      kind: 'call',
      name: `call ${d.from} → ${toText}${d.via ? ` via ${d.via}` : ''}${durMs !== undefined ? ` (${formatDuration(durMs)})` : ''}`,
      calls: legs,
      answer: d.answer ?? false,
      ...(durMs !== undefined ? { durationMs: durMs } : {}),
      media: { codec: d.media?.codec ?? 'G711u', ptimeMs: d.media?.ptime ?? 20, ...(d.media?.packets ? { packets: d.media.packets } : {}) },
      timeoutMs: item.timeout !== undefined ? base.timeoutMs : base.timeoutMs + (durMs ?? 0),
      concurrency,
    } as ActionStep;
  }

  /** A call reference: a call id (latest declaration) or a phone/group name (its latest calls). */
  resolveCall(ref: string, path: PathSegment[], role: 'callee' | 'any'): CallState[] | undefined {
    const byId = this.callsById.get(ref);
    if (byId) return byId;
    const phones = this.phonesNamed(ref);
    if (phones) {
      const found: CallState[] = [];
      for (const p of phones) {
        const mine = [...this.calls].reverse().find((c) => !c.ended && (c.leg.to === p || (role === 'any' && c.leg.from === p)));
        if (mine && !found.includes(mine)) found.push(mine);
      }
      if (found.length) return found;
      this.ctx.error(path, `phone '${ref}' has no ${role === 'callee' ? 'incoming ' : ''}call at this point`);
      return undefined;
    }
    this.ctx.error(path, unknownName('call', ref, [...this.callsById.keys()]));
    return undefined;
  }

  callAction(kind: 'answer' | 'hold' | 'resume' | 'hangup', item: D.StepDocument, at: PathSegment[], base: Base, concurrency: number): ActionStep | undefined {
    const raw = item[kind]!;
    const d: D.CallActionDocument = typeof raw === 'string' ? { call: raw } : raw;
    const refAt = typeof raw === 'string' ? at : [...at, 'call'];
    let states: CallState[] | undefined;
    if (d.call !== undefined) states = this.resolveCall(d.call, refAt, kind === 'answer' ? 'callee' : 'any');
    else if (d.by !== undefined) states = this.resolveCall(d.by, [...at, 'by'], kind === 'answer' ? 'callee' : 'any');
    else {
      this.ctx.error(at, `${kind} needs call: (a call id or phone) or by: (the phone)`);
      return undefined;
    }
    if (!states) return undefined;
    const byNames = d.by !== undefined ? this.phonesNamed(d.by) : undefined;
    if (d.by !== undefined && !byNames) {
      this.ctx.error([...at, 'by'], unknownName('phone', d.by, this.knownTargets()));
      return undefined;
    }
    const targets: { call: string; by: string }[] = [];
    for (const s of states) {
      const parties = [s.leg.from, ...(s.leg.to ? [s.leg.to] : [])];
      let by: string | undefined;
      if (byNames) {
        by = byNames.find((n) => parties.includes(n));
        if (!by) this.ctx.error([...at, 'by'], `${d.by} is not a party of call ${s.leg.id} (${parties.join(' → ')})`);
      } else if (kind === 'answer') {
        by = s.leg.to;
        if (!by) this.ctx.error(at, `call ${s.leg.id} was dialled by number: say which phone answers with by:`);
      } else if (kind === 'resume') by = s.heldBy ?? s.leg.from;
      else by = s.leg.from;
      if (!by) continue;
      if (s.ended) this.ctx.error(refAt, `call ${s.leg.id} has already ended (its duration hangs it up, or a hangup step did)`);
      if (kind === 'hold') s.heldBy = by;
      if (kind === 'resume') delete s.heldBy;
      if (kind === 'hangup') s.ended = true;
      targets.push({ call: s.leg.id, by });
    }
    const ref = d.call ?? d.by!;
    const byText = d.by !== undefined ? `${d.by} ` : '';
    return { ...base, kind, name: `${byText}${kind === 'hangup' ? 'hang up' : kind} ${ref}`.trim(), targets, concurrency } as ActionStep;
  }
}

function stepKinds(item: unknown): StepKind[] {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return [];
  return STEP_KINDS.filter((k) => (item as Record<string, unknown>)[k] !== undefined) as StepKind[];
}

/**
 * Steps with more than one action key (JSON Schema cannot say "exactly one of these 21 keys" readably); run with
 * the schema check, so the mistake is reported even when other schema errors stop the load.
 */
export function multiActionErrors(ctx: BuildContext, value: unknown): void {
  const walk = (items: unknown, path: PathSegment[]) => {
    if (!Array.isArray(items)) return;
    for (const [i, item] of items.entries()) {
      const kinds = stepKinds(item);
      if (kinds.length > 1) ctx.error([...path, i, kinds[1]!], `a step has one action, this one has ${kinds.join(' and ')}: split it into ${kinds.length} steps`, 'key');
      for (const g of ['parallel', 'sequence'] as const) walk((item as Record<string, unknown> | null)?.[g], [...path, i, g]);
    }
  };
  if (value && typeof value === 'object') walk((value as { steps?: unknown }).steps, ['steps']);
}

export interface StepsResult {
  steps: StepSpec[];
  actionSteps: number;
  expectations: number;
}

export function buildSteps(ctx: BuildContext, doc: D.ScenarioDocument, decl: Declarations, stepTimeoutMs: number, scenarioTimeoutMs: number): StepsResult {
  const b = new StepBuilder(ctx, decl, stepTimeoutMs, scenarioTimeoutMs);
  const steps = b.list(doc.steps ?? [], ['steps'], '', [], 0);
  return { steps, actionSteps: b.actionSteps, expectations: b.expectations };
}
