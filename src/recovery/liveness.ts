/**
 * Is the process that owns an in-flight operation alive? Recovery never touches an
 * operation whose owner is alive. Same host: the pid must exist (and its heartbeat
 * not be expired beyond the bound, which also covers pid reuse). Other host: only
 * the heartbeat can tell.
 */
import { hostname } from 'node:os';

export type OwnerState = 'self-active' | 'alive' | 'dead' | 'unknown';

export interface OwnerInfo {
  pid: number;
  host: string;
  heartbeatUs: number | null;
}

export const DEFAULT_LEASE_TIMEOUT_MS = 30_000;

export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function ownerState(
  opId: string,
  owner: OwnerInfo | null,
  activeOps: ReadonlySet<string>,
  leaseTimeoutMs: number,
  nowUs = Date.now() * 1000,
): OwnerState {
  if (activeOps.has(opId)) return 'self-active';
  if (!owner) return 'unknown';
  const expired = owner.heartbeatUs !== null && nowUs - owner.heartbeatUs > leaseTimeoutMs * 1000;
  if (owner.host === hostname()) {
    // Our own pid but not one of our active operations: a previous incarnation of
    // this process id (or an operation this process abandoned) — not running.
    if (owner.pid === process.pid) return 'dead';
    return pidExists(owner.pid) && !expired ? 'alive' : 'dead';
  }
  if (owner.heartbeatUs === null) return 'unknown';
  return expired ? 'dead' : 'alive';
}
