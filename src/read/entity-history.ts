/**
 * Time travel per entity (docs/branches-commits.md "Entity history"): every commit of a
 * branch's history that changed one node or edge, with its values after the change.
 * A commit whose pin of the entity's table equals its predecessor's cannot have changed
 * it and costs nothing; the others cost one lookup by id at that commit's pin.
 */
import type { TypeDef } from '../schema/types.js';
import type { TablePin } from '../journal/index.js';
import { sqlIdent, sqlString } from '../storage/index.js';
import {
  samePin,
  sameRow,
  changedProperties,
  type ChangeOp,
  type DiffContext,
  type Row,
} from './diff.js';

/** One commit of the history, oldest first, with the pin of the entity's table. */
export interface HistoryCommit {
  commitId: string;
  branch: string;
  manifestVersion: number;
  timeUs: number;
  actor: string;
  message: string | null;
  pin: TablePin;
}

export interface EntityVersion {
  commitId: string;
  branch: string;
  manifestVersion: number;
  timeUs: number;
  actor: string;
  message: string | null;
  op: ChangeOp;
  /** The properties an update changed. */
  changedProperties?: string[];
  /** The row after the change (null after a delete). */
  row: Row | null;
}

export async function entityHistory(
  ctx: DiffContext,
  def: TypeDef,
  id: string,
  commits: HistoryCommit[],
): Promise<EntityVersion[]> {
  const out: EntityVersion[] = [];
  let prevPin: TablePin | null = null;
  let prev: Row | null = null;
  for (const c of commits) {
    if (prevPin && samePin(prevPin, c.pin)) continue;
    prevPin = c.pin;
    const handle = await ctx.openPinned(def.tableKey, c.pin);
    const [row = null] = await handle.scan({
      where: `${sqlIdent('id')} = ${sqlString(id)}`,
      limit: 1,
    });
    let op: ChangeOp | null = null;
    if (prev === null && row !== null) op = 'insert';
    else if (prev !== null && row === null) op = 'delete';
    else if (prev !== null && row !== null && !sameRow(def, prev, row)) op = 'update';
    if (op !== null) {
      const { pin: _pin, ...at } = c;
      out.push({
        ...at,
        op,
        ...(op === 'update' ? { changedProperties: changedProperties(def, prev!, row!) } : {}),
        row,
      });
    }
    prev = row;
  }
  return out;
}
