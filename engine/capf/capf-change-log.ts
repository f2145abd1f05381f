// The CAPF store's append-only change log, beside its snapshot (engine/pki's StateStore manifest). One line per
// acknowledged change: `<first 32 hex of SHA-256 of the JSON> <JSON {base, n, change}>\n`, where `base` is the snapshot
// generation the change follows and `n` counts changes since that snapshot. An append is written with O_APPEND and
// fdatasync'd before the change is acknowledged, under the directory's lock (the StateStore's `lock` file and pid
// protocol), so a change costs one small write instead of rewriting the whole store.
// A kill can only leave a prefix of the last line: reading stops at the first line that is incomplete or fails its
// checksum, and that tail (never acknowledged) is cut off. A bad line followed by good ones is corruption, not a torn
// append, and is refused with its line number. Records of an older base were folded into the snapshot by a compaction
// that was killed before it emptied the log: they are skipped.
import { createHash } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST } from '../pki/state-store.js';
import { CapfRuleError } from './device-operations.js';
import { withPidLock } from '../../common/pid-lock.js';

export const CHANGE_LOG = 'changes.log';
const LOCK = 'lock';
const SUM_HEX = 32;

/** Steps of an append, for the kill-safety tests (called after each; 'log-appending' before the write). */
export type ChangeLogStep = 'log-appending' | 'log-written' | 'log-synced' | 'log-truncated';

export interface ChangeLogHooks {
  onStep?(step: ChangeLogStep, detail: string): void;
}

export interface ChangeLogContents<C> {
  /** The changes that follow snapshot `base`, in order. */
  changes: C[];
  /** Bytes of the log that are whole lines (stale or current). */
  validBytes: number;
  /** Bytes after them: an append cut short by a kill. */
  tornBytes: number;
}

function checksum(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, SUM_HEX);
}

/** Encodes one record as a log line. */
export function encodeLogLine(base: number, n: number, change: unknown): Buffer {
  const json = JSON.stringify({ base, n, change });
  return Buffer.from(`${checksum(json)} ${json}\n`, 'utf8');
}

/** Decodes a log: the changes following snapshot `base`, the valid prefix, and the torn tail. Throws on corruption. */
export function decodeLog<C>(data: Buffer, base: number, where: string): ChangeLogContents<C> {
  const changes: C[] = [];
  let pos = 0;
  let line = 0;
  let validBytes = 0;
  let badAt: { line: number; offset: number; why: string } | undefined;
  while (pos < data.length) {
    line++;
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) {
      badAt ??= { line, offset: pos, why: 'no end of line' };
      break;
    }
    const text = data.toString('utf8', pos, nl);
    const sp = text.indexOf(' ');
    const json = sp === SUM_HEX ? text.slice(sp + 1) : '';
    let rec: { base?: unknown; n?: unknown; change?: unknown } | undefined;
    if (sp !== SUM_HEX || checksum(json) !== text.slice(0, SUM_HEX)) {
      badAt ??= { line, offset: pos, why: 'checksum mismatch' };
    } else {
      try {
        rec = JSON.parse(json) as typeof rec;
      } catch {
        badAt ??= { line, offset: pos, why: 'not JSON' };
      }
    }
    if (rec !== undefined) {
      if (badAt) throw new CapfRuleError('E_STATE', `${where}: line ${badAt.line} (offset ${badAt.offset}) is damaged (${badAt.why}) but later lines are whole: the change log is corrupted`, 'trustline');
      if (!Number.isInteger(rec.base) || !Number.isInteger(rec.n) || typeof rec.change !== 'object' || rec.change === null) {
        throw new CapfRuleError('E_STATE', `${where}: line ${line} (offset ${pos}) has no integer base/n or no change object`, 'trustline');
      }
      const b = rec.base as number;
      if (b > base) throw new CapfRuleError('E_STATE', `${where}: line ${line} follows snapshot generation ${b}, but the snapshot is at ${base}`, 'trustline');
      if (b === base) {
        if (rec.n !== changes.length + 1) throw new CapfRuleError('E_STATE', `${where}: line ${line} is change ${String(rec.n)} of generation ${base}, expected ${changes.length + 1}`, 'trustline');
        changes.push(rec.change as C);
      } else if (changes.length > 0) {
        throw new CapfRuleError('E_STATE', `${where}: line ${line} belongs to generation ${b} but follows changes of generation ${base}`, 'trustline');
      }
      validBytes = nl + 1;
    }
    pos = nl + 1;
  }
  return { changes, validBytes, tornBytes: data.length - validBytes };
}


