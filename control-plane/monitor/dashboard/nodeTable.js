// The nodes table: one row per node with its status, health and last sample.
import { $, el } from './dom.js';
import { fixed } from './format.js';

/** Fills the table from a ClusterView; a status that differs from the phase names the phase too. */
export function renderNodes(c) {
  const rows = c.nodes.map((n) => {
    const s = n.sample;
    return el(
      'tr',
      { 'data-node-id': n.id, 'data-status': n.status },
      el('td', { class: 'id', text: n.id + (n.id === c.primaryId ? ' ★' : '') }),
      el('td', { text: n.role || n.declaredRole || '?' }),
      el('td', {}, el('span', { class: `badge status-${n.status}`, text: n.status === n.phase ? n.phase : `${n.status} (${n.phase})` })),
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
