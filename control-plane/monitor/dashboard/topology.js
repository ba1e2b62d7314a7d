// The topology picture (SVG): control planes on top, the primary, its replicas with their
// replication lag, and the workers in a group below. Each node's status and place come
// computed from the monitor (dashboardView.ts).
import { $, svg } from './dom.js';

const WIDTH = 900;
const NODE_W = 150;
const NODE_H = 56;
/** Where the workers' rows begin. */
const WORKERS_Y = 400;
const WORKERS_PER_ROW = 5;
/** Node shapes by id: kept between pictures, so they move and change colour smoothly. */
const shapes = new Map();

/** Where each node and control plane goes, and how tall the picture is. */
function layout(c) {
  const spread = (items, y, w) => {
    const step = Math.min(w + 24, (WIDTH - 40) / Math.max(1, items.length));
    const start = WIDTH / 2 - (step * (items.length - 1)) / 2;
    return items.map((id, i) => [id, start + i * step, y]);
  };
  const byPlace = { primary: [], replica: [], worker: [] };
  for (const n of c.nodes) byPlace[n.place].push(n.id);
  const pos = new Map();
  for (const [id, x, y] of spread(byPlace.primary, 150, NODE_W)) pos.set(id, { x, y });
  for (const [id, x, y] of spread(byPlace.replica, 270, NODE_W)) pos.set(id, { x, y });
  byPlace.worker.forEach((id, i) => {
    const row = Math.floor(i / WORKERS_PER_ROW);
    const inRow = Math.min(WORKERS_PER_ROW, byPlace.worker.length - row * WORKERS_PER_ROW);
    const step = NODE_W + 20;
    const x = WIDTH / 2 - (step * (inRow - 1)) / 2 + (i % WORKERS_PER_ROW) * step;
    pos.set(id, { x, y: WORKERS_Y + row * (NODE_H + 16) });
  });
  const cps = spread(
    c.controlPlanes.map((p) => p.id),
    40,
    170,
  );
  const rows = Math.max(1, Math.ceil(byPlace.worker.length / WORKERS_PER_ROW));
  return { pos, workers: byPlace.worker.length, cps, height: WORKERS_Y + rows * (NODE_H + 16) + 10 };
}

function nodeShape(id) {
  let g = shapes.get(id);
  if (g) return g;
  g = svg('g', { class: 'node', 'data-node-id': id });
  g.append(svg('rect', { class: 'box', x: -NODE_W / 2, y: -NODE_H / 2, width: NODE_W, height: NODE_H, rx: 8 }));
  g.append(svg('circle', { class: 'dot', cx: -NODE_W / 2 + 14, cy: -NODE_H / 2 + 16, r: 6 }));
  const name = svg('text', { class: 'id', x: -NODE_W / 2 + 26, y: -NODE_H / 2 + 20 });
  name.textContent = id;
  g.append(name);
  g.append(svg('text', { class: 'meta', x: -NODE_W / 2 + 12, y: -NODE_H / 2 + 40 }));
  g.append(svg('text', { class: 'mark', x: NODE_W / 2 - 10, y: -NODE_H / 2 - 6, 'text-anchor': 'end' }));
  g.append(svg('text', { class: 'restarts meta', x: NODE_W / 2 - 10, y: -NODE_H / 2 + 20, 'text-anchor': 'end' }));
  shapes.set(id, g);
  return g;
}

/** Links, the workers' group and the control planes: redrawn whole each time. */
function backdrop(c, pos, workers, cps, height) {
  const g = svg('g', { class: 'backdrop' });
  const primary = c.nodes.find((n) => n.id === c.primaryId);
  const primaryPos = primary && pos.get(primary.id);
  for (const n of c.nodes) {
    if (!primaryPos || n.place !== 'replica' || !n.sample || !primary.sample) continue;
    const p = pos.get(n.id);
    const behind = Math.max(0, primary.sample.logPosition - n.sample.logPosition);
    g.append(
      svg('line', {
        class: `replication${behind > 0 ? ' behind' : ''}`,
        'data-replica': n.id,
        x1: primaryPos.x,
        y1: primaryPos.y + NODE_H / 2,
        x2: p.x,
        y2: p.y - NODE_H / 2,
      }),
    );
    const label = svg('text', { class: 'lag', x: (primaryPos.x + p.x) / 2, y: (primaryPos.y + p.y) / 2 + 4, 'text-anchor': 'middle' });
    label.textContent = `lag ${behind}`;
    g.append(label);
  }
  if (workers > 0) {
    const top = WORKERS_Y - NODE_H / 2 - 26;
    g.append(svg('rect', { class: 'group', x: 20, y: top, width: 860, height: height - top - 4, rx: 10 }));
    const label = svg('text', { class: 'group-label', x: 32, y: WORKERS_Y - NODE_H / 2 - 10 });
    label.textContent = `workers (${workers})`;
    g.append(label);
  }
  for (const [id, x, y] of cps) {
    const cp = c.controlPlanes.find((p) => p.id === id);
    const leader = id === c.leaderId;
    const status = cp.health === 'passing' ? 'healthy' : 'down';
    const shape = svg('g', {
      class: `node control-plane status-${status}`,
      'data-control-plane-id': id,
      'data-leader': String(leader),
      transform: `translate(${x} ${y})`,
    });
    shape.append(svg('rect', { class: 'box', x: -80, y: -20, width: 160, height: 40, rx: 20 }));
    const t = svg('text', { class: 'id', x: 0, y: -2, 'text-anchor': 'middle' });
    t.textContent = id;
    const m = svg('text', { class: 'meta', x: 0, y: 14, 'text-anchor': 'middle' });
    m.textContent = `control plane · ${leader ? '★ leader' : 'standby'}`;
    shape.append(t, m);
    g.append(shape);
  }
  return g;
}

/** Draws the cluster (a ClusterView); shapes of nodes no longer in it are removed. */
export function renderTopology(c) {
  const root = $('topology');
  const { pos, workers, cps, height } = layout(c);
  root.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
  for (const old of root.querySelectorAll('.backdrop')) old.remove();
  root.prepend(backdrop(c, pos, workers, cps, height));

  const seen = new Set();
  for (const n of c.nodes) {
    seen.add(n.id);
    const g = nodeShape(n.id);
    const p = pos.get(n.id);
    const primary = n.place === 'primary';
    g.setAttribute('class', `node status-${n.status}${primary ? ' is-primary' : ''}`);
    g.dataset.role = n.role || n.declaredRole;
    g.dataset.status = n.status;
    g.dataset.primary = String(primary);
    g.style.transform = `translate(${p.x}px, ${p.y}px)`;
    g.querySelector('text.meta:not(.restarts)').textContent = `${n.role || n.declaredRole || 'unknown role'} · ${n.status}`;
    g.querySelector('text.restarts').textContent = n.restarts ? `↻${n.restarts}` : '';
    g.querySelector('text.restarts').setAttribute('aria-label', `${n.restarts} restarts`);
    g.querySelector('text.mark').textContent = primary ? '★ PRIMARY' : '';
    if (!g.isConnected) root.append(g);
  }
  for (const [id, g] of shapes) {
    if (seen.has(id)) continue;
    g.remove();
    shapes.delete(id);
  }
}