/** The append side of the log of one directory (one instance per open CapfStore). */
export class ChangeLog {
  readonly path: string;
  private readonly dir: string;
  private readonly hooks: ChangeLogHooks;
  private readonly lockTimeoutMs: number;
  private fh: FileHandle | undefined;
  /** Where this process expects the log to end and which manifest (inode) it follows: anything else is another writer. */
  private expectedBytes = 0;
  private manifestIno = 0;

  constructor(dir: string, hooks: ChangeLogHooks = {}, lockTimeoutMs = 10_000) {
    this.dir = dir;
    this.path = join(dir, CHANGE_LOG);
    this.hooks = hooks;
    this.lockTimeoutMs = lockTimeoutMs;
  }

  get bytes(): number {
    return this.expectedBytes;
  }

  /** Reads the changes that follow snapshot `base`, cuts off a torn tail, and remembers where the log ends. */
  async load<C>(base: number): Promise<C[]> {
    const data = await readFile(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const contents = decodeLog<C>(data, base, this.path);
    this.manifestIno = await this.inode(join(this.dir, MANIFEST));
    this.expectedBytes = contents.validBytes;
    if (contents.tornBytes > 0) {
      await this.locked(async () => {
        const fh = await this.handle();
        await fh.truncate(contents.validBytes);
        await fh.datasync();
        this.hooks.onStep?.('log-truncated', `${contents.tornBytes} torn byte(s) cut`);
      });
    }
    return contents.changes;
  }

  /** Appends one record and makes it durable. */
  async append(base: number, n: number, change: unknown): Promise<void> {
    const line = encodeLogLine(base, n, change);
    await this.locked(async () => {
      const fh = await this.handle();
      await this.checkNoOtherWriter(fh);
      this.hooks.onStep?.('log-appending', `generation ${base} change ${n}`);
      await fh.write(line, 0, line.length, null);
      this.expectedBytes += line.length;
      this.hooks.onStep?.('log-written', `generation ${base} change ${n}`);
      await fh.datasync();
      this.hooks.onStep?.('log-synced', `generation ${base} change ${n}`);
    });
  }

  /** Empties the log after a compaction committed the snapshot that holds its changes. */
  async reset(): Promise<void> {
    await this.locked(async () => {
      const fh = await this.handle();
      await fh.truncate(0);
      await fh.datasync();
      this.expectedBytes = 0;
      this.hooks.onStep?.('log-truncated', 'compacted');
    });
  }

  /** Notes the manifest a compaction just wrote (this process's own commit, not another writer). */
  async snapshotWritten(): Promise<void> {
    this.manifestIno = await this.inode(join(this.dir, MANIFEST));
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async checkNoOtherWriter(fh: FileHandle): Promise<void> {
    const [size, ino] = [(await fh.stat()).size, await this.inode(join(this.dir, MANIFEST))];
    if (size !== this.expectedBytes || ino !== this.manifestIno) {
      throw new CapfRuleError('E_CONFLICT', `the CAPF state in ${this.dir} was changed by another process (log ${size} bytes, expected ${this.expectedBytes}${ino !== this.manifestIno ? ', snapshot replaced' : ''}); reopen it`, 'trustline');
    }
  }

  private async inode(path: string): Promise<number> {
    return (await stat(path).catch(() => undefined))?.ino ?? 0;
  }

  private async handle(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    const created = !(await stat(this.path).catch(() => undefined));
    this.fh = await open(this.path, 'a+', 0o600);
    if (created) {
      // The new name must be durable before any change written in it is acknowledged.
      const d = await open(this.dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    }
    return this.fh;
  }

  /** Runs `fn` holding the directory lock that StateStore commits take too (common/pid-lock.ts). */
  private locked<R>(fn: () => Promise<R>): Promise<R> {
    return withPidLock(
      join(this.dir, LOCK),
      { timeoutMs: this.lockTimeoutMs, pollMs: 20, busy: (holder) => new CapfRuleError('E_LOCKED', `${this.dir} is locked by process ${holder} (another trustline is changing the CAPF state)`, 'trustline') },
      fn,
    );
  }

}
