/**
 * The Explorer (docs/ui.md) in a real browser: Chromium (playwright-core) against a real
 * `lancelog serve --ui` child process on 127.0.0.1, with bearer tokens and a policy. The
 * repo is the demo's: the context fixture loaded, a review branch loaded and merged, and
 * a writer SIGKILLed by a crash failpoint after its first table's commit, which the
 * server's start recovers. One server and one browser serve every case. Each view is
 * saved as a screenshot under test-artifacts/ui/ (gitignored) and checked by its
 * content — text and element counts — never by its pixels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../../src/failpoints.js';
import { loadJsonl, Repo } from '../../src/index.js';
import { ensureUiBuilt, launchChromium, type TestBrowser } from '../helpers/browser.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { call, spawnServer, type ChildServer } from '../helpers/server.js';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui');
const ADMIN = 'admin-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';
const POLICY = `version: 1
groups:
  admins: [admin]
  readers: [viewer]
rules:
  - id: admins
    allow: { actors: { group: admins }, actions: [read, export, change, admin, branch_create, branch_delete, branch_merge, schema_apply] }
  - id: readers
    allow: { actors: { group: readers }, actions: [read], branch_scope: any }
`;

let root: string;
let repoDir: string;
let server: ChildServer;
let browser: TestBrowser;
let page: Page;
let crashedOp: string;
const otherOrigins: string[] = [];

/** The demo's repo: context data by `demo`, a review branch loaded and merged. */
async function makeDemoRepo(dir: string): Promise<void> {
  const fixtures = join(FIXTURES_DIR, 'omnigraph');
  await Repo.init(dir, {
    schemaSource: readFileSync(join(fixtures, 'context.pg'), 'utf8'),
    schemaFile: 'context.pg',
  });
  const repo = await Repo.open(dir);
  try {
    const ctx = repo.operationContext();
    await loadJsonl(
      ctx,
      { path: join(fixtures, 'context.jsonl') },
      { mode: 'append', actor: 'demo' },
    );
    repo.createBranch('review', { from: 'main' });
    const signals = ['customer-private-deployment', 'regulator-audit-guidance'].map((slug) =>
      JSON.stringify({
        type: 'Signal',
        data: {
          slug,
          title: `Review ${slug}`,
          category: 'customer',
          strength: 'strong',
          observed_at: '2026-11-20',
        },
      }),
    );
    await loadJsonl(
      ctx,
      { text: signals.join('\n'), file: 'signals.jsonl' },
      { mode: 'append', branch: 'review', actor: 'analyst' },
    );
    await repo.merge({ source: 'review', actor: 'reviewer' });
  } finally {
    await repo.close();
  }
}

/** A writer killed by SIGKILL after its first table's Lance commit, before the publish. */
async function crashWriter(dir: string): Promise<string> {
  const data = join(root, 'extra.jsonl');
  writeFileSync(
    data,
    [
      JSON.stringify({ type: 'Actor', data: { slug: 'auditor', name: 'Auditor' } }),
      JSON.stringify({
        type: 'Signal',
        data: {
          slug: 'sig-crash',
          title: 'Crash signal',
          category: 'market',
          strength: 'weak',
          observed_at: '2026-11-26',
        },
      }),
    ].join('\n'),
  );
  const r = await runCli(['load', '--data', data, '--mode', 'merge', '--actor', 'crasher', dir], {
    LANCELOG_FAILPOINTS: `write.after_table_commit=crash@1;${HOLD_BACK_LATER_TABLE_COMMITS}`,
  });
  expect(r.code).toBe(-1); // killed, no exit code
  const repo = await Repo.open(dir, { readOnly: true, recover: false });
  try {
    const begun = repo.listEvents({ kind: 'op.begun', order: 'desc', limit: 1 })[0];
    expect(begun.payload).toMatchObject({ actor: 'crasher' });
    return begun.opId;
  } finally {
    await repo.close();
  }
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function open(path: string, token = ADMIN): Promise<void> {
  // A full load each time (a navigation that changes only the fragment would not reload).
  await page.goto('about:blank');
  await page.goto(`${server.url}/ui/#token=${token}`);
  await page.waitForFunction(() => location.hash === '#/query');
  await page.evaluate((p) => (location.hash = p), path);
}

const api = (path: string, token = ADMIN) => call(server.url, 'GET', path, { token });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  root = mkdtempSync(join(tmpdir(), 'lancelog-ui-'));
  repoDir = join(root, 'repo');
  const built = ensureUiBuilt();
  built.catch(() => undefined); // awaited below; a failure is reported there
  await makeDemoRepo(repoDir);
  crashedOp = await crashWriter(repoDir);
  await built;
  writeFileSync(join(root, 'policy.yaml'), POLICY);
  // The server's open recovers the crashed writer before it listens.
  server = await spawnServer(
    repoDir,
    { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify({ admin: ADMIN, viewer: VIEWER }) },
    ['--ui', '--policy', join(root, 'policy.yaml')],
  );
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('request', (r) => {
    if (!r.url().startsWith(server.url)) otherOrigins.push(r.url());
  });
});

