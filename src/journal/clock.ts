/** Time and identifiers for journal events. */
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new ULID: sortable by creation time, unique across processes. */
export function newId(): string {
  return nextUlid();
}

/** Wall-clock microseconds since the Unix epoch. */
export function nowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
