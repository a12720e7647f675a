/** Streaming an export from the server to a file or stdout, counting its lines per type. */
import { once } from 'node:events';

/** Writes `chunk`, waiting for the stream to drain when it asks to (bounded memory). */
export async function writeAll(out: NodeJS.WritableStream, chunk: Uint8Array): Promise<void> {
  if (!out.write(chunk)) await once(out as unknown as NodeJS.EventEmitter, 'drain');
}

/** Counts one JSONL line of the load format (`{"type":…}` a node, `{"edge":…}` an edge). */
export function countExportLine(
  line: string,
  counts: { nodes: Record<string, number>; edges: Record<string, number> },
): void {
  if (line.trim() === '') return;
  const record = JSON.parse(line) as { type?: unknown; edge?: unknown };
  if (typeof record.edge === 'string')
    counts.edges[record.edge] = (counts.edges[record.edge] ?? 0) + 1;
  else if (typeof record.type === 'string')
    counts.nodes[record.type] = (counts.nodes[record.type] ?? 0) + 1;
}
