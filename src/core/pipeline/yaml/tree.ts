import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

/**
 * Slipway's own YAML tree: absolute offsets into the whole file, no comments, aliases kept as
 * aliases (never expanded, so an alias bomb costs nothing). Nodes are immutable once built and
 * may be shared between successive parses of an edited file.
 */
export type YNode = YScalar | YMap | YSeq | YAlias;

interface YBase {
  /** offset of the node's first character (after its anchor/tag) */
  readonly start: number;
  /** offset after the node's last character */
  readonly end: number;
  readonly anchor?: string;
  readonly tag?: string;
}

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded';

export interface YScalar extends YBase {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly style: ScalarStyle;
}

export interface YPair {
  readonly key: YNode | null;
  readonly value: YNode | null;
  readonly start: number;
  readonly end: number;
}

export interface YMap extends YBase {
  readonly kind: 'map';
  readonly flow: boolean;
  readonly items: readonly YPair[];
}

export interface YSeq extends YBase {
  readonly kind: 'seq';
  readonly flow: boolean;
  readonly items: readonly (YNode | null)[];
}

export interface YAlias extends YBase {
  readonly kind: 'alias';
  readonly name: string;
}

export interface RawError {
  readonly start: number;
  readonly end: number;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** One parsed piece of text: its tree (offsets relative to `base`), problems, anchors and aliases. */
export interface ParsedPiece {
  readonly base: number;
  readonly root: YNode | null;
  readonly errors: readonly RawError[];
  readonly anchors: readonly YNode[];
  readonly aliases: readonly YAlias[];
  /** true when the text was not parsed at all (too deep): its errors say why */
  readonly refused?: boolean;
}

/** Deeper than this, a file is not a pipeline: yaml's own parser slows down badly on deep flows. */
export const MAX_DEPTH = 128;

const STYLES: Record<string, ScalarStyle> = {
  PLAIN: 'plain',
  QUOTE_SINGLE: 'single',
  QUOTE_DOUBLE: 'double',
  BLOCK_LITERAL: 'literal',
  BLOCK_FOLDED: 'folded',
};

/**
 * Maximum nesting of flow brackets in text, skipping comments (a cheap guard run before yaml).
 * Quotes are not tracked: one stray quote must not blind the guard, and brackets inside strings
 * rarely nest 128 deep.
 */
export function flowDepth(text: string): { depth: number; at: number } {
  let depth = 0;
  let max = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > max) {
        max = depth;
        at = i;
      }
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
    } else if (c === 35) {
      const p = i > 0 ? text.charCodeAt(i - 1) : 32;
      if (p === 32 || p === 9 || p === 10 || p === 13) {
        const eol = text.indexOf('\n', i);
        i = eol < 0 ? text.length : eol;
      }
    }
  }
  return { depth: max, at };
}

