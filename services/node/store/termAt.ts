import type { TermStart } from './types';

/** The term that wrote `position`, by a term history (0 before the first term). */
export function termAt(history: TermStart[], position: number): number {
  let term = 0;
  for (const t of history) if (t.startPosition <= position && t.term > term) term = t.term;
  return term;
}
