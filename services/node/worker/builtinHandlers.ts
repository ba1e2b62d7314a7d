import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventHandler } from './handlers';

/** The payload as JSON with a numeric field, for the built-ins that take one. */
function numberField(payload: Buffer, field: string, max: number): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8') || '{}');
  } catch {
    throw new Error(`payload must be JSON like {"${field}": 50}`);
  }
  const value = (parsed as Record<string, unknown>)[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max)
    throw new Error(`payload field "${field}" must be a number from 0 to ${max}`);
  return value;
}

/**
 * The handlers every worker has, for demos and load:
 * - `cpu` `{"ms": N}`: keeps a core busy for N ms (in 10 ms slices, so it can be aborted);
 * - `sleep` `{"ms": N}`: waits N ms;
 * - `hash`: the SHA-256 of the payload;
 * - `counter` `{"name": "hits"}`: records the event under `counter/<name>/<event id>`, once;
 *   the count is the number of keys under `counter/<name>/` (`shoal ls counter/hits/`).
 */
export const BUILTIN_HANDLERS: Record<string, EventHandler> = {
  async cpu(event, ctx) {
    const ms = numberField(event.payload, 'ms', 60_000);
    const until = performance.now() + ms;
    while (performance.now() < until) {
      ctx.signal.throwIfAborted();
      const slice = Math.min(10, until - performance.now());
      const end = performance.now() + slice;
      while (performance.now() < end);
      // Let timers and I/O (leases, acks, health) run between slices.
      await sleep(0);
    }
    return { burnedMs: ms };
  },
  async sleep(event, ctx) {
    const ms = numberField(event.payload, 'ms', 600_000);
    await sleep(ms, undefined, { signal: ctx.signal });
    return { sleptMs: ms };
  },
  hash(event) {
    return Promise.resolve({ sha256: createHash('sha256').update(event.payload).digest('hex') });
  },
  async counter(event, ctx) {
    let name: unknown;
    try {
      name = (JSON.parse(event.payload.toString('utf8') || '{}') as { name?: unknown }).name;
    } catch {
      throw new Error('payload must be JSON like {"name": "hits"}');
    }
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw new Error('payload field "name" must be 1 to 100 letters, digits, _ . or -');
    const applied = await ctx.putOnce(`counter/${name}/${event.id}`, Buffer.from('1'));
    return { counter: name, applied };
  },
};
