/**
 * Regenerates docs/errors.md from the error-code table (src/error-codes.ts):
 * `npx tsx scripts/gen-errors-doc.ts`. test/errors.test.ts fails when the page is stale.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, type ErrorCode } from '../src/error-codes.js';
import { packageRoot } from '../src/version.js';

/** The docs pages (other than errors.md) that mention `code`, as links. */
function whereDocumented(docsDir: string, code: string): string {
  const pages = readdirSync(docsDir)
    .filter((f) => f.endsWith('.md') && f !== 'errors.md')
    .sort()
    .filter((f) => readFileSync(join(docsDir, f), 'utf8').includes(`\`${code}\``));
  return pages.map((p) => `[${p.replace(/\.md$/, '')}](${p})`).join(', ') || '—';
}

export function errorsMarkdown(docsDir: string): string {
  const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).sort().map((code) => {
    const spec = ERROR_CODES[code];
    const details = spec.details.map((k) => `\`${k}\``).join(', ') || '—';
    return `| \`${code}\` | ${spec.classes.join(', ')} | ${spec.exit} | ${spec.http} | ${details} | ${whereDocumented(docsDir, code)} |`;
  });
  return `# Error codes

<!-- Generated from src/error-codes.ts by \`npx tsx scripts/gen-errors-doc.ts\`; do not edit by hand. -->

Every failure is a \`LancelogError\` with a stable \`code\`, a message, and \`details\`
(keys in snake_case). The CLI prints \`{error, code, details}\` with \`--json\` and exits
with the status below; a server answers with the HTTP status below. The table is the
source of truth: \`LancelogError\` accepts only these codes. "Documented in" lists the
pages that explain when each code is raised. A failure that is none of these is
\`InternalError\` (exit 1; run with \`--debug\` for its stack trace).

HTTP statuses: 400 bad input, 403 a write the repo or file system refuses, 404 a thing
that does not exist, 409 a conflict with the repo's state (retry, or recover first),
500 a storage, journal or internal failure, 501 a query feature not executed yet.

| code | raised as | exit | HTTP | details | documented in |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

if (
  process.argv[1]?.endsWith('gen-errors-doc.ts') ||
  process.argv[1]?.endsWith('gen-errors-doc.js')
) {
  const docs = join(packageRoot(), 'docs');
  writeFileSync(join(docs, 'errors.md'), errorsMarkdown(docs));
  process.stdout.write(`wrote ${join(docs, 'errors.md')}\n`);
}
