import { keyString, parsePiece, placePiece, type ParsedPiece, type RawError, type YAlias, type YMap, type YNode, type YPair } from './tree';

/**
 * Incremental YAML parsing for big pipeline files.
 *
 * The `yaml` library needs ~60 ms for a 5,000-line file, too slow to re-run on every keystroke.
 * A block mapping, though, splits at the lines that start its entries (same indentation, not
 * `- `, `?`, `:`, `#`), and each entry parses on its own. So the text is cut into entries (and
 * big entries whose value is a block mapping into their children), each piece is parsed alone and
 * cached by its exact text, and the tree is stitched from the pieces. After an edit only the
 * piece that changed is parsed again.
 *
 * The cut is a function of the text alone, so the result never depends on edit history. A cut is
 * kept only when every piece parses to a block mapping; anything unusual (directives, document
 * markers, tab indentation, a root that is not a block mapping, a piece that is not `key: value`)
 * falls back to parsing the enclosing part whole. For files yaml parses without errors the
 * stitched tree equals the whole parse (a unit test checks this on fuzzed files).
 */

/** Reused pieces, keyed by their exact text; keep one per document and pass it to every parse. */
export class PieceCache {
  private pieces = new Map<string, ParsedPiece>();
  private next = new Map<string, ParsedPiece>();
  hits = 0;
  misses = 0;

  get(text: string, base: number): ParsedPiece {
    let piece = this.next.get(text) ?? this.pieces.get(text);
    if (piece) this.hits++;
    else {
      this.misses++;
      piece = parsePiece(text, base);
    }
    piece = placePiece(piece, base);
    this.next.set(text, piece);
    return piece;
  }

  /** Forget pieces the last parse did not use, so memory follows the file's size. */
  endParse(): void {
    this.pieces = this.next;
    this.next = new Map();
  }
}

export interface YamlTree {
  readonly root: YNode | null;
  readonly errors: readonly RawError[];
  /** the anchored node an alias refers to (the closest anchor of that name before it) */
  readonly aliasTargets: ReadonlyMap<YAlias, YNode>;
  /** aliases whose anchor is not defined before them */
  readonly unresolved: readonly YAlias[];
  /** how the text was read: whole, or in this many pieces */
  readonly pieces: number;
}

/** Entries shorter than this many lines are parsed as one piece. */
const SPLIT_MIN_LINES = 24;

interface Line {
  start: number;
  /** start of the next line (or text length) */
  next: number;
  /** leading spaces; -1 for blank or comment-only lines */
  indent: number;
  first: number;
}

type Segment =
  | { kind: 'piece'; start: number; end: number }
  | { kind: 'nested'; keyStart: number; keyEnd: number; children: Segment[] };

function scanLines(text: string): Line[] | undefined {
  const lines: Line[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = i;
    let j = i;
    while (j < n && text.charCodeAt(j) === 32) j++;
    let k = j;
    while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
    const first = k < n ? text.charCodeAt(k) : -1;
    // lines end at LF (CRLF included); yaml reads a lone CR as part of the line
    let e = text.indexOf('\n', k);
    if (e < 0) e = n;
    const next = e < n ? e + 1 : n;
    const blank = first === -1 || first === 10 || (first === 13 && k + 1 === e) || first === 35;
    if (!blank) {
      if (k !== j) return undefined; // a tab in the indentation
      if (j === start) {
        // document markers and directives at column 0
        if (first === 37) return undefined;
        if ((text.startsWith('---', j) || text.startsWith('...', j)) && (j + 3 >= n || ' \t\r\n'.includes(text[j + 3]!))) return undefined;
      }
    }
    lines.push({ start, next, indent: blank ? -1 : j - start, first });
    i = next;
  }
  return lines;
}

const isSpaceOrEnd = (text: string, i: number) => i >= text.length || ' \t\r\n'.includes(text[i]!);

