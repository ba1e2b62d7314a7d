// Building page elements. Text goes in with textContent only: node ids and reasons come from
// the cluster, not from us.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

const SVG = 'http://www.w3.org/2000/svg';

/** An element with attributes and children (strings become text nodes); `text` sets its text, `false` and `undefined` attributes are left out. */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== undefined && c !== null) e.append(c);
  return e;
}

/** An SVG element with attributes. */
export function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}
