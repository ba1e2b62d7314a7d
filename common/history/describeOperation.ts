import type { KeyValue } from './event';
import type { Operation } from './operations';

const text = (v: KeyValue | undefined): string => (v === null ? 'absent' : v === undefined ? '?' : JSON.stringify(v));

/** Seconds with ms, for times in explanations (epoch ms → "hh:mm:ss.mmm" UTC). */
function clock(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 23) : '…';
}

/**
 * An operation as one readable phrase for a checker's explanation, e.g.
 * `#12 writer cas k "a"→"b" ok 10:00:01.200–10:00:01.250 at 10.1.2.11:8080 term 3`.
 */
export function describeOperation(o: Operation): string {
  const what =
    o.op === 'read'
      ? `read ${o.key}${o.outcome === 'ok' ? ` → ${text(o.value)}` : ''}`
      : o.op === 'cas'
        ? `cas ${o.key} ${text(o.expected?.value)}→${text(o.value)}`
        : o.op === 'delete'
          ? `delete ${o.key}`
          : `write ${o.key} ${text(o.value)}`;
  const where = [o.node && `at ${o.node}`, o.term !== undefined && `term ${o.term}`].filter(Boolean).join(' ');
  const why = o.outcome !== 'ok' && o.error ? ` (${o.error})` : '';
  return `#${o.id} ${o.client} ${what} ${o.outcome}${why} ${clock(o.startMs)}–${clock(o.endMs)}${where ? ` ${where}` : ''}`;
}
