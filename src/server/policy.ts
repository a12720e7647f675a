/**
 * Authorization policy: the reference engine's `policy.yaml` format (version 1:
 * `groups`, `protected_branches`, `rules` of `allow: { actors: { group }, actions,
 * branch_scope | target_branch_scope }`), checked with zod, compiled to Cedar policies
 * (one per rule and action) and evaluated by Cedar's own engine
 * (`@cedar-policy/cedar-wasm`). No rule matches → deny. docs/server.md §Policy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LancelogError } from '../index.js';

import { POLICY_ACTIONS, type PolicyAction } from './actions.js';

export { POLICY_ACTIONS, type PolicyAction } from './actions.js';
/** Actions about the branch a request reads or writes (`branch_scope`). */
const BRANCH_SCOPED: ReadonlySet<PolicyAction> = new Set([
  'read',
  'export',
  'change',
  'invoke_query',
]);
/** Actions about a branch they create, delete, merge into or migrate (`target_branch_scope`). */
const TARGET_SCOPED: ReadonlySet<PolicyAction> = new Set([
  'schema_apply',
  'branch_create',
  'branch_delete',
  'branch_merge',
]);

const Name = z.string().trim().min(1);
const Scope = z.enum(['any', 'protected', 'unprotected']);
export const PolicyFileSchema = z
  .object({
    version: z.literal(1),
    groups: z.record(Name, z.array(Name).min(1)).default({}),
    protected_branches: z.array(Name).default([]),
    rules: z
      .array(
        z.object({
          id: Name,
          allow: z.object({
            actors: z.object({ group: Name }),
            actions: z.array(z.enum(POLICY_ACTIONS)).min(1),
            branch_scope: Scope.optional(),
            target_branch_scope: Scope.optional(),
          }),
        }),
      )
      .default([]),
  })
  .strict();
export type PolicyFile = z.infer<typeof PolicyFileSchema>;

export const PolicyTestsSchema = z.object({
  version: z.literal(1),
  cases: z.array(
    z.object({
      id: Name,
      actor: Name,
      action: z.enum(POLICY_ACTIONS),
      branch: Name.nullable().optional(),
      target_branch: Name.nullable().optional(),
      expect: z.enum(['allow', 'deny']),
    }),
  ),
});
export type PolicyTests = z.infer<typeof PolicyTestsSchema>;

export class PolicyError extends LancelogError {}

export interface PolicyRequest {
  actor: string;
  action: PolicyAction;
  branch?: string | null;
  targetBranch?: string | null;
}

export interface PolicyDecision {
  allowed: boolean;
  /** The rule that allowed the request (the first by id when several do). */
  rule: string | null;
  reason: string;
}

interface CedarModule {
  isAuthorized(call: unknown): {
    type: 'success' | 'failure';
    response?: { decision: 'allow' | 'deny'; diagnostics: { reason: string[]; errors: unknown[] } };
    errors?: Array<{ message: string }>;
  };
  checkParsePolicySet(policies: unknown): {
    type: 'success' | 'failure';
    errors?: Array<{ message: string }>;
  };
}

let cedarModule: CedarModule | undefined;
/** Cedar's WebAssembly engine, instantiated on first use (a server without a policy never loads it). */
function cedar(): CedarModule {
  cedarModule ??= createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as CedarModule;
  return cedarModule;
}

const NS = 'Lancelog';
const REPO_ID = 'repo';
const lit = (s: string): string => JSON.stringify(s);

function scopeCondition(scope: z.infer<typeof Scope>, which: 'branch' | 'target_branch'): string {
  if (scope === 'any') return 'true';
  const guard = `context.has_${which}`;
  return scope === 'protected'
    ? `${guard} && context.${which}_is_protected`
    : `${guard} && context.${which}_is_protected == false`;
}

/** Reads and checks a policy file: YAML, the schema, then the cross-field rules. */
export function parsePolicy(text: string, file: string): PolicyFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new PolicyError('PolicyInvalid', `${file}: not YAML: ${(err as Error).message}`, {
      file,
    });
  }
  const parsed = PolicyFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join('.') || '(root)';
    throw new PolicyError('PolicyInvalid', `${file}: ${where}: ${issue.message}`, {
      file,
      field: where,
    });
  }
  const policy = parsed.data;
  const ids = new Set<string>();
  policy.rules.forEach((rule, i) => {
    const at = (msg: string, field: string): PolicyError =>
      new PolicyError('PolicyInvalid', `${file}: rules.${i} (${rule.id}): ${msg}`, {
        file,
        rule: rule.id,
        field: `rules.${i}.${field}`,
      });
    if (ids.has(rule.id)) throw at(`duplicate rule id '${rule.id}'`, 'id');
    ids.add(rule.id);
    if (!(rule.allow.actors.group in policy.groups))
      throw at(`unknown group '${rule.allow.actors.group}'`, 'allow.actors.group');
    const { branch_scope, target_branch_scope, actions } = rule.allow;
    if (branch_scope !== undefined && target_branch_scope !== undefined)
      throw at('give branch_scope or target_branch_scope, not both', 'allow');
    for (const action of actions) {
      if (branch_scope !== undefined && !BRANCH_SCOPED.has(action))
        throw at(`branch_scope does not apply to action '${action}'`, 'allow.branch_scope');
      if (target_branch_scope !== undefined && !TARGET_SCOPED.has(action))
        throw at(
          `target_branch_scope does not apply to action '${action}'`,
          'allow.target_branch_scope',
        );
    }
  });
  return policy;
}

