/** The action of `lancelog mcp` (registered in mcp.ts). */
import { z } from 'zod';
import { DEFAULT_ACTOR, UsageError } from '../../src/index.js';

const McpFlags = z
  .object({
    server: z.url().optional(),
    graph: z.string().min(1).optional(),
    uri: z.string().min(1).optional(),
    queries: z.string().min(1).optional(),
    actor: z.string().min(1).optional(),
  })
  .strict();

export async function mcp(raw: Record<string, unknown>): Promise<void> {
  const parsed = McpFlags.safeParse(raw);
  if (!parsed.success) {
    const flag = String(parsed.error.issues[0].path[0] ?? '');
    throw new UsageError(`--${flag}: ${parsed.error.issues[0].message}`, { flag });
  }
  const opts = parsed.data;
  const { localSource, remoteSource, serveMcpStdio } = await import('../../src/server/index.js');
  if ((opts.server === undefined) === (opts.uri === undefined))
    throw new UsageError('give --server URL or --uri REPO (with --queries DIR)', {
      flag: 'server',
    });
  if (opts.server !== undefined) {
    if (opts.queries !== undefined || opts.actor !== undefined)
      throw new UsageError('--queries and --actor go with --uri; a server has its own', {
        flag: 'queries',
      });
    const token = process.env.LANCELOG_TOKEN;
    await serveMcpStdio(
      remoteSource({
        url: opts.server,
        ...(opts.graph !== undefined ? { graphId: opts.graph } : {}),
        ...(token ? { token } : {}),
      }),
    );
    return;
  }
  if (opts.queries === undefined)
    throw new UsageError('--uri needs --queries DIR (the stored queries)', { flag: 'queries' });
  await serveMcpStdio(
    await localSource({
      repo: opts.uri!,
      queriesDir: opts.queries,
      actor: opts.actor ?? DEFAULT_ACTOR,
    }),
  );
}
