import { fnv1a64Hex } from '../../schema/fnv.js';

/**
 * The Lance branch a Lancelog branch writes to. Lancelog names may contain `/`
 * (Lance's may not), so the readable part is sanitised and a hash of the full name
 * keeps distinct branches distinct. Branch names are never reused once deleted.
 */
export function lanceBranchFor(branch: string): string {
  return `${branch.replace(/[^A-Za-z0-9._-]/g, '_')}-${fnv1a64Hex(branch).slice(0, 8)}`;
}
