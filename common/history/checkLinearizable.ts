import { describeOperation } from './describeOperation';
import type { HistoryEvent, KeyValue } from './event';
import { groupInto, type Operation, operations } from './operations';
import { type Model, searchLinearization } from './searchLinearization';
import { type Verdict, verdict } from './verdict';

/** Search moves allowed per key before it is reported too large to check. @default 1000000 */
export const DEFAULT_MAX_STEPS = 1_000_000;

/** A key as a register that starts absent: reads see its value, writes and deletes set it, a cas sets it from its expected value. */
const register: Model<KeyValue> = {
  initial: null,
  step(state, op) {
    if (op.op === 'read') return op.value === state ? state : undefined;
    if (op.op === 'cas') return op.expected?.value === state ? (op.value ?? null) : undefined;
    return op.value ?? null;
  },
  stateKey: (state) => (state === null ? '' : `=${state}`),
};

const text = (v: KeyValue): string => (v === null ? 'absent' : JSON.stringify(v));

/**
 * Each key, on its own, behaves as a linearizable register: some order of its operations, each
 * taking effect between its invoke and its answer, is a register's history. Failed operations did
 * not happen; unknown ones may have, at any time after their invoke; a read without an answer
 * is left out. A key whose search passes `maxSteps` is reported too large to check (the verdict
 * is then 'unknown', never a pass).
 */
export function checkLinearizable(history: readonly HistoryEvent[], opts: { maxSteps?: number } = {}): Verdict {
  const byKey = new Map<string, Operation[]>();
  for (const o of operations(history)) {
    if (o.outcome === 'fail' || (o.op === 'read' && o.outcome !== 'ok')) continue;
    groupInto(byKey, o.key, o);
  }
  const problems: string[] = [];
  const undecided: string[] = [];
  for (const [key, ops] of byKey) {
    const result = searchLinearization(ops, register, opts.maxSteps ?? DEFAULT_MAX_STEPS);
    if (result.kind === 'too large') undecided.push(`${key}: too large to check (${ops.length} operations, gave up after ${result.steps} search steps)`);
    if (result.kind !== 'not linearizable') continue;
    const { order, blocked, state } = result.furthest;
    const shown = order.slice(-5).map(describeOperation);
    problems.push(
      `${key}: no order of its ${ops.length} operations is a register's history. The longest that fits takes ${order.length}` +
        (shown.length ? `, ending ${order.length > shown.length ? '… ' : ''}${shown.join(', ')}` : '') +
        `, and leaves the key ${text(state)}; then ${describeOperation(blocked)} had to take effect before it ended, and neither it nor any operation concurrent with it fits`,
    );
  }
  return verdict('linearizable per key', problems, undecided);
}
