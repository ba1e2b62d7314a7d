import type { StateStore } from '../store/StateStore';
import type { Entry } from '../store/types';
import { MAX_MESSAGE_VALUE_BYTES } from './messageSize';

/** Entries read from the log at a time. */
const PAGE_ENTRIES = 1000;

/** What a diverged node holds after the fork: the entries its log still has, and the stretch it no longer has. */
export interface DivergedSuffix {
  /** Every entry after the fork that the log still holds, in log order, without gaps. */
  entries: Entry[];
  /**
   * Positions after the fork the log no longer holds (it keeps only sync.retainEntries), first
   * and last; undefined when it holds them all. Their entries cannot be handed over.
   */
  unretained: { from: number; to: number } | undefined;
}

/**
 * Reads the log after `fork`, a page at a time. The first entry read must be `fork + 1`; when
 * it is later, the stretch before it is reported as unretained, not silently skipped.
 * @throws Error when the log has a gap after its first retained entry (it only ever loses a prefix).
 */
export function readDivergedSuffix(store: StateStore, fork: number): DivergedSuffix {
  const entries: Entry[] = [];
  let next = fork + 1;
  for (;;) {
    const page = store.readEntries(next, PAGE_ENTRIES);
    if (page.length === 0) break;
    if (entries.length > 0 && page[0].position !== next) {
      throw new Error(`the log has a gap after the fork at ${fork}: position ${next} is missing, the next entry is at ${page[0].position}`);
    }
    entries.push(...page);
    next = page[page.length - 1].position + 1;
  }
  const firstHeld = entries[0]?.position ?? store.lastPosition + 1;
  return { entries, unretained: firstHeld > fork + 1 ? { from: fork + 1, to: firstHeld - 1 } : undefined };
}

/**
 * Splits entries into Reconcile calls that gRPC accepts, keeping each key's entries in one call
 * where they fit: the primary judges a key's compare-and-set against the entry of the key
 * before it. A key whose entries alone exceed one call is split in log order (the primary then
 * judges the rest as if the earlier part were not its own: conservatively). Each call's
 * entries are in log order.
 */
export function reconcileCalls(entries: Entry[], maxBytes = MAX_MESSAGE_VALUE_BYTES): Entry[][] {
  const byKey = new Map<string, Entry[]>();
  for (const e of entries) {
    const chain = byKey.get(e.key);
    if (chain) chain.push(e);
    else byKey.set(e.key, [e]);
  }
  const calls: Entry[][] = [];
  let call: Entry[] = [];
  let bytes = 0;
  const close = () => {
    if (call.length > 0) calls.push(call.sort((a, b) => a.position - b.position));
    call = [];
    bytes = 0;
  };
  for (const chain of byKey.values()) {
    const size = chain.reduce((n, e) => n + entryBytes(e), 0);
    if (call.length > 0 && bytes + size > maxBytes) close();
    for (const e of chain) {
      // Only a chain larger than a whole call gets here with a full call.
      if (call.length > 0 && bytes + entryBytes(e) > maxBytes) close();
      call.push(e);
      bytes += entryBytes(e);
    }
  }
  close();
  return calls;
}

/**
 * About what an entry takes in a message: its value, key and traceparent, and a generous
 * allowance for the rest, so that many small entries do not add up past what gRPC accepts.
 */
function entryBytes(e: Entry): number {
  return e.value.length + e.key.length + e.traceParent.length + 64 + 24 * Object.keys(e.vclock).length;
}
