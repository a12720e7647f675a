/**
 * Bearer-token authentication. Tokens come from the environment (zod-checked):
 * `LANCELOG_SERVER_TOKENS_JSON` (`{"actor": "token", …}`), `LANCELOG_SERVER_TOKENS_FILE`
 * (a file holding the same JSON object) and `LANCELOG_SERVER_TOKEN` (actor `default`);
 * all that are set are combined. Only SHA-256 hashes of the tokens are kept, and a
 * presented token is compared with every stored hash in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../index.js';

export const TOKEN_ENV = {
  json: 'LANCELOG_SERVER_TOKENS_JSON',
  file: 'LANCELOG_SERVER_TOKENS_FILE',
  single: 'LANCELOG_SERVER_TOKEN',
} as const;

const TokenMap = z.record(
  z.string().trim().min(1),
  z.string().min(16, 'a token has at least 16 characters'),
);

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export interface TokenEntry {
  actor: string;
  hash: Buffer;
}

function parseMap(text: string, source: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not JSON: ${(err as Error).message}`, { source });
  }
  const parsed = TokenMap.safeParse(json);
  if (!parsed.success)
    throw new UsageError(
      `${source} must be a JSON object {"actor": "token", …}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      { source },
    );
  return parsed.data;
}

/** The configured tokens (hashed), or an empty list when none is configured. */
export function loadTokens(env: NodeJS.ProcessEnv = process.env): TokenEntry[] {
  const pairs: Array<[string, string, string]> = [];
  const jsonText = env[TOKEN_ENV.json];
  if (jsonText !== undefined && jsonText !== '')
    for (const [a, t] of Object.entries(parseMap(jsonText, TOKEN_ENV.json)))
      pairs.push([a, t, TOKEN_ENV.json]);
  const file = env[TOKEN_ENV.file];
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`${TOKEN_ENV.file}: cannot read ${file}: ${(err as Error).message}`, {
        file,
      });
    }
    for (const [a, t] of Object.entries(parseMap(text, `${TOKEN_ENV.file} (${file})`)))
      pairs.push([a, t, file]);
  }
  const single = env[TOKEN_ENV.single];
  if (single !== undefined && single !== '') {
    const checked = z.string().min(16).safeParse(single);
    if (!checked.success)
      throw new UsageError(`${TOKEN_ENV.single}: a token has at least 16 characters`);
    pairs.push(['default', single, TOKEN_ENV.single]);
  }
  const byHash = new Map<string, string>();
  for (const [actor, token, source] of pairs) {
    const key = sha256(token).toString('hex');
    const other = byHash.get(key);
    if (other !== undefined && other !== actor)
      throw new UsageError(`${source}: actors ${other} and ${actor} have the same token`, {
        actors: [other, actor],
      });
    byHash.set(key, actor);
  }
  return [...byHash].map(([hex, actor]) => ({ actor, hash: Buffer.from(hex, 'hex') }));
}

/**
 * The actor a bearer token belongs to, or null. Every stored hash is compared
 * (no early exit), each in constant time, so the timing says nothing about which
 * token, or how much of one, matched.
 */
export function actorForToken(tokens: TokenEntry[], presented: string): string | null {
  const hash = sha256(presented);
  let found: string | null = null;
  for (const entry of tokens) if (timingSafeEqual(entry.hash, hash)) found ??= entry.actor;
  return found;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}
