// What the cluster keeps across restarts besides the PKI and CAPF state: its configuration (input form), the security
// mode set by `utils ctl set-cluster`, the CTL as last written, and the phone resets still pending. Committed through
// engine/pki's StateStore (temp file, fsync, rename; lock; generations) in `<stateDir>/cluster`.
import { resolve } from 'node:path';
import { objectName, StateStore } from '../pki/state-store.js';
import type { ClusterConfigInput, ClusterSecurityMode } from './config.js';
import type { TrustFileSigner } from './trust-files.js';

export interface StoredCtl {
  /** Object holding the CTLFile.tlv bytes. */
  object: string;
  signWith: TrustFileSigner;
  writtenAt: string;
  /** The command that wrote it. */
  by: string;
}

export interface PendingPhoneReset {
  device: string;
  reason: string;
  /** The PKI event that asked for it, when one did. */
  cause?: number;
  /** "Phone Interaction on Certificate Update" = auto-reset: the phone resets by itself. */
  automatic: boolean;
  since: string;
}

export interface ClusterState {
  createdAt: string;
  config: ClusterConfigInput;
  /** Set by `utils ctl set-cluster mixed-mode|non-secure-mode`; services pick it up when they restart. */
  securityMode: ClusterSecurityMode;
  ctl?: StoredCtl;
  /** The CTL must be updated (`utils ctl update CTLFile`) since a certificate it lists changed. */
  ctlUpdateRequired?: string[];
  /** Services a change asked to restart (CUCM's wording), not restarted yet. */
  pendingRestarts: string[];
  phoneResets: PendingPhoneReset[];
}

export class ClusterStateStore {
  readonly dir: string;
  readonly #store: StateStore<ClusterState>;
  #generation: number | undefined;
  #state: ClusterState | undefined;
  #objects = new Map<string, Buffer>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.dir = resolve(stateDir, 'cluster');
    this.#store = new StateStore<ClusterState>(this.dir);
  }

  exists(): boolean {
    return this.#store.exists();
  }

  async load(): Promise<ClusterState> {
    const { manifest, objects } = await this.#store.load();
    this.#state = manifest.state;
    this.#objects = objects;
    this.#generation = manifest.generation;
    return this.#state;
  }

  get state(): ClusterState {
    if (!this.#state) throw new Error(`cluster state in ${this.dir} is not loaded`);
    return this.#state;
  }

  object(name: string): Buffer | undefined {
    return this.#objects.get(name);
  }

  /** Creates the state (refuses when one exists unless `replace`). */
  async create(state: ClusterState, replace = false): Promise<void> {
    this.#generation = await this.#store.commit(state, new Map(), replace ? 'any' : undefined);
    this.#state = state;
    this.#objects = new Map();
  }

  /** Applies `fn` to a copy of the state and commits it; `files` adds objects (name → bytes), returned by name. */
  update<R>(fn: (s: ClusterState, put: (label: string, bytes: Buffer) => string) => R): Promise<R> {
    const run = this.#queue.then(async () => {
      const draft = structuredClone(this.state);
      const added = new Map<string, Buffer>();
      const put = (label: string, bytes: Buffer) => {
        const name = objectName(label, bytes, 'bin');
        added.set(name, bytes);
        return name;
      };
      const result = fn(draft, put);
      const objects = new Map([...this.#objects, ...added]);
      const referenced = new Set([draft.ctl?.object].filter((n): n is string => !!n));
      for (const n of [...objects.keys()]) if (!referenced.has(n)) objects.delete(n);
      this.#generation = await this.#store.commit(draft, objects, this.#generation);
      this.#state = draft;
      this.#objects = objects;
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
