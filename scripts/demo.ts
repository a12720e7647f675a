/**
 * The README's first command: a tour of Lancelog on an embedded repo in a temp
 * directory, through the real `lancelog` CLI (child processes, as a user would run
 * it): init from a fixture schema, load its data, inspect the load in the journal,
 * answer a read query, crash a writer with a failpoint (SIGKILL), plan and run
 * recovery, read the audit. It ends by naming `lancelog ui`, the Explorer, which shows the
 * same story in a browser (it does not start it: the demo never blocks on a server).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../src/failpoints.js';
import { packageRoot } from '../src/version.js';

const keep = process.argv.includes('--keep');
const root = packageRoot();
const cliMain = join(root, 'dist', 'cli', 'main.js');

function lancelog(
  args: string[],
  opts: { env?: Record<string, string>; expectCrash?: boolean } = {},
): string {
  const shown = `${
    opts.env
      ? `${Object.entries(opts.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')} `
      : ''
  }lancelog ${args.join(' ')}`;
  console.log(`\n$ ${shown}`);
  const r = spawnSync(process.execPath, [cliMain, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
  });
  const out = `${r.stdout}${r.stderr}`.trimEnd();
  if (out) console.log(out);
  if (opts.expectCrash) {
    console.log(
      `(the process was killed by ${r.signal ?? `exit ${r.status}`} inside the write protocol)`,
    );
    if (r.signal !== 'SIGKILL') throw new Error('expected the writer to be killed by SIGKILL');
  } else if (r.status !== 0) {
    throw new Error(`lancelog ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  }
  return r.stdout;
}

const DEMO_GQ = `query decision_evidence() {
  match {
    $d: Decision
    $d ownedBy $a
    $t supports $d
    $s triggered $d
  }
  return { $d.title, $d.urgency, $a.name as owner, $s.strength as signal, count($t) as traces }
  order { traces desc }
}

query signals_since($since: Date) {
  match {
    $s: Signal
    $s.observed_at >= $since
  }
  return { $s.slug, $s.category, $s.observed_at }
}

query search_signals($q: String) {
  match {
    $s: Signal
    search($s.title, $q)
  }
  return { $s.slug, $s.title }
  order { bm25($s.title, $q) }
  limit 3
}
`;

/** Signals an analyst loads into the `review` branch. */
const REVIEW_SIGNALS = [
  {
    slug: 'customer-private-deployment',
    title: 'Customer asks for a private AI deployment on premises',
    category: 'customer',
    strength: 'strong',
    observed_at: '2026-11-20',
  },
  {
    slug: 'regulator-audit-guidance',
    title: 'Regulator publishes audit guidance for AI systems',
    category: 'regulatory',
    strength: 'moderate',
    observed_at: '2026-11-24',
  },
];

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'lancelog-demo-'));
  const repo = join(work, 'repo');
  const fixtures = join(root, 'test', 'fixtures', 'omnigraph');
  try {
    lancelog(['version']);
    lancelog(['init', '--schema', join(fixtures, 'context.pg'), repo]);
    const loaded = lancelog([
      'load',
      '--data',
      join(fixtures, 'context.jsonl'),
      '--mode',
      'append',
      '--actor',
      'demo',
      repo,
    ]);
    const opId = /^op (\S+)$/m.exec(loaded)?.[1];
    if (!opId) throw new Error('load did not report its operation id');
    // The whole load was one operation: every protocol step is in the journal.
    lancelog(['journal', 'show', opId, repo]);
    lancelog(['snapshot', repo]);

    // A read query: each decision with its owner, what triggered it and its evidence.
    const queries = join(work, 'demo.gq');
    writeFileSync(queries, DEMO_GQ);
    // The checker alone: each query's kind, before anything runs (lint --json has its params).
    lancelog(['lint', '--query', queries, repo]);
    lancelog([
      'read',
      '--query',
      queries,
      '--name',
      'decision_evidence',
      '--format',
      'table',
      repo,
    ]);
    lancelog([
      'read',
      '--query',
      queries,
      '--name',
      'signals_since',
      '--params',
      '{"since":"2026-01-01"}',
      '--format',
      'kv',
      repo,
    ]);

    // Indexes are built by a journaled operation of their own (BTREE for keys, full-text
    // for @index String properties).
    lancelog(['index', 'ensure', repo]);

    // Review-then-merge: new signals go to a branch, the diff shows them, a merge brings
    // them to main, and a full-text search (ranked by BM25) finds them there.
    lancelog(['branch', 'create', '--from', 'main', 'review', repo]);
    const signals = join(work, 'signals.jsonl');
    writeFileSync(
      signals,
      `${REVIEW_SIGNALS.map((d) => JSON.stringify({ type: 'Signal', data: d })).join('\n')}\n`,
    );
    lancelog(['load', '--branch', 'review', '--data', signals, '--actor', 'analyst', repo]);
    lancelog(['diff', '--from', 'main', '--to', 'review', repo]);
    lancelog(['branch', 'merge', 'review', '--actor', 'reviewer', repo]);
    lancelog([
      'read',
      '--query',
      queries,
      '--name',
      'search_signals',
      '--params',
      '{"q":"private AI"}',
      '--format',
      'table',
      repo,
    ]);

    // The change feed: what each commit on main changed, from the row lineage, resumable
    // from the cursor it prints.
    lancelog(['changes', 'poll', '--start', 'beginning', '--type', 'Signal', '--limit', '3', repo]);

    // A second writer dies (SIGKILL) after committing one of its two tables to Lance,
    // before publishing: nothing of it is visible, but Lance HEAD moved past the pin.
    const extra = join(work, 'extra.jsonl');
    writeFileSync(
      extra,
      [
        JSON.stringify({ type: 'Actor', data: { slug: 'auditor', name: 'Auditor' } }),
        JSON.stringify({
          type: 'Signal',
          data: {
            slug: 'sig-demo',
            title: 'Demo signal',
            category: 'market',
            strength: 'weak',
            observed_at: '2026-11-26',
          },
        }),
      ].join('\n'),
    );
    lancelog(['load', '--data', extra, '--mode', 'merge', '--actor', 'crasher', repo], {
      // Phase B commits tables concurrently: hold the second one back so the crash
      // leaves exactly one table committed (recovery then rolls back).
      env: {
        LANCELOG_FAILPOINTS: `write.after_table_commit=crash@1;${HOLD_BACK_LATER_TABLE_COMMITS}`,
      },
      expectCrash: true,
    });
    lancelog(['recover', '--dry-run', repo]);
    lancelog(['recover', repo]);
    lancelog(['recovery', 'list', repo]);
    lancelog(['journal', 'verify', repo]);
    // The scrub: every file of every pinned version against the size and sha256 recorded
    // when it was written.
    lancelog(['doctor', '--deep', repo]);
  } finally {
    // The Explorer (docs/ui.md) shows the same story by clicking: Operations → the crashed
    // writer's timeline → its recovery record. It is a server, so the demo only names it.
    if (keep) {
      console.log(`\nkept the repo at ${repo}`);
      console.log(
        `see it in a browser: npx lancelog ui ${repo}  (Operations → the crashed load → its recovery record)`,
      );
    } else {
      rmSync(work, { recursive: true, force: true });
      console.log(`\nremoved ${work} (run 'npm run demo -- --keep' to keep it)`);
      console.log(
        "to click through it in a browser: 'npm run demo -- --keep', then 'npx lancelog ui <the kept repo>' (docs/ui.md)",
      );
    }
  }
}

main();
