import type { Statements } from './statements';
import { termAt } from './termAt';
import type { TermStart } from './types';

/**
 * The store's terms: the newest term this node has seen (the `term` meta row) and which term
 * wrote which stretch of the log (the terms table), both kept in memory as well. The current
 * term only grows; the history is replaced by a snapshot's and emptied by a wipe, the term not.
 * Methods named `write…` run inside the caller's transaction and change only the disk; the
 * caller tells the memory once that transaction has committed.
 */
export class TermHistory {
  private current: number;
  /** Oldest first. */
  private starts: TermStart[];

  constructor(
    private readonly stmt: Statements,
    private readonly atomically: (fn: () => void) => void,
  ) {
    this.current = Number(stmt.meta.get('term')?.value ?? 0);
    this.starts = stmt.terms.all().map((r) => ({ term: r.term, startPosition: r.start_position }));
  }

  /** The newest term this node has seen; persisted, never decreases. */
  get term(): number {
    return this.current;
  }

  /** The term that wrote `position` (0 before the first term). */
  at(position: number): number {
    return termAt(this.starts, position);
  }

  /** Whether the history holds `term`. */
  has(term: number): boolean {
    return this.starts.some((t) => t.term === term);
  }

  /** A copy of the history, oldest first. */
  list(): TermStart[] {
    return this.starts.map((t) => ({ ...t }));
  }

  /** Persists a newer term; an older or equal one is ignored. @returns whether it was newer. */
  adopt(term: number): boolean {
    if (term <= this.current) return false;
    this.stmt.setMeta.run('term', String(term));
    this.current = term;
    return true;
  }

  /** Records that `term` starts at `startPosition` (a promotion), adopting it if newer. */
  start(term: number, startPosition: number): void {
    this.atomically(() => {
      this.adopt(term);
      this.stmt.addTerm.run(term, startPosition);
    });
    this.starts = [...this.starts.filter((t) => t.term !== term), { term, startPosition }].sort((a, b) => a.term - b.term);
  }

  /** In the caller's transaction: stores the terms applied entries started, and `newest` if newer. */
  writeLearned(learned: TermStart[], newest: number): void {
    for (const t of learned) this.stmt.addTerm.run(t.term, t.startPosition);
    if (newest > this.current) this.stmt.setMeta.run('term', String(newest));
  }

  /** Once the transaction of writeLearned has committed. */
  learned(learned: TermStart[], newest: number): void {
    this.starts.push(...learned);
    if (newest > this.current) this.current = newest;
  }

  /** In the caller's transaction, into an emptied terms table: stores a snapshot's history. */
  writeReplacement(history: TermStart[]): void {
    for (const t of history) this.stmt.addTerm.run(t.term, t.startPosition);
  }

  /** Once the transaction of writeReplacement has committed: adopts the history and its newest term if newer. */
  replaced(history: TermStart[]): void {
    this.starts = history.map((t) => ({ ...t }));
    const newest = history.at(-1)?.term ?? 0;
    if (newest > this.current) this.adopt(newest);
  }

  /** Once the terms table has been emptied (a wipe): forgets the history, keeps the term. */
  cleared(): void {
    this.starts = [];
  }
}
