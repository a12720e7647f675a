/** Branch-name rules (docs/journal.md §Rules the journal enforces). */
import { LancelogError } from '../errors.js';
import { DEFAULT_BRANCH } from '../defaults.js';

/** The branch every repo starts with (and the default of every command). */
export const MAIN_BRANCH = DEFAULT_BRANCH;

const VALID = /^[A-Za-z0-9._/-]+$/;

/** Longest branch name: its Lance branch (name + `-` + 8 hex) must stay a valid file name. */
export const MAX_BRANCH_NAME_BYTES = 200;

/**
 * A user-creatable branch name: non-empty, at most 200 bytes, only [A-Za-z0-9._/-];
 * no `..` (Lance refuses it in its branch names), no empty or `.`-led path segment
 * (so no leading, trailing or double `/`, no leading `.`); `main` and names starting
 * `__` are reserved (the `__` prefix is kept for Lancelog's own branches).
 */
export function validateBranchName(name: string): void {
  const reason =
    name.length === 0
      ? 'is empty'
      : Buffer.byteLength(name) > MAX_BRANCH_NAME_BYTES
        ? `is longer than ${MAX_BRANCH_NAME_BYTES} bytes`
        : !VALID.test(name)
          ? 'may only contain letters, digits, ".", "_", "/" and "-"'
          : name.includes('..')
            ? 'contains ".."'
            : name.split('/').some((seg) => seg === '')
              ? 'has an empty path segment (a leading, trailing or double "/")'
              : name.split('/').some((seg) => seg.startsWith('.'))
                ? 'has a path segment starting with "."'
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
