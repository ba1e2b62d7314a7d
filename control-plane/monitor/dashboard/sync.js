// State sync: where each stateful node's log stands against the primary's, its last
// anti-entropy pass, and the latest conflicts resolved.
import { $, el } from './dom.js';
import { ago, time } from './format.js';

/** One row per primary and replica (workers hold no state) of a ClusterView. */
export function renderSync(c) {
  const primary = c.nodes.find((n) => n.id === c.primaryId);
  const head = primary && primary.sample ? primary.sample.logPosition : undefined;
  const rows = c.nodes
    .filter((n) => n.place !== 'worker')
    .map((n) => {
      const s = n.sample;
      const isPrimary = n.id === c.primaryId;
      const behind = s && head !== undefined ? Math.max(0, head - s.logPosition) : undefined;
      const antiEntropy = isPrimary
        ? 'n/a (primary)'
        : s && s.antiEntropyAtMs
          ? `${ago(s.antiEntropyAtMs)}: ${s.antiEntropyRepairedKeys ? `repaired ${s.antiEntropyRepairedKeys} keys` : 'in agreement'}`
          : 'not yet';
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

/** The latest conflicts (ConflictViews): the key, who resolved it and why, the versions kept and discarded. */
export function renderConflicts(conflicts) {
  const list = $('conflicts');
  if (conflicts.length === 0) return list.replaceChildren(el('li', { class: 'empty', text: 'none resolved' }));
  list.replaceChildren(
    ...conflicts.map((c) =>
      el(
        'li',
        {},
        el('div', {}, el('code', { text: c.key }), ` at ${time(c.resolvedAtMs)} by ${c.resolvedBy}: ${c.reason}`),
        el('div', { class: 'versions' }, ...version('kept', c.winner), ...version('discarded', c.loser)),
      ),
    ),
  );
}
