/**
 * A text scan of source for outgoing calls (test/unit/deadlines.test.ts). It reads code the way
 * the code base writes it, not the way a compiler would: comments and the contents of strings
 * and regular expressions are blanked first (lines kept), so only code is matched, and a call's
 * arguments are found by balanced brackets.
 */

/** `src` with comments and the contents of string, template and regex literals blanked; `${…}` code in templates is kept. */
export function codeOnly(src: string): string {
  const out = src.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Brace depth at which each open `${` returns to its template.
  const templates: number[] = [];
  let braces = 0;
  let i = 0;
  let inTemplate = false;
  let lastCode = '';
  while (i < src.length) {
    if (inTemplate) {
      const start = i;
      while (i < src.length && src[i] !== '`' && !(src[i] === '$' && src[i + 1] === '{')) i += src[i] === '\\' ? 2 : 1;
      blank(start, i);
      if (src[i] === '`') {
        inTemplate = false;
        lastCode = '`';
        i++;
      } else {
        templates.push(braces);
        inTemplate = false;
        i += 2;
        lastCode = '{';
      }
      continue;
    }
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
      lastCode = c;
    } else if (c === '`') {
      inTemplate = true;
      i++;
    } else if (
      c === '/' &&
      (lastCode === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastCode) || /\b(return|typeof|case|of|in)$/.test(src.slice(Math.max(0, i - 8), i).trimEnd()))
    ) {
      // A regex literal: up to the unescaped `/` outside a character class.
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== '\n' && (inClass || src[j] !== '/')) {
        if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j += src[j] === '\\' ? 2 : 1;
      }
      blank(i + 1, j);
      i = j + 1;
      lastCode = '/';
    } else {
      if (c === '{') braces++;
      else if (c === '}') {
        if (templates.length > 0 && templates[templates.length - 1] === braces) {
          templates.pop();
          inTemplate = true;
          i++;
          continue;
        }
        braces--;
      }
      if (!/\s/.test(c)) lastCode = /[\w$]/.test(c) ? 'a' : c;
      i++;
    }
  }
  return out.join('');
}

/** The index just past the bracket that closes the one at `open` (in codeOnly text). */
export function closing(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if ('([{'.includes(code[i])) depth++;
    else if (')]}'.includes(code[i]) && --depth === 0) return i + 1;
  }
  return code.length;
}

/** A call's arguments split at its top-level commas, trimmed; `args` is the text between its parentheses. */
export function topLevelArgs(args: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    if ('([{'.includes(args[i])) depth++;
    else if (')]}'.includes(args[i])) depth--;
    else if (args[i] === ',' && depth === 0) {
      parts.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = args.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

/** A call found by a scan: where, the name called, and the text of its arguments. */
export interface FoundCall {
  line: number;
  name: string;
  /** The receiver's last identifier (`client` of `this.client.get(`), '' for a bare call. */
  receiver: string;
  args: string;
  /** Where the call starts (its name, or the receiver's dot), its `(`, and just past its `)`. */
  start: number;
  open: number;
  end: number;
}

/** Every call of one of `names` in codeOnly text: as a method (`.name(`, `?.name(`) or, with `bare`, as a plain function. */
export function callsOf(code: string, names: readonly string[], o: { bare?: boolean } = {}): FoundCall[] {
  const pattern = new RegExp(`${o.bare ? '(?<![\\w$.])' : '(?:\\?\\.|\\.)\\s*'}(${names.join('|')})\\s*(?:<[^()]*>)?\\(`, 'g');
  const found: FoundCall[] = [];
  for (const m of code.matchAll(pattern)) {
    const open = m.index + m[0].length - 1;
    const end = closing(code, open);
    const before = code.slice(Math.max(0, m.index - 60), m.index);
    // A definition (`async fetch(`, `function fetch(`) is not a call.
    if (o.bare && /\b(function|async|private|public|protected|static|get|set)\s*$/.test(before)) continue;
    found.push({
      line: code.slice(0, m.index).split('\n').length,
      name: m[1],
      receiver: o.bare ? '' : (/([\w$]+)\s*\??\s*$/.exec(before)?.[1] ?? ''),
      args: code.slice(open + 1, end - 1),
      start: m.index,
      open,
      end,
    });
  }
  return found;
}