/** `key:` alone on its line (a comment allowed), so its value is the block below. */
const SIMPLE_KEY_LINE = /^ *(?:[A-Za-z0-9_$][\w.$/-]*(?: +[\w.$/-]+)*|"[^"\\\n\r]*"|'[^'\n\r]*') *:(?:[ \t]+(?:#.*)?)?\r?\n?$/;

/** Entries of a block mapping at `indent` over lines [from, to), or undefined if it does not split cleanly. */
function splitMap(text: string, lines: Line[], from: number, to: number, indent: number, depth: number): Segment[] | undefined {
  const starts: number[] = [];
  for (let i = from; i < to; i++) {
    const l = lines[i]!;
    if (l.indent < 0 || l.indent > indent) {
      if (l.indent > indent && starts.length === 0) return undefined;
      continue;
    }
    if (l.indent < indent) return undefined;
    const c = l.first;
    if (c === 45 && isSpaceOrEnd(text, l.start + indent + 1)) {
      if (starts.length === 0) return undefined;
      continue; // `key:` followed by a block sequence at the same indentation
    }
    // indicators that cannot start a plain `key: value` entry
    if ('?:[]{}&*!|>%@`,-'.includes(String.fromCharCode(c))) return undefined;
    if (c === 0xfeff && l.start > 0) return undefined; // yaml drops a BOM only at the start of the text
    starts.push(i);
  }
  if (starts.length === 0) return undefined;
  const segments: Segment[] = [];
  for (let s = 0; s < starts.length; s++) {
    const a = starts[s]!;
    const b = s + 1 < starts.length ? starts[s + 1]! : to;
    segments.push(splitEntry(text, lines, a, b, indent, depth));
  }
  return segments;
}

function splitEntry(text: string, lines: Line[], a: number, b: number, indent: number, depth: number): Segment {
  const whole: Segment = { kind: 'piece', start: lines[a]!.start, end: b < lines.length ? lines[b]!.start : text.length };
  if (b - a < SPLIT_MIN_LINES || depth > 16) return whole;
  const keyLine = lines[a]!;
  if (!SIMPLE_KEY_LINE.test(text.slice(keyLine.start, keyLine.next))) return whole;
  let c = a + 1;
  while (c < b && lines[c]!.indent < 0) c++;
  if (c >= b) return whole;
  const child = lines[c]!;
  if (child.indent <= indent) return whole;
  const children = splitMap(text, lines, c, b, child.indent, depth + 1);
  if (!children) return whole;
  return { kind: 'nested', keyStart: keyLine.start, keyEnd: keyLine.next, children };
}

interface Stitch {
  errors: RawError[];
  anchors: YNode[];
  aliases: YAlias[];
  pieces: number;
}

/** The pairs of one segment, or undefined when a piece is not a block mapping. */
function stitch(text: string, seg: Segment, cache: PieceCache, acc: Stitch): YPair[] | undefined {
  if (seg.kind === 'piece') {
    const piece = cache.get(text.slice(seg.start, seg.end), seg.start);
    if (piece.refused) {
      // too deep to read: report it and keep the rest of the file
      take(piece, acc);
      return [];
    }
    if (!isBlockMap(piece.root)) return undefined;
    take(piece, acc);
    return [...piece.root.items];
  }
  const keyPiece = cache.get(text.slice(seg.keyStart, seg.keyEnd), seg.keyStart);
  const keyRoot = keyPiece.root;
  const ok = isBlockMap(keyRoot) && keyRoot.items.length === 1 && keyPiece.errors.length === 0;
  const pair = ok ? keyRoot.items[0]! : undefined;
  const mark = { errors: acc.errors.length, anchors: acc.anchors.length, aliases: acc.aliases.length, pieces: acc.pieces };
  let items: YPair[] | undefined = [];
  if (pair && pair.key && keyString(pair.key) !== undefined && (pair.value === null || (pair.value.kind === 'scalar' && pair.value.value === null && !pair.value.anchor && !pair.value.tag))) {
    for (const child of seg.children) {
      const got = stitch(text, child, cache, acc);
      if (!got) {
        items = undefined;
        break;
      }
      items.push(...got);
    }
  } else items = undefined;
  if (!items || items.length === 0 || !pair) {
    // the cut did not hold: parse the entry whole
    acc.errors.length = mark.errors;
    acc.anchors.length = mark.anchors;
    acc.aliases.length = mark.aliases;
    acc.pieces = mark.pieces;
    const end = lastEnd(seg, text);
    return stitch(text, { kind: 'piece', start: seg.keyStart, end }, cache, acc);
  }
  acc.pieces++;
  const map: YMap = { kind: 'map', flow: false, items, start: items[0]!.start, end: items[items.length - 1]!.end };
  return [{ key: pair.key, value: map, start: pair.start, end: map.end }];
}

