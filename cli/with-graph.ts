/** Opening the graph a data command works on (a repo directory or a server) for one command. */
import type { GraphSource } from './graph-source.js';
import { LocalGraph } from './local-graph.js';
import { RemoteGraph } from './remote/remote-graph.js';
import type { Target } from './target.js';

export async function openGraph(target: Target, readOnly: boolean): Promise<GraphSource> {
  return target.kind === 'local'
    ? LocalGraph.open(target.dir, readOnly)
    : new RemoteGraph(target.server);
}

export async function withGraph<T>(
  target: Target,
  readOnly: boolean,
  fn: (graph: GraphSource) => Promise<T> | T,
): Promise<T> {
  const graph = await openGraph(target, readOnly);
  try {
    return await fn(graph);
  } finally {
    await graph.close();
  }
}
