// Figures and moments in words.

/** A moment as the local time of day with milliseconds, 24-hour: `14:03:07.250`. */
export function time(ms) {
  const d = new Date(ms);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** How long ago a moment was (`12 s ago`, `3 min ago`); `never` for 0. */
export function ago(ms) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** A number with this many decimals; a dash when there is none. */
export const fixed = (n, digits) => (n === undefined || n === null ? '–' : Number(n).toFixed(digits));