function lastEnd(seg: Segment, text: string): number {
  if (seg.kind === 'piece') return seg.end;
  return seg.children.length ? lastEnd(seg.children[seg.children.length - 1]!, text) : seg.keyEnd;
}

function isBlockMap(n: YNode | null): n is YMap {
  return n !== null && n.kind === 'map' && !n.flow && !n.anchor && !n.tag && n.items.length > 0;
}

function take(piece: ParsedPiece, acc: Stitch) {
  acc.errors.push(...piece.errors);
  acc.anchors.push(...piece.anchors);
  acc.aliases.push(...piece.aliases);
  acc.pieces++;
}

/**
 * Parses a YAML text into Slipway's tree. With a cache, unchanged pieces of a previous parse are
 * reused. `mode: 'whole'` parses in one piece (tests compare both ways).
 */
export function parseYamlTree(text: string, cache: PieceCache = new PieceCache(), mode: 'auto' | 'whole' = 'auto'): YamlTree {
  const acc: Stitch = { errors: [], anchors: [], aliases: [], pieces: 0 };
  let root: YNode | null = null;
  const lines = mode === 'auto' ? scanLines(text) : undefined;
  const segments = lines ? splitMap(text, lines, 0, lines.length, 0, 0) : undefined;
  let items: YPair[] | undefined;
  if (segments) {
    items = [];
    for (const seg of segments) {
      const got = stitch(text, seg, cache, acc);
      if (!got) {
        items = undefined;
        break;
      }
      items.push(...got);
    }
  }
  if (items && items.length) {
    root = { kind: 'map', flow: false, items, start: items[0]!.start, end: items[items.length - 1]!.end };
  } else {
    acc.errors.length = 0;
    acc.anchors.length = 0;
    acc.aliases.length = 0;
    acc.pieces = 0;
    const piece = cache.get(text, 0);
    take(piece, acc);
    root = piece.root;
  }
  cache.endParse();
  const aliasTargets = resolveAliases(acc.anchors, acc.aliases);
  const unresolved = acc.aliases.filter((a) => !aliasTargets.has(a));
  return { root, errors: acc.errors, aliasTargets, unresolved, pieces: acc.pieces };
}

function resolveAliases(anchors: YNode[], aliases: YAlias[]): Map<YAlias, YNode> {
  const targets = new Map<YAlias, YNode>();
  if (aliases.length === 0) return targets;
  const byName = new Map<string, YNode[]>();
  for (const a of anchors) {
    const list = byName.get(a.anchor!) ?? [];
    list.push(a);
    byName.set(a.anchor!, list);
  }
  for (const list of byName.values()) list.sort((x, y) => x.start - y.start);
  for (const alias of aliases) {
    const list = byName.get(alias.name);
    if (!list) continue;
    let best: YNode | undefined;
    for (const a of list) {
      if (a.start < alias.start) best = a;
      else break;
    }
    if (best) targets.set(alias, best);
  }
  return targets;
}
