/**
 * A conditional write (`ifCommit`) whose branch head moved: the publish transaction
 * checks the head atomically with the pins (decide.ts), and the write path checks it
 * before anything is journaled (src/write/protocol/run.ts, begin); both raise this error.
 */
import { RepoError } from '../errors.js';

export function preconditionFailed(branch: string, expected: string, actual: string): RepoError {
  return new RepoError(
    'PreconditionFailed',
    `precondition failed: branch ${branch} is at commit ${actual}, not ${expected}; nothing was written (read again and decide again)`,
    { branch, expected, actual },
  );
}