afterAll(async () => {
  await browser?.close();
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the Explorer in Chromium against lancelog serve --ui', () => {
  it('Query: a run shows its rows; a checker error is marked at its place; completion knows the schema', async () => {
    const expected = await call(server.url, 'POST', '/read', {
      token: ADMIN,
      body: { query_source: 'query a() { match { $a: Actor } return { $a.slug } }' },
    });
    await open('/query');
    const editor = page.locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(
      'query people() {\n  match { $a: Actor }\n  return { $a.slug, $a.name }\n  order { $a.slug asc }\n}',
    );
    await page.getByRole('button', { name: /Run/ }).click();
    await page.locator('.result-table tbody tr').first().waitFor();
    expect(await page.locator('.result-table tbody tr').count()).toBe(expected.body.row_count);
    expect(await page.locator('.row-count').textContent()).toContain(
      `${expected.body.row_count} row(s) of people`,
    );
    expect(await page.locator('.result-table').textContent()).toContain('Owner');
    // The recovered writer's actor was rolled back: it is not in the rows.
    expect(await page.locator('.result-table').textContent()).not.toContain('auditor');
    // The check (as typing stops) lists the query the editor holds.
    await page
      .locator('select[aria-label="query name"] option', { hasText: 'people' })
      .waitFor({ state: 'attached' });
    await shot('query-table');

    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('query broken() {\n  match { $a: Actorx }\n  return { $a }\n}');
    const marked = page.locator('.cm-lintRange-error');
    await marked.first().waitFor();
    // The checker's position, underlined: the unknown type on line 2.
    expect(await marked.first().textContent()).toBe('Actorx');
    expect(await page.locator('.cm-gutter-lint .cm-lint-marker-error').count()).toBe(1);
    await shot('query-error');

    // Completion from the schema: a bound variable's properties after `$a.`.
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('query c() {\n  match { $a: Actor }\n  return { $a');
    await page.keyboard.type('.');
    const options = page.locator('.cm-tooltip-autocomplete li');
    await options.first().waitFor();
    expect((await options.allTextContents()).sort()).toEqual(['email', 'name', 'slug']);
  });

  it('Query graph: the result nodes are drawn; clicking one adds its neighbours', async () => {
    const decision = (
      await call(server.url, 'POST', '/read', {
        token: ADMIN,
        body: { query_source: 'query d() { match { $d: Decision } return { $d.slug } }' },
      })
    ).body.rows[0]['d.slug'] as string;
    const around = await api(`/graph/neighbours?type=Decision&id=${encodeURIComponent(decision)}`);
    expect(around.body.neighbours.length).toBeGreaterThan(0);
    await open('/query');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(
      'query decisions() {\n  match { $d: Decision }\n  return { $d }\n}',
    );
    await page.getByRole('button', { name: /Run/ }).click();
    await page.getByRole('button', { name: 'Graph' }).click();
    const graph = page.locator('.graph');
    await page.waitForFunction(
      () => document.querySelector('.graph')?.getAttribute('data-nodes') === '1',
    );
    const at = await page.evaluate(
      (key) => (window as any).__explorerGraph.positionOf(key),
      `Decision:${decision}`,
    );
    await page.mouse.click(at.x, at.y);
    await page.locator('.expanded-note').waitFor();
    const want = String(1 + around.body.neighbours.length);
    await page.waitForFunction(
      (n) => document.querySelector('.graph')?.getAttribute('data-nodes') === n,
      want,
    );
    expect(await graph.getAttribute('data-edges')).toBe(String(around.body.edges.length));
    expect(await page.locator('.expanded-note').textContent()).toContain(
      `expanded: ${around.body.neighbours.length} neighbour(s)`,
    );
    // The check lists the query the editor holds.
    await page
      .locator('select[aria-label="query name"] option', { hasText: 'decisions' })
      .waitFor({ state: 'attached' });
    await shot('query-graph');
  });

  it("Commits: every branch's commits with the merge drawn; a commit opens its changes and a diff", async () => {
    const commits = (await api('/commits')).body.commits as any[];
    const reviewLoad = commits.find((c) => c.manifest_branch === 'review');
    await open('/commits');
    await page.locator('.commit-row').first().waitFor();
    expect(await page.locator('.commit-row').count()).toBe(commits.length);
    expect(await page.locator('.chip.merge').count()).toBe(1);
    expect(await page.locator('path.merge-line').count()).toBe(1);
    await page.locator(`.commit-row[data-commit="${reviewLoad.graph_commit_id}"] a`).click();
    await page.locator('.change').first().waitFor();
    const changes = page.locator('.commit-detail .change');
    expect(await changes.count()).toBe(2);
    expect(await changes.first().textContent()).toContain('customer-private-deployment');
    // The insert's after image holds the loaded values.
    expect(await page.locator('.commit-detail .values').first().textContent()).toContain(
      'Review customer-private-deployment',
    );
    await shot('commits');
    // The diff from the main commit the branch forked from: the same two inserts, through /diff.
    await page
      .locator('select[aria-label="compare with"]')
      .selectOption(reviewLoad.parent_commit_id as string);
    await page.locator('.diff-stats').waitFor();
    expect(await page.locator('.diff-stats').textContent()).toMatch(/^\+2 inserted/);
  });

  it('Operations: the crashed writer is marked; its timeline leads to the recovery record', async () => {
    await open('/operations');
    const row = page.locator(`.op-row[data-op="${crashedOp}"]`);
    await row.waitFor();
    expect(await row.locator('.mark.recovered').textContent()).toBe('recovered: RollBack');
    expect(await row.locator('.mark.recovered').getAttribute('href')).toBe(
      `#/recovery/${crashedOp}`,
    );
    expect(await row.locator('.mark.rolled-back').count()).toBe(1);
    await row.locator(`a[href="#/operations/${crashedOp}"]`).click();
    await page.locator(`.timeline-view[data-op="${crashedOp}"] .step`).first().waitFor();
    const steps = await page
      .locator('.timeline .step')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step')));
    expect(steps.slice(0, 4)).toEqual([
      'op.begun',
      'lease.acquired',
      'op.intent_recorded',
      'table.commit_started',
    ]);
    await page.locator('.timeline .stopped').waitFor();
    expect(await page.locator('.timeline .stopped').textContent()).toContain(
      'The writer stopped here',
    );
    await shot('operation-timeline');
    await page.locator('.recovery-link').click();
    await page.locator('.recovery-record').waitFor();
    expect(page.url()).toContain(`#/recovery/${crashedOp}`);
    const record = page.locator('.recovery-record');
    expect(await record.locator('.observed tr').count()).toBe(3); // header + two tables
    expect(await record.locator('.class-RolledPastExpected').count()).toBe(1);
    expect(await record.locator('.class-NoMovement').count()).toBe(1);
    expect(await record.locator('.decision').textContent()).toBe('RollBack');
    expect(await record.locator('.why').textContent()).toContain(
      "Not every table reached the intent's post-commit version",
    );
    await shot('recovery-record');
  });

  it('Health: doctor, the index states and every branch with its pinned versions', async () => {
    const indexes = (await api('/indexes')).body.indexes as unknown[];
    await open('/health');
    await page.locator('.doctor').waitFor();
    expect(await page.locator('.doctor').getAttribute('data-ok')).toBe('true');
    await page.locator('.indexes').waitFor();
    expect(await page.locator('.indexes tr').count()).toBe(indexes.length + 1);
    await page.locator('.branch[data-branch="review"] .pins').waitFor();
    expect(await page.locator('.branch').count()).toBe(2);
    expect(await page.locator('.branch[data-branch="review"]').textContent()).toContain(
      'forked from main',
    );
    await shot('health');
  });

  it('a view the policy denies answers as denied; what it allows still shows', async () => {
    await open('/operations', VIEWER);
    const denied = page.locator('.failure.denied');
    await denied.waitFor();
    expect(await denied.textContent()).toContain("Denied by the server's policy");
    expect(await denied.textContent()).toMatch(/actor viewer may not admin/);
    await shot('denied-operations');
    await open('/health', VIEWER);
    await page.locator('.branch[data-branch="main"] .pins').waitFor();
    expect(await page.locator('.health .failure.denied').count()).toBe(1); // doctor only
    // Nothing was fetched from anywhere but the server (no CDN: works offline).
    expect(otherOrigins).toEqual([]);
  });
});
