/** A read's rows as a table; a whole node shows as its type and id, its properties on hover. */
import type { ReadResult } from '../api';
import { valueText } from '../common';

function Cell({ value, type }: { value: unknown; type: string }) {
  if (type.startsWith('node ') && value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    return (
      <td title={JSON.stringify(node, null, 1)}>
        <span class="chip">{type.slice(5)}</span> {valueText(node.id)}
      </td>
    );
  }
  return <td>{valueText(value)}</td>;
}

export function ResultTable({ result }: { result: ReadResult }) {
  if (result.rows.length === 0) return <p class="muted">No rows.</p>;
  return (
    <div class="scroll">
      <table class="result-table">
        <thead>
          <tr>
            {result.columns.map((c, i) => (
              <th title={result.column_types[i]}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.rows.map((row) => (
            <tr>
              {result.columns.map((c, i) => (
                <Cell value={row[c]} type={result.column_types[i]} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
