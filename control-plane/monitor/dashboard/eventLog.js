// The event log: the control plane's decisions and observations, newest first, filtered by
// node, kind and decisions only.
import { $, el } from './dom.js';
import { time } from './format.js';

/** Rows the table shows at most. */
const EVENT_ROWS = 200;
/** The newest event already shown: rows newer than it are marked fresh. */
let newestShown = 0;

/** Offers these values (and `all`) in a filter, keeping the choice while it is still offered. */
function fillSelect(select, values) {
  const current = select.value;
  const known = [...select.options].map((o) => o.value).slice(1);
  if (known.join('|') === values.join('|')) return;
  select.replaceChildren(el('option', { value: '', text: 'all' }), ...values.map((v) => el('option', { value: v, text: v })));
  select.value = values.includes(current) ? current : '';
}

/** Fills the filters and the table from the events (EventViews, oldest first) and the cluster's nodes (if any). */
export function renderEvents(events, cluster) {
  const nodes = [...new Set([...events.map((e) => e.nodeId).filter(Boolean), ...(cluster ? cluster.nodes.map((n) => n.id) : [])])].sort();
  fillSelect($('filter-node'), nodes);
  fillSelect($('filter-kind'), [...new Set(events.map((e) => e.kind))].sort());
  const node = $('filter-node').value;
  const kind = $('filter-kind').value;
  const decisionsOnly = $('filter-decisions').checked;
  const shown = events
    .filter((e) => (!node || e.nodeId === node) && (!kind || e.kind === kind) && (!decisionsOnly || e.decision))
    .slice(-EVENT_ROWS)
    .reverse();
  const rows = shown.map((e) =>
    el(
      'tr',
      {
        'data-kind': e.kind,
        'data-node-id': e.nodeId,
        'data-decision': String(e.decision),
        class: e.atMs > newestShown && newestShown > 0 ? 'fresh' : undefined,
      },
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
  if (events.length > 0) newestShown = Math.max(newestShown, events[events.length - 1].atMs);
}

/** Calls `rerender` when a filter changes. */
export function watchFilters(rerender) {
  for (const id of ['filter-node', 'filter-kind', 'filter-decisions']) $(id).addEventListener('change', rerender);
}
