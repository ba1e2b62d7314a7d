// The autoscaling panel: worker counts, the backlog, the policy in a sentence and the last
// scaling decision.
import { $, el } from './dom.js';
import { time } from './format.js';

function figure(label, value) {
  return el('div', { class: 'figure' }, el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }));
}

/** Fills the panel from a ClusterView. */
export function renderScaling(c) {
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
    parts.push(
      el('p', {
        class: 'details',
        text: `leased now: ${Object.entries(b.leasedByWorker)
          .map(([w, n]) => `${w} ${n}`)
          .join(', ')}`,
      }),
    );
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
