// The shoal dashboard, in the browser. It opens /api/stream (server-sent events from the
// monitor): a `snapshot` first, then `cluster` (the picture, every half second), `event`
// (a control-plane decision or observation), `conflicts` and `connection`. Plain script, no
// build step; uPlot (served by the monitor) draws the charts. Text goes in with textContent
// only: node ids and reasons come from the cluster, not from us.
'use strict';

(function dashboard() {
  const state = {
    connection: { connected: false, leaderId: '', leaderAddress: '', problem: 'connecting' },
    cluster: undefined,
    history: [],
    events: [],
    conflicts: [],
  };
  /** Events the table shows at most, and events kept (as many as the monitor keeps). */
  const EVENT_ROWS = 200;
  const EVENTS_KEPT = 500;
  /** Chart history kept in the page, ms (the monitor sends the same window on connect). */
  const HISTORY_MS = 5 * 60_000;

  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== undefined && c !== null) e.append(c);
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  function time(ms) {
    const d = new Date(ms);
    return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  }

  function ago(ms) {
    if (!ms) return 'never';
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
  }

  const fixed = (n, digits) => (n === undefined || n === null ? '–' : Number(n).toFixed(digits));

  /**
   * One word for a node's state, from the control plane's phase and Consul's health: the
   * control plane sees a crash first (the status stream breaks), Consul a hung process.
   */
  function statusOf(node) {
    if (node.phase === 'drained') return 'drained';
    if (node.phase === 'down' || node.phase === 'suspected' || node.health === 'critical') return 'down';
    if (node.phase === 'starting' || node.phase === 'pending' || node.health === 'warning' || node.health === 'unknown') return 'starting';
    return 'healthy';
  }

  const statusText = {
    healthy: 'healthy',
    starting: 'starting',
    down: 'down',
    drained: 'drained',
  };

  /** Where a node belongs in the picture: the role it plays, else the one declared. */
  function placeOf(node, primaryId) {
    if (node.id === primaryId) return 'primary';
    const role = node.role || node.declaredRole;
    return role === 'worker' ? 'worker' : 'replica';
  }

  // ---- connection and header -------------------------------------------------------------

  /** Live, or what is wrong; when not live the page is greyed out and says how old it is. */
  function renderConnection() {
    const c = state.connection;
    const box = $('connection');
    const blind = c.connected && state.cluster && state.cluster.blind;
    box.dataset.connected = String(c.connected);
    box.dataset.blind = String(Boolean(blind));
    document.body.dataset.live = String(c.connected);
    const asOf = state.cluster ? ` · showing the picture of ${time(state.cluster.atMs)}` : '';
    box.textContent = c.connected
      ? `live · following ${c.leaderId}${blind ? ' · it cannot reach Consul, so it decides nothing' : ''}`
      : `not live: ${c.problem}${asOf}`;
  }

  function renderHeader() {
    const c = state.cluster;
    if (!c) return;
    $('cluster-name').textContent = c.cluster;
    document.title = `shoal ${c.cluster}`;
    $('term').textContent = String(c.term);
    $('primary').textContent = c.primaryId || 'none';
    $('cp-leader').textContent = c.leaderId || 'none';
    $('worker-count').textContent = `${c.scaling.workers} running, ${c.scaling.desiredWorkers} desired`;
  }

  // ---- topology ----------------------------------------------------------------------------

  const NODE_W = 150;
  const NODE_H = 56;
  const shapes = new Map();

  function layout(c) {
    const width = 900;
    const spread = (items, y, w) => {
      const step = Math.min(w + 24, (width - 40) / Math.max(1, items.length));
      const start = width / 2 - (step * (items.length - 1)) / 2;
      return items.map((id, i) => [id, start + i * step, y]);
    };
    const byPlace = { primary: [], replica: [], worker: [] };
    for (const n of c.nodes) byPlace[placeOf(n, c.primaryId)].push(n.id);
    const pos = new Map();
    for (const [id, x, y] of spread(byPlace.primary, 150, NODE_W)) pos.set(id, { x, y });
    for (const [id, x, y] of spread(byPlace.replica, 270, NODE_W)) pos.set(id, { x, y });
    // Workers in rows of five inside their group box.
    const perRow = 5;
    byPlace.worker.forEach((id, i) => {
      const row = Math.floor(i / perRow);
      const inRow = Math.min(perRow, byPlace.worker.length - row * perRow);
      const step = NODE_W + 20;
      const x = width / 2 - (step * (inRow - 1)) / 2 + (i % perRow) * step;
      pos.set(id, { x, y: 400 + row * (NODE_H + 16) });
    });
    const cps = spread(c.controlPlanes.map((p) => p.id), 40, 170);
    return { pos, workers: byPlace.worker.length, cps, height: 400 + Math.max(1, Math.ceil(byPlace.worker.length / perRow)) * (NODE_H + 16) + 10 };
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

  function renderTopology() {
    const c = state.cluster;
    if (!c) return;
    const root = $('topology');
    const { pos, workers, cps, height } = layout(c);
    root.setAttribute('viewBox', `0 0 900 ${height}`);

    // Links and groups are redrawn; node shapes are kept, so they move and change colour smoothly.
    for (const old of root.querySelectorAll('.backdrop')) old.remove();
    const backdrop = svg('g', { class: 'backdrop' });
    const primary = c.nodes.find((n) => n.id === c.primaryId);
    const primaryPos = primary && pos.get(primary.id);
    for (const n of c.nodes) {
      if (!primaryPos || n.id === c.primaryId || placeOf(n, c.primaryId) !== 'replica' || !n.sample || !primary.sample) continue;
      const p = pos.get(n.id);
      const behind = Math.max(0, primary.sample.logPosition - n.sample.logPosition);
      backdrop.append(svg('line', { class: `replication${behind > 0 ? ' behind' : ''}`, 'data-replica': n.id, x1: primaryPos.x, y1: primaryPos.y + NODE_H / 2, x2: p.x, y2: p.y - NODE_H / 2 }));
      const label = svg('text', { class: 'lag', x: (primaryPos.x + p.x) / 2, y: (primaryPos.y + p.y) / 2 + 4, 'text-anchor': 'middle' });
      label.textContent = `lag ${behind}`;
      backdrop.append(label);
    }
    if (workers > 0) {
      backdrop.append(svg('rect', { class: 'group', x: 20, y: 400 - NODE_H / 2 - 26, width: 860, height: height - (400 - NODE_H / 2 - 26) - 4, rx: 10 }));
      const label = svg('text', { class: 'group-label', x: 32, y: 400 - NODE_H / 2 - 10 });
      label.textContent = `workers (${workers})`;
      backdrop.append(label);
    }
    for (const [id, x, y] of cps) {
      const cp = c.controlPlanes.find((p) => p.id === id);
      const leader = id === c.leaderId;
      const status = cp.health === 'passing' ? 'healthy' : 'down';
      const g = svg('g', { class: `node control-plane status-${status}`, 'data-control-plane-id': id, 'data-leader': String(leader), transform: `translate(${x} ${y})` });
      g.append(svg('rect', { class: 'box', x: -80, y: -20, width: 160, height: 40, rx: 20 }));
      const t = svg('text', { class: 'id', x: 0, y: -2, 'text-anchor': 'middle' });
      t.textContent = id;
      const m = svg('text', { class: 'meta', x: 0, y: 14, 'text-anchor': 'middle' });
      m.textContent = `control plane · ${leader ? '★ leader' : 'standby'}`;
      g.append(t, m);
      backdrop.append(g);
    }
    root.prepend(backdrop);

    const seen = new Set();
    for (const n of c.nodes) {
      seen.add(n.id);
      const g = nodeShape(n.id);
      const place = placeOf(n, c.primaryId);
      const status = statusOf(n);
      const p = pos.get(n.id);
      g.setAttribute('class', `node status-${status}${place === 'primary' ? ' is-primary' : ''}`);
      g.dataset.role = n.role || n.declaredRole;
      g.dataset.status = status;
      g.dataset.primary = String(place === 'primary');
      g.style.transform = `translate(${p.x}px, ${p.y}px)`;
      g.querySelector('text.meta:not(.restarts)').textContent = `${n.role || n.declaredRole || 'unknown role'} · ${statusText[status]}`;
      g.querySelector('text.restarts').textContent = n.restarts ? `↻${n.restarts}` : '';
      g.querySelector('text.restarts').setAttribute('aria-label', `${n.restarts} restarts`);
      g.querySelector('text.mark').textContent = place === 'primary' ? '★ PRIMARY' : '';
      if (!g.isConnected) root.append(g);
    }
    for (const [id, g] of shapes) {
      if (seen.has(id)) continue;
      g.remove();
      shapes.delete(id);
    }
  }

  // ---- nodes table -------------------------------------------------------------------------

  function renderNodes() {
    const c = state.cluster;
    if (!c) return;
    const rows = c.nodes.map((n) => {
      const status = statusOf(n);
      const s = n.sample;
      return el(
        'tr',
        { 'data-node-id': n.id, 'data-status': status },
        el('td', { class: 'id', text: n.id + (n.id === c.primaryId ? ' ★' : '') }),
        el('td', { text: n.role || n.declaredRole || '?' }),
        el('td', {}, el('span', { class: `badge status-${status}`, text: statusText[status] === n.phase ? n.phase : `${statusText[status]} (${n.phase})` })),
        el('td', { text: n.health }),
        el('td', { class: 'num', text: s ? fixed(s.cpuPercent, 1) : '–' }),
        el('td', { class: 'num', text: s ? `${fixed(s.rssBytes / 2 ** 20, 0)} MiB` : '–' }),
        el('td', { class: 'num', text: s ? fixed(s.rpcPerSecond, 1) : '–' }),
        el('td', { class: 'num', text: s ? `${fixed(s.eventLoopP99Ms, 1)} ms` : '–' }),
        el('td', { class: 'num', text: String(n.restarts) }),
        el('td', { class: 'num', text: n.pid ? String(n.pid) : '–' }),
        el('td', { class: 'mono', text: n.address || '–' }),
        el('td', { text: n.detail }),
      );
    });
    $('nodes').tBodies[0].replaceChildren(...rows);
  }

  // ---- charts --------------------------------------------------------------------------------

  const PALETTE = ['#3b6fd8', '#e8710a', '#1e8e3e', '#c5221f', '#9334e6', '#12a4af', '#b06000', '#d01884', '#5f6368', '#188038'];
  const colour = (i) => PALETTE[i % PALETTE.length];
  const charts = new Map();
  const NODE_CHARTS = [
    ['chart-cpu', 'cpuPercent', '%'],
    ['chart-memory', 'rssMiB', 'MiB'],
    ['chart-rpc', 'rpcPerSecond', '/s'],
    ['chart-loop', 'eventLoopP99Ms', 'ms'],
  ];

  function chartSize(box) {
    return { width: Math.max(260, box.clientWidth), height: 180 };
  }

  function axisColours() {
    const css = getComputedStyle(document.documentElement);
    return { stroke: css.getPropertyValue('--muted').trim(), grid: css.getPropertyValue('--border').trim() };
  }

  /** Draws (or redraws) a chart; a new set of series means a new uPlot. */
  function drawChart(id, seriesLabels, data, unit) {
    const box = $(id);
    // Moments with at least one value drawn (a series without data is all nulls).
    box.dataset.points = String(data[0].filter((_x, i) => data.slice(1).some((series) => series[i] !== null && series[i] !== undefined)).length);
    const signature = seriesLabels.join('|');
    let entry = charts.get(id);
    if (entry && entry.signature !== signature) {
      entry.plot.destroy();
      entry = undefined;
    }
    if (!entry) {
      const { stroke, grid } = axisColours();
      const axis = { stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
      const plot = new uPlot(
        {
          ...chartSize(box),
          scales: { x: { time: true } },
          axes: [axis, { ...axis, size: 72, values: (_u, ticks) => ticks.map((v) => `${v}${unit === '/s' ? '' : ' '}${unit}`) }],
          series: [{}, ...seriesLabels.map((label, i) => ({ label, stroke: colour(i), width: 1.5, spanGaps: false, value: (_u, v) => (v === null || v === undefined ? '–' : `${v} ${unit}`) }))],
          legend: { live: true },
        },
        data,
        box,
      );
      entry = { plot, signature };
      charts.set(id, entry);
    } else {
      entry.plot.setData(data);
    }
  }

  function renderCharts() {
    if (typeof uPlot === 'undefined' || state.history.length === 0) return;
    const points = state.history;
    const x = points.map((p) => p.atMs / 1000);
    const ids = [...new Set(points.flatMap((p) => Object.keys(p.nodes)))].sort();
    for (const [id, field, unit] of NODE_CHARTS) {
      drawChart(id, ids, [x, ...ids.map((node) => points.map((p) => (p.nodes[node] ? p.nodes[node][field] : null)))], unit);
    }
    drawChart('chart-events', ['backlog (events)', 'processed (events/s)'], [x, points.map((p) => p.backlog ?? null), points.map((p) => p.eventsPerSecond ?? null)], '');
  }

  window.addEventListener('resize', () => {
    for (const [id, { plot }] of charts) plot.setSize(chartSize($(id)));
  });

  // ---- state sync ------------------------------------------------------------------------------

  function renderSync() {
    const c = state.cluster;
    if (!c) return;
    const primary = c.nodes.find((n) => n.id === c.primaryId);
    const head = primary && primary.sample ? primary.sample.logPosition : undefined;
    const stateNodes = c.nodes.filter((n) => placeOf(n, c.primaryId) !== 'worker');
    const rows = stateNodes.map((n) => {
      const s = n.sample;
      const isPrimary = n.id === c.primaryId;
      const behind = s && head !== undefined ? Math.max(0, head - s.logPosition) : undefined;
      const antiEntropy = isPrimary ? 'n/a (primary)' : s && s.antiEntropyAtMs ? `${ago(s.antiEntropyAtMs)}: ${s.antiEntropyRepairedKeys ? `repaired ${s.antiEntropyRepairedKeys} keys` : 'in agreement'}` : 'not yet';
      return el(
        'tr',
        { 'data-node-id': n.id },
        el('td', { class: 'id', text: n.id }),
        el('td', { text: isPrimary ? 'primary' : n.role || n.declaredRole }),
        el('td', { class: 'num', text: s ? String(s.term) : '–' }),
        el('td', { class: 'num', text: s ? String(s.logPosition) : '–' }),
        el('td', { class: 'num', text: isPrimary ? '–' : behind === undefined ? 'unknown' : `${behind} entries` }),
        el('td', { text: s ? antiEntropy : 'no sample' }),
        el('td', { class: 'num', text: s ? String(s.conflictsResolved) : '–' }),
      );
    });
    $('sync').tBodies[0].replaceChildren(...rows);
  }

  function version(label, v) {
    if (!v) return [el('span', { text: label }), el('span', { class: 'empty', text: 'none' })];
    const value = v.deleted ? '(deleted)' : v.value;
    return [el('span', { text: label }), el('span', {}, el('code', { text: value }), ` v${v.version} from ${v.origin}`)];
  }

  function renderConflicts() {
    const list = $('conflicts');
    if (state.conflicts.length === 0) return list.replaceChildren(el('li', { class: 'empty', text: 'none resolved' }));
    list.replaceChildren(
      ...state.conflicts.map((c) =>
        el(
          'li',
          {},
          el('div', {}, el('code', { text: c.key }), ` at ${time(c.resolvedAtMs)} by ${c.resolvedBy}: ${c.reason}`),
          el('div', { class: 'versions' }, ...version('kept', c.winner), ...version('discarded', c.loser)),
        ),
      ),
    );
  }

  // ---- autoscaling ----------------------------------------------------------------------------

  function figure(label, value) {
    return el('div', { class: 'figure' }, el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }));
  }

  function renderScaling() {
    const c = state.cluster;
    if (!c) return;
    const s = c.scaling;
    const p = s.policy;
    const b = c.backlog;
    const parts = [
      el(
        'div',
        { class: 'scaling-figures' },
        figure('workers running', String(s.workers)),
        figure('desired', String(s.desiredWorkers)),
        figure('min / max', `${s.minWorkers} / ${s.maxWorkers}`),
        figure('backlog', b ? String(b.pending + b.leased) : '–'),
        figure('events/s', b && b.eventsPerSecond !== undefined ? String(b.eventsPerSecond) : '–'),
        figure('dead-lettered', b ? String(b.dead) : '–'),
      ),
      el(
        'p',
        { class: 'policy' },
        `Automatic scaling ${s.enabled ? 'on' : 'off'}. Up when cpu > ${p.scaleUpCpuPercent}% or backlog per worker > ${p.scaleUpBacklogPerWorker} for ${p.upWindowMs / 1000} s; ` +
          `down when cpu < ${p.scaleDownCpuPercent}% and backlog ≤ ${p.scaleDownBacklog} for ${p.downWindowMs / 1000} s; cooldown ${p.cooldownMs / 1000} s; step ${p.step}.`,
      ),
    ];
    if (b && Object.keys(b.leasedByWorker).length > 0) {
      parts.push(el('p', { class: 'details', text: `leased now: ${Object.entries(b.leasedByWorker).map(([w, n]) => `${w} ${n}`).join(', ')}` }));
    }
    const d = s.lastDecision;
    parts.push(
      d
        ? el(
            'div',
            { class: 'decision-box', id: 'last-scaling-decision' },
            el('div', {}, el('strong', { text: d.kind.replace('_', ' ') }), ` at ${time(d.atMs)}: ${d.reason}`),
            el('div', { class: 'details', text: d.details.map(([k, v]) => `${k}=${v}`).join('  ') }),
          )
        : el('p', { class: 'empty', text: 'no scaling decision yet' }),
    );
    $('scaling').replaceChildren(...parts);
  }

  // ---- event log ------------------------------------------------------------------------------

  function fillSelect(select, values) {
    const current = select.value;
    const known = [...select.options].map((o) => o.value).slice(1);
    if (known.join('|') === values.join('|')) return;
    select.replaceChildren(el('option', { value: '', text: 'all' }), ...values.map((v) => el('option', { value: v, text: v })));
    select.value = values.includes(current) ? current : '';
  }

  let newestShown = 0;

  function renderEvents() {
    const nodes = [...new Set([...state.events.map((e) => e.nodeId).filter(Boolean), ...(state.cluster ? state.cluster.nodes.map((n) => n.id) : [])])].sort();
    fillSelect($('filter-node'), nodes);
    fillSelect($('filter-kind'), [...new Set(state.events.map((e) => e.kind))].sort());
    const node = $('filter-node').value;
    const kind = $('filter-kind').value;
    const decisionsOnly = $('filter-decisions').checked;
    const shown = state.events
      .filter((e) => (!node || e.nodeId === node) && (!kind || e.kind === kind) && (!decisionsOnly || e.decision))
      .slice(-EVENT_ROWS)
      .reverse();
    const rows = shown.map((e) =>
      el(
        'tr',
        { 'data-kind': e.kind, 'data-node-id': e.nodeId, 'data-decision': String(e.decision), class: e.atMs > newestShown && newestShown > 0 ? 'fresh' : undefined },
        el('td', { class: 'mono', text: time(e.atMs) }),
        el('td', {}, el('span', { class: `badge${e.decision ? ' decision' : ''}`, text: e.kind, title: e.decision ? 'decision' : 'observation' })),
        el('td', { class: 'id', text: e.nodeId || '–' }),
        el('td', { text: e.reason }),
        el('td', { class: 'details', text: e.details.map(([k, v]) => `${k}=${v}`).join(' ') + (e.traceId ? ` trace=${e.traceId}` : '') }),
        el('td', { class: 'id', text: e.controlPlaneId }),
      ),
    );
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 6, class: 'empty', text: 'no events yet' })));
    $('events').tBodies[0].replaceChildren(...rows);
    if (state.events.length > 0) newestShown = Math.max(newestShown, state.events[state.events.length - 1].atMs);
  }

  for (const id of ['filter-node', 'filter-kind', 'filter-decisions']) $(id).addEventListener('change', renderEvents);

  // ---- the stream -----------------------------------------------------------------------------

  function renderCluster() {
    renderHeader();
    renderTopology();
    renderNodes();
    renderSync();
    renderScaling();
    renderCharts();
  }

  function connect() {
    const source = new EventSource('/api/stream');
    source.addEventListener('snapshot', (m) => {
      const s = JSON.parse(m.data);
      Object.assign(state, s);
      renderConnection();
      renderCluster();
      renderConflicts();
      renderEvents();
    });
    source.addEventListener('cluster', (m) => {
      const { cluster, point } = JSON.parse(m.data);
      const blindBefore = state.cluster && state.cluster.blind;
      state.cluster = cluster;
      state.history.push(point);
      while (state.history.length > 0 && state.history[0].atMs < point.atMs - HISTORY_MS) state.history.shift();
      renderCluster();
      if (cluster.blind !== blindBefore) renderConnection();
    });
    source.addEventListener('event', (m) => {
      const { event } = JSON.parse(m.data);
      if (state.events.some((e) => e.key === event.key)) return;
      state.events.push(event);
      state.events.sort((a, b) => a.atMs - b.atMs);
      if (state.events.length > EVENTS_KEPT) state.events.splice(0, state.events.length - EVENTS_KEPT);
      renderEvents();
    });
    source.addEventListener('conflicts', (m) => {
      state.conflicts = JSON.parse(m.data).conflicts;
      renderConflicts();
    });
    source.addEventListener('connection', (m) => {
      state.connection = JSON.parse(m.data).connection;
      renderConnection();
    });
    // The browser reconnects by itself; the monitor sends a fresh snapshot when it does.
    source.addEventListener('error', () => {
      state.connection = { ...state.connection, connected: false, problem: 'the monitor cannot be reached; retrying' };
      renderConnection();
    });
  }

  renderConnection();
  connect();
})();
