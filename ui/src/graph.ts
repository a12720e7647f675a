/**
 * The node-link drawing of query results (Cytoscape.js, in a chunk of its own): nodes
 * keyed `Type:id`, coloured by type; edges of the schema drawn solid with their type,
 * and "same result row" links dashed. A tap on a node asks the view to expand it. The
 * container carries the counts (`data-nodes`, `data-edges`) and `window.__explorerGraph`
 * gives a node's place on screen, so the browser tests can click a node like a user.
 */
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';

export interface DrawNode {
  key: string;
  type: string;
  label: string;
}
export interface DrawEdge {
  key: string;
  from: string;
  to: string;
  label: string;
  /** A link between two nodes of one result row, not an edge of the graph. */
  row?: boolean;
}

export interface GraphHandle {
  add(nodes: DrawNode[], edges: DrawEdge[]): void;
  /** A node's centre in the page's client coordinates, or null. */
  positionOf(key: string): { x: number; y: number } | null;
  destroy(): void;
}

const PALETTE = [
  '#2563eb',
  '#16a34a',
  '#d97706',
  '#9333ea',
  '#dc2626',
  '#0891b2',
  '#65a30d',
  '#db2777',
];

function colourOf(type: string): string {
  let h = 0;
  for (const c of type) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      'background-color': 'data(colour)',
      label: 'data(label)',
      color: '#1f2937',
      'font-size': 10,
      'text-valign': 'bottom',
      'text-margin-y': 3,
      width: 18,
      height: 18,
    },
  },
  { selector: 'node.expanded', style: { 'border-width': 3, 'border-color': '#111827' } },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'line-color': '#9ca3af',
      'target-arrow-color': '#9ca3af',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
      label: 'data(label)',
      'font-size': 8,
      color: '#6b7280',
      'text-rotation': 'autorotate',
    },
  },
  { selector: 'edge.row', style: { 'line-style': 'dashed', 'target-arrow-shape': 'none' } },
];

export function createGraph(container: HTMLElement, onTap: (key: string) => void): GraphHandle {
  const cy: Core = cytoscape({
    container,
    style: STYLE,
    wheelSensitivity: 0.3,
    minZoom: 0.2,
    maxZoom: 3,
  });
  const counts = () => {
    container.dataset.nodes = String(cy.nodes().length);
    container.dataset.edges = String(cy.edges().length);
  };
  cy.on('tap', 'node', (e) => {
    e.target.addClass('expanded');
    onTap(e.target.id());
  });
  const handle: GraphHandle = {
    add(nodes, edges) {
      const els: ElementDefinition[] = [];
      for (const n of nodes)
        if (cy.getElementById(n.key).empty())
          els.push({
            group: 'nodes',
            data: { id: n.key, label: n.label, colour: colourOf(n.type), type: n.type },
          });
      for (const e of edges)
        if (cy.getElementById(e.key).empty())
          els.push({
            group: 'edges',
            classes: e.row ? 'row' : '',
            data: { id: e.key, source: e.from, target: e.to, label: e.label },
          });
      if (els.length === 0) return;
      cy.add(els);
      cy.layout({
        name: 'cose',
        animate: false,
        randomize: false,
        nodeDimensionsIncludeLabels: true,
      }).run();
      cy.fit(undefined, 30);
      counts();
    },
    positionOf(key) {
      const n = cy.getElementById(key);
      if (n.empty()) return null;
      const p = n.renderedPosition();
      const box = container.getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    },
    destroy: () => cy.destroy(),
  };
  counts();
  (window as unknown as { __explorerGraph?: GraphHandle }).__explorerGraph = handle;
  return handle;
}
