import { CommandError, run } from '../../lib/exec/run';
import { Initiator } from './options';

export interface TgtLun {
  lun: number;
  backingStore: string;
}

export interface TgtTarget {
  tid: number;
  iqn: string;
  luns: TgtLun[];
  /** Initiator addresses and names admitted (tgt lists both kinds in one ACL list). */
  acls: string[];
  /** Initiator names of the sessions (I_T nexus) logged in now. */
  sessions: string[];
}

/** Parses `tgtadm --lld iscsi --mode target --op show`. */
export function parseTargets(text: string): TgtTarget[] {
  const targets: TgtTarget[] = [];
  let current: TgtTarget | undefined;
  let section = '';
  let lun: TgtLun | undefined;
  for (const line of text.split('\n')) {
    const head = /^Target (\d+): (\S+)\s*$/.exec(line);
    if (head) {
      current = { tid: Number(head[1]), iqn: head[2], luns: [], acls: [], sessions: [] };
      targets.push(current);
      section = '';
      continue;
    }
    if (!current) continue;
    const sec = /^ {4}(\S.*):\s*$/.exec(line);
    if (sec) {
      section = sec[1];
      lun = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (section === 'LUN information') {
      const l = /^LUN: (\d+)$/.exec(trimmed);
      if (l) {
        lun = { lun: Number(l[1]), backingStore: '' };
        current.luns.push(lun);
        continue;
      }
      const b = /^Backing store path: (.*)$/.exec(trimmed);
      if (b && lun) lun.backingStore = b[1] === 'None' ? '' : b[1];
    } else if (section === 'ACL information') {
      if (trimmed) current.acls.push(trimmed);
    } else if (section === 'I_T nexus information') {
      const i = /^Initiator: (\S+)/.exec(trimmed);
      if (i) current.sessions.push(i[1]);
    }
  }
  return targets;
}

/**
 * tgtd's management interface. Every argument is a separate argv entry (no shell); the values that reach
 * here are minted ids, validated IQNs/addresses and pool paths checked at startup, so nothing from a CSI
 * request can add a tgtadm option or split tgtd's `key=value,…` parameter string.
 */
export class Tgt {
  constructor(private readonly tgtadm = 'tgtadm') {}

  private cmd(args: string[]): Promise<string> {
    return run(this.tgtadm, ['--lld', 'iscsi', ...args], { timeoutMs: 30_000 });
  }

  async show(): Promise<TgtTarget[]> {
    return parseTargets(await this.cmd(['--mode', 'target', '--op', 'show']));
  }

  async createTarget(tid: number, iqn: string): Promise<void> {
    await this.cmd(['--mode', 'target', '--op', 'new', '--tid', String(tid), '--targetname', iqn]);
  }

  async addLun(tid: number, lun: number, backingStore: string): Promise<void> {
    await this.cmd(['--mode', 'logicalunit', '--op', 'new', '--tid', String(tid), '--lun', String(lun), '--backing-store', backingStore]);
  }

  async deleteLun(tid: number, lun: number): Promise<void> {
    await this.cmd(['--mode', 'logicalunit', '--op', 'delete', '--tid', String(tid), '--lun', String(lun)]);
  }

  /** Removes a target even with sessions logged in (--force); a target already gone is not an error. */
  async deleteTarget(tid: number): Promise<void> {
    try {
      await this.cmd(['--mode', 'target', '--op', 'delete', '--force', '--tid', String(tid)]);
    } catch (error) {
      if (error instanceof CommandError && /can't find the target/i.test(error.stderr)) return;
      throw error;
    }
  }

  async bind(tid: number, initiator: Initiator): Promise<void> {
    await this.cmd(['--mode', 'target', '--op', 'bind', '--tid', String(tid), ...initiatorArgs(initiator)]);
  }

  async unbind(tid: number, initiator: Initiator): Promise<void> {
    try {
      await this.cmd(['--mode', 'target', '--op', 'unbind', '--tid', String(tid), ...initiatorArgs(initiator)]);
    } catch (error) {
      if (error instanceof CommandError && /does not exist/i.test(error.stderr)) return;
      throw error;
    }
  }
}

function initiatorArgs(i: Initiator): string[] {
  return i.kind === 'iqn' ? ['--initiator-name', i.value] : ['--initiator-address', i.value];
}
