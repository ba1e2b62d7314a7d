import { type NodeStatus } from '../local/clusterStatus';

/** The status table with a HOST column appended (rows in the table's order). */
export function withHostColumn(table: string, rows: NodeStatus[], hosts: Map<string, string>): string {
  const lines = table.split('\n');
  const width = Math.max(...lines.map((l) => l.length));
  return lines.map((line, i) => `${line.padEnd(width)}  ${i === 0 ? 'HOST' : (hosts.get(rows[i - 1].member.id) ?? '?')}`).join('\n');
}
