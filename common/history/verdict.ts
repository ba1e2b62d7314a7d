/**
 * A checker's judgement of a history. `valid` is 'unknown' when the checker could not decide
 * (a search past its bound): never a pass. `problems` says why, naming the operations involved.
 */
export interface Verdict {
  checker: string;
  valid: boolean | 'unknown';
  problems: string[];
}

/** At most this many problems are listed; the rest are counted. */
const MAX_PROBLEMS = 20;

export function verdict(checker: string, problems: string[], undecided: string[] = []): Verdict {
  const all = [...problems, ...undecided];
  const listed = all.length > MAX_PROBLEMS ? [...all.slice(0, MAX_PROBLEMS), `… and ${all.length - MAX_PROBLEMS} more`] : all;
  return { checker, valid: problems.length > 0 ? false : undecided.length > 0 ? 'unknown' : true, problems: listed };
}

/** Every verdict's problems as lines prefixed with its checker; empty when all passed. */
export function problemsOf(verdicts: readonly Verdict[]): string[] {
  return verdicts.flatMap((v) => v.problems.map((p) => `${v.checker}: ${p}`));
}
