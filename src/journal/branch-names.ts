/** Branch-name rules (docs/journal.md §Rules the journal enforces). */
import { LancelogError } from '../errors.js';

export const MAIN_BRANCH = 'main';

const VALID = /^[A-Za-z0-9._/-]+$/;

/**
 * A user-creatable branch name: non-empty, only [A-Za-z0-9._/-]; `main` and names
 * starting `__` are reserved (the `__` prefix is kept for Lancelog's own branches).
 */
export function validateBranchName(name: string): void {
  const reason =
    name.length === 0
      ? 'is empty'
      : !VALID.test(name)
        ? 'may only contain letters, digits, ".", "_", "/" and "-"'
        : name === MAIN_BRANCH
          ? 'is reserved'
          : name.startsWith('__')
            ? 'starts with the reserved prefix "__"'
            : null;
  if (reason)
    throw new LancelogError('InvalidBranchName', `branch name ${JSON.stringify(name)} ${reason}`, {
      name,
      reason,
    });
}
