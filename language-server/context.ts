/**
 * Where the cursor is, in schema terms, read from the text around it. The YAML tree is no help
 * on the line being typed (`  scr` is not a key yet; it is even read as the end of the previous
 * value), so the key path comes from indentation, as a person reads it.
 */

/** A key path whose '[]' parts stand for list items. */
export type CursorPath = string[];

export type CursorContext =
  /** typing a key (or a list item) inside the mapping/list at `path` */
  | { kind: 'key'; path: CursorPath; prefix: string; start: number; inFlow: boolean; listItem: boolean }
  /** typing the value of the key at `path` */
  | { kind: 'value'; path: CursorPath; prefix: string; start: number; inFlow: boolean }
  | { kind: 'none' };

const KEY_AT = /^((?:"[^"]*"|'[^']*'|[^\s#:'"][^#:]*?))\s*:(?=\s|$)/;

interface LineShape {
  indent: number;
  /** columns of the `- ` markers, outermost first */
  dashes: number[];
  /** the key at the end of the markers, if any */
  key?: string;
  keyColumn: number;
  /** the text after `key:` (trimmed, comments removed) */
  rest: string;
}

function shape(text: string): LineShape | undefined {
  const indent = /^ */.exec(text)![0].length;
  if (indent === text.length || text[indent] === '#') return undefined;
  const dashes: number[] = [];
  let pos = indent;
  while (text[pos] === '-' && (pos + 1 === text.length || text[pos + 1] === ' ')) {
    dashes.push(pos);
    pos++;
    while (text[pos] === ' ') pos++;
  }
  const m = KEY_AT.exec(text.slice(pos));
  if (!m) return { indent, dashes, keyColumn: pos, rest: text.slice(pos).trim() };
  const key = m[1]!.replace(/^["']|["']$/g, '');
  const rest = text.slice(pos + m[0].length).replace(/(^|\s)#.*$/, '').trim();
  return { indent, dashes, key, keyColumn: pos, rest };
}

/** The key path of the block that contains a line's content starting at `column`. */
export function blockPath(lines: readonly string[], line: number, column: number, listLine = false): CursorPath {
  const path: CursorPath = [];
  let col = column;
  // the key owning a list may sit at the same indentation as its `- ` items
  let seqIndent = listLine ? column : -1;
  for (let l = line - 1; l >= 0 && (col > 0 || seqIndent === 0); l--) {
    const s = shape(lines[l]!);
    if (!s) continue;
    if (seqIndent >= 0 && s.indent === seqIndent && s.dashes.length === 0) {
      if (s.key !== undefined && s.rest === '') {
        path.unshift(s.key);
        col = s.indent;
        seqIndent = -1;
        if (col === 0) break;
        continue;
      }
    }
    if (s.indent >= col) continue;
    seqIndent = -1;
    if (s.key !== undefined && s.keyColumn < col) {
      path.unshift(s.key);
      for (let i = 0; i < s.dashes.length; i++) path.unshift('[]');
    } else {
      const inner = s.dashes.filter((d) => d < col);
      if (inner.length === 0) continue;
      for (let i = 0; i < inner.length; i++) path.unshift('[]');
      seqIndent = s.indent;
    }
    col = s.indent;
  }
  return path;
}

/** Unclosed `[` / `{` before the cursor on its line, innermost last (quotes skipped). */
function openFlows(text: string): { char: string; at: number }[] {
  const stack: { char: string; at: number }[] = [];
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) break;
    else if (c === '[' || c === '{') stack.push({ char: c, at: i });
    else if ((c === ']' || c === '}') && stack.length) stack.pop();
  }
  return stack;
}

/** The context at a position (zero-based line, character). */
export function cursorContext(lines: readonly string[], line: number, character: number): CursorContext {
  const text = lines[line] ?? '';
  const before = text.slice(0, character);
  if (/(^|\s)#/.test(before.replace(/"[^"]*"|'[^']*'/g, ''))) return { kind: 'none' };
  const flows = openFlows(before);
  if (flows.length) return flowContext(lines, line, before, flows);
  const s = shape(before) ?? { indent: before.length, dashes: [], keyColumn: before.length, rest: '' };
  const parent = blockPath(lines, line, s.dashes.length ? s.dashes[0]! : s.indent, s.dashes.length > 0);
  const items = s.dashes.map(() => '[]');
  if (s.key !== undefined) {
    const after = before.slice(s.keyColumn).replace(KEY_AT, '');
    const lead = after.length - after.trimStart().length;
    const start = before.length - after.length + lead;
    return { kind: 'value', path: [...parent, ...items, s.key], prefix: before.slice(start), start, inFlow: false };
  }
  const start = s.keyColumn;
  return { kind: 'key', path: [...parent, ...items], prefix: before.slice(start), start, inFlow: false, listItem: s.dashes.length > 0 };
}

function flowContext(lines: readonly string[], line: number, before: string, flows: { char: string; at: number }[]): CursorContext {
  // the block key the flow belongs to, then one level per open bracket
  const s = shape(before.slice(0, flows[0]!.at));
  const lead = s ? [...blockPath(lines, line, s.dashes.length ? s.dashes[0]! : s.indent, s.dashes.length > 0), ...s.dashes.map(() => '[]'), ...(s.key !== undefined ? [s.key] : [])] : [];
  const path: CursorPath = [...lead];
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i]!;
    const end = i + 1 < flows.length ? flows[i + 1]!.at : before.length;
    const inside = before.slice(f.at + 1, end);
    const last = inside.split(',').pop() ?? '';
    if (f.char === '[') {
      path.push('[]');
    } else if (i + 1 < flows.length) {
      const k = /([^\s,{:]+)\s*:\s*$/.exec(inside);
      if (k) path.push(k[1]!);
    } else {
      const k = /^\s*([^\s:]+)\s*:\s*(.*)$/.exec(last);
      if (k) {
        const start = before.length - k[2]!.length;
        return { kind: 'value', path: [...path, k[1]!], prefix: k[2]!, start, inFlow: true };
      }
      const prefix = last.trimStart();
      return { kind: 'key', path, prefix, start: before.length - prefix.length, inFlow: true, listItem: false };
    }
    if (i + 1 === flows.length) {
      // an item of a flow list: `[a, b|`
      const prefix = last.trimStart();
      return { kind: 'value', path, prefix, start: before.length - prefix.length, inFlow: true };
    }
  }
  return { kind: 'none' };
}