/** The Cedar policies a policy file compiles to, keyed `<rule id>:<action>`. */
export function compileToCedar(policy: PolicyFile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rule of policy.rules) {
    const conditions: string[] = [];
    if (rule.allow.branch_scope) conditions.push(scopeCondition(rule.allow.branch_scope, 'branch'));
    if (rule.allow.target_branch_scope)
      conditions.push(scopeCondition(rule.allow.target_branch_scope, 'target_branch'));
    for (const action of rule.allow.actions) {
      out[`${rule.id}:${action}`] =
        `permit (\n  principal in ${NS}::Group::${lit(rule.allow.actors.group)},\n` +
        `  action == ${NS}::Action::${lit(action)},\n  resource == ${NS}::Repo::${lit(REPO_ID)}\n)` +
        (conditions.length ? `\nwhen { ${conditions.join(' && ')} }` : '') +
        ';';
    }
  }
  return out;
}

/** A compiled policy, ready to answer requests. */
export class PolicyEngine {
  private readonly cedarPolicies: Record<string, string>;
  private readonly entities: unknown[];
  private readonly protectedBranches: Set<string>;
  private readonly knownActors: Set<string>;

  constructor(
    readonly policy: PolicyFile,
    readonly file: string,
  ) {
    this.cedarPolicies = compileToCedar(policy);
    const check = cedar().checkParsePolicySet({ staticPolicies: this.cedarPolicies });
    if (check.type !== 'success')
      throw new PolicyError(
        'PolicyInvalid',
        `${file}: does not compile to Cedar: ${(check.errors ?? []).map((e) => e.message).join('; ')}`,
        { file },
      );
    this.protectedBranches = new Set(policy.protected_branches);
    const groupsOf = new Map<string, string[]>();
    for (const [group, members] of Object.entries(policy.groups))
      for (const m of members) groupsOf.set(m, [...(groupsOf.get(m) ?? []), group]);
    this.knownActors = new Set(groupsOf.keys());
    this.entities = [
      ...Object.keys(policy.groups).map((g) => ({
        uid: { type: `${NS}::Group`, id: g },
        attrs: {},
        parents: [],
      })),
      ...[...groupsOf].map(([actor, groups]) => ({
        uid: { type: `${NS}::Actor`, id: actor },
        attrs: {},
        parents: groups.map((g) => ({ type: `${NS}::Group`, id: g })),
      })),
      { uid: { type: `${NS}::Repo`, id: REPO_ID }, attrs: {}, parents: [] },
    ];
  }

  static load(file: string): PolicyEngine {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PolicyError(
        'FileNotFound',
        `cannot read policy file ${file}: ${(err as Error).message}`,
        {
          file,
        },
      );
    }
    return new PolicyEngine(parsePolicy(text, file), file);
  }

  cedarText(): string {
    return Object.entries(this.cedarPolicies)
      .map(([id, text]) => `@id(${lit(id)})\n${text}`)
      .join('\n\n');
  }

  authorize(req: PolicyRequest): PolicyDecision {
    if (!this.knownActors.has(req.actor))
      return { allowed: false, rule: null, reason: `actor '${req.actor}' is in no group` };
    const branch = req.branch ?? null;
    const target = req.targetBranch ?? null;
    const answer = cedar().isAuthorized({
      principal: { type: `${NS}::Actor`, id: req.actor },
      action: { type: `${NS}::Action`, id: req.action },
      resource: { type: `${NS}::Repo`, id: REPO_ID },
      context: {
        has_branch: branch !== null,
        branch: branch ?? '',
        branch_is_protected: branch !== null && this.protectedBranches.has(branch),
        has_target_branch: target !== null,
        target_branch: target ?? '',
        target_branch_is_protected: target !== null && this.protectedBranches.has(target),
      },
      policies: { staticPolicies: this.cedarPolicies },
      entities: this.entities,
    });
    if (answer.type !== 'success' || !answer.response || answer.response.diagnostics.errors.length)
      throw new PolicyError('PolicyEvaluationFailed', `Cedar could not evaluate the request`, {
        errors: answer.errors ?? answer.response?.diagnostics.errors,
      });
    const rules = answer.response.diagnostics.reason
      .map((id) => id.slice(0, id.lastIndexOf(':')))
      .sort();
    if (answer.response.decision === 'allow')
      return { allowed: true, rule: rules[0] ?? null, reason: `allowed by rule '${rules[0]}'` };
    return {
      allowed: false,
      rule: null,
      reason: `no rule allows '${req.action}'${branch !== null ? ` on branch '${branch}'` : ''}${target !== null ? ` targeting branch '${target}'` : ''} for actor '${req.actor}'`,
    };
  }
}

/** Reads a `policy.tests.yaml` (`version: 1`, `cases: [{id, actor, action, branch?, target_branch?, expect}]`). */
export function loadPolicyTests(file: string): PolicyTests {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PolicyError('PolicyTestsInvalid', `${file}: ${(err as Error).message}`, { file });
  }
  const parsed = PolicyTestsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join('.') || '(root)';
    throw new PolicyError('PolicyTestsInvalid', `${file}: ${where}: ${issue.message}`, {
      file,
      field: where,
    });
  }
  return parsed.data;
}

/** Runs every case; the failures (empty when all pass). */
export function runPolicyTests(
  engine: PolicyEngine,
  tests: PolicyTests,
): Array<{ id: string; expected: 'allow' | 'deny'; got: 'allow' | 'deny'; reason: string }> {
  return tests.cases.flatMap((c) => {
    const d = engine.authorize({
      actor: c.actor,
      action: c.action,
      branch: c.branch ?? null,
      targetBranch: c.target_branch ?? null,
    });
    const got = d.allowed ? 'allow' : 'deny';
    return got === c.expect
      ? []
      : [{ id: c.id, expected: c.expect, got, reason: d.reason } as const];
  });
}