/** Parses one piece of YAML with the `yaml` library and converts it; never throws. */
export function parsePiece(text: string, base: number): ParsedPiece {
  const errors: RawError[] = [];
  const anchors: YNode[] = [];
  const aliases: YAlias[] = [];
  const deep = flowDepth(text);
  if (deep.depth > MAX_DEPTH) {
    errors.push({ start: base + deep.at, end: base + deep.at + 1, message: `nesting deeper than ${MAX_DEPTH} levels: this part of the file was not read`, severity: 'error' });
    return { base, root: null, errors, anchors, aliases, refused: true };
  }
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, keepSourceTokens: false, stringKeys: false });
  } catch (e) {
    errors.push({ start: base, end: base + Math.min(text.length, 1), message: `YAML parser failed: ${(e as Error).message}`, severity: 'error' });
    return { base, root: null, errors, anchors, aliases };
  }
  for (const e of doc.errors) errors.push({ start: base + e.pos[0], end: base + e.pos[1], message: cleanMessage(e.message), severity: 'error' });
  for (const w of doc.warnings) errors.push({ start: base + w.pos[0], end: base + w.pos[1], message: cleanMessage(w.message), severity: 'warning' });
  let tooDeep = false;
  const convert = (n: unknown, depth: number): YNode | null => {
    if (n === null || n === undefined) return null;
    if (depth > MAX_DEPTH) {
      if (!tooDeep && (n as YamlNode).range) {
        tooDeep = true;
        const s = base + (n as YamlNode).range![0];
        errors.push({ start: s, end: s + 1, message: `nesting deeper than ${MAX_DEPTH} levels: this part of the file was not read`, severity: 'error' });
      }
      return null;
    }
    const node = n as YamlNode;
    const range = node.range ?? [0, 0, 0];
    const props: { anchor?: string; tag?: string } = {};
    if (node.anchor) props.anchor = node.anchor;
    if (node.tag) props.tag = node.tag;
    let out: YNode;
    if (isScalar(node)) {
      const v = node.value;
      const value = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : typeof v === 'bigint' ? Number(v) : String(v);
      out = { kind: 'scalar', value, style: STYLES[node.type ?? 'PLAIN'] ?? 'plain', start: base + range[0], end: base + range[1], ...props };
    } else if (isAlias(node)) {
      const a: YAlias = { kind: 'alias', name: node.source, start: base + range[0], end: base + range[1], ...props };
      aliases.push(a);
      return a;
    } else if (isMap(node)) {
      const items: YPair[] = [];
      for (const p of node.items) {
        if (!isPair(p)) continue;
        const key = convert(p.key, depth + 1);
        const value = convert(p.value, depth + 1);
        const start = key ? key.start : value ? value.start : base + range[0];
        items.push({ key, value, start, end: value ? value.end : key ? key.end : start });
      }
      const flow = Boolean(node.flow);
      const end = !flow && items.length ? items[items.length - 1]!.end : base + range[1];
      out = { kind: 'map', flow, items, start: base + range[0], end, ...props };
    } else if (isSeq(node)) {
      const items = node.items.map((i) => convert(i, depth + 1));
      const flow = Boolean(node.flow);
      const last = items.length ? items[items.length - 1] : undefined;
      const end = !flow && last ? last.end : base + range[1];
      out = { kind: 'seq', flow, items, start: base + range[0], end, ...props };
    } else {
      return null;
    }
    if (out.anchor) anchors.push(out);
    return out;
  };
  const root = convert(doc.contents, 0);
  return { base, root, errors, anchors, aliases };
}

function cleanMessage(m: string): string {
  return m.replace(/ at line \d+, column \d+[\s\S]*$/, '').trim();
}

/** The piece moved to a new base offset (a cached piece reused after an edit above it). */
export function placePiece(piece: ParsedPiece, base: number): ParsedPiece {
  const delta = base - piece.base;
  if (delta === 0) return piece;
  const anchors: YNode[] = [];
  const aliases: YAlias[] = [];
  const shift = (n: YNode | null): YNode | null => {
    if (n === null) return null;
    let out: YNode;
    switch (n.kind) {
      case 'scalar':
        out = { ...n, start: n.start + delta, end: n.end + delta };
        break;
      case 'alias':
        out = { ...n, start: n.start + delta, end: n.end + delta };
        aliases.push(out as YAlias);
        break;
      case 'map':
        out = {
          ...n,
          start: n.start + delta,
          end: n.end + delta,
          items: n.items.map((p) => ({ key: shift(p.key), value: shift(p.value), start: p.start + delta, end: p.end + delta })),
        };
        break;
      case 'seq':
        out = { ...n, start: n.start + delta, end: n.end + delta, items: n.items.map(shift) };
        break;
    }
    if (out.anchor) anchors.push(out);
    return out;
  };
  const root = shift(piece.root);
  const errors = piece.errors.map((e) => ({ ...e, start: e.start + delta, end: e.end + delta }));
  return { base, root, errors, anchors, aliases, ...(piece.refused ? { refused: true } : {}) };
}

/** A scalar's value as a key string ('' for null keys), or undefined for collection keys. */
export function keyString(key: YNode | null): string | undefined {
  if (key === null) return '';
  if (key.kind !== 'scalar') return undefined;
  return key.value === null ? '' : String(key.value);
}
