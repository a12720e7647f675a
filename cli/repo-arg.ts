import { UsageError } from '../src/light.js';

/** Commands take the repo as a positional argument or as --uri. */
export function resolveRepo(positional: string | undefined, opts: { uri?: string }): string {
  if (positional && opts.uri && positional !== opts.uri) {
    throw new UsageError(`the repo was given twice: '${positional}' and --uri '${opts.uri}'`, {
      positional,
      uri: opts.uri,
    });
  }
  const repo = positional ?? opts.uri;
  if (!repo)
    throw new UsageError('missing repo: pass it as the last argument or with --uri <repo>');
  return repo;
}
