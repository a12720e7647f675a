/**
 * A read's whole-node columns as a node-link graph (graph.ts, loaded on first use). Nodes
 * of one row are linked by a dashed "row" line; a click on a node fetches its neighbours
 * (`GET /graph/neighbours`) and adds them with the edges of the schema that join them.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type GraphNode, type Neighbours, type ReadResult } from '../api';
import { Failure, valueText } from '../common';
import type { DrawEdge, DrawNode, GraphHandle } from '../graph';

const keyOf = (type: string, id: unknown) => `${type}:${String(id)}`;

/** The nodes of the node-typed columns and the links between the nodes of each row. */
export function resultElements(result: ReadResult): { nodes: DrawNode[]; edges: DrawEdge[] } {
  const nodes = new Map<string, DrawNode>();
  const edges = new Map<string, DrawEdge>();
  const nodeColumns = result.columns.flatMap((c, i) =>
    result.column_types[i].startsWith('node ')
      ? [{ name: c, type: result.column_types[i].slice(5) }]
      : [],
  );
  for (const row of result.rows) {
    const keys: string[] = [];
    for (const col of nodeColumns) {
      const v = row[col.name] as { id?: unknown } | null;
      if (!v || v.id === undefined) continue;
      const key = keyOf(col.type, v.id);
      nodes.set(key, { key, type: col.type, label: String(v.id) });
      keys.push(key);
    }
    for (let i = 1; i < keys.length; i++)
      if (keys[i - 1] !== keys[i]) {
        const key = `row:${keys[i - 1]}|${keys[i]}`;
        edges.set(key, { key, from: keys[i - 1], to: keys[i], label: '', row: true });
      }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

function neighbourElements(n: Neighbours): { nodes: DrawNode[]; edges: DrawEdge[] } {
  const node = (g: GraphNode) => ({ key: keyOf(g.type, g.id), type: g.type, label: g.id });
  return {
    nodes: [node(n.node), ...n.neighbours.map(node)],
    edges: n.edges.map((e) => ({
      key: `${e.type}:${e.id}`,
      from: keyOf(e.from.type, e.from.id),
      to: keyOf(e.to.type, e.to.id),
      label: e.type,
    })),
  };
}

function Selected({
  node,
  count,
  truncated,
}: {
  node: GraphNode;
  count: number;
  truncated: boolean;
}) {
  return (
    <div class="selected-node">
      <h3>
        <span class="chip">{node.type}</span> {node.id}
      </h3>
      <p class="expanded-note">
        expanded: {count} neighbour(s){truncated ? ' (first ones only)' : ''}
      </p>
      <table class="props">
        {Object.entries(node.properties).map(([k, v]) => (
          <tr>
            <th>{k}</th>
            <td>{valueText(v)}</td>
          </tr>
        ))}
      </table>
    </div>
  );
}

export function ResultGraph({ result, branch }: { result: ReadResult; branch: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState<Neighbours | null>(null);
  const [error, setError] = useState<unknown>(null);
  const initial = resultElements(result);
  useEffect(() => {
    let graph: GraphHandle | null = null;
    let gone = false;
    const expand = async (key: string) => {
      const at = key.indexOf(':');
      try {
        const n = await api.get<Neighbours>('/graph/neighbours', {
          type: key.slice(0, at),
          id: key.slice(at + 1),
          branch,
        });
        if (gone) return;
        const els = neighbourElements(n);
        graph?.add(els.nodes, els.edges);
        setSelected(n);
        setError(null);
      } catch (err) {
        setError(err);
      }
    };
    void import('../graph').then(({ createGraph }) => {
      if (gone || !host.current) return;
      graph = createGraph(host.current, (key) => void expand(key));
      graph.add(initial.nodes, initial.edges);
    });
    return () => {
      gone = true;
      graph?.destroy();
    };
  }, [result, branch]);
  if (initial.nodes.length === 0)
    return (
      <p class="muted">
        No whole nodes in these columns: return a node itself (<code>return {'{ $n }'}</code>) to
        see it in the graph.
      </p>
    );
  return (
    <div class="graph-pane">
      <div class="graph" ref={host} data-nodes="0" data-edges="0" />
      <aside>
        {error ? <Failure error={error} what="expanding the node" /> : null}
        {selected ? (
          <Selected
            node={selected.node}
            count={selected.neighbours.length}
            truncated={selected.truncated}
          />
        ) : (
          <p class="muted">Click a node to add its neighbours.</p>
        )}
      </aside>
    </div>
  );
}
