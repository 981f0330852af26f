import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MarkupKind, SymbolKind, type DocumentSymbol, type Hover, type Location, type Position, type Range } from 'vscode-languageserver/node';
import { displayPath, isGlob, isRemote, keyString, resolvePath, specAt, type KeyPath, type ParsedPipeline, type YNode } from '../src/core/pipeline/index';
import { keyDocs } from './completion';

const within = (r: Range, p: Position) =>
  (p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character)) &&
  (p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character));

/** Hover: the key's documentation and default; for a reference, what it names. */
export function hover(parsed: ParsedPipeline, position: Position): Hover | null {
  const ref = parsed.references.find((r) => within(r.range, position));
  if (ref) return { contents: { kind: MarkupKind.Markdown, value: describeRef(parsed, ref.kind, ref.name, ref.view) }, range: ref.range };
  const at = parsed.nodeAt(parsed.offsetAt(position));
  if (!at.node || at.path.length === 0) return null;
  const spec = specAt(at.path);
  if (!spec) return null;
  const title = `\`${displayPath(at.path)}\``;
  let value = keyDocs(spec, title);
  if (!at.inKey && at.node.kind === 'scalar' && spec.enumDocs?.[String(at.node.value)]) {
    value = `\`${String(at.node.value)}\`: ${spec.enumDocs[String(at.node.value)]}\n\n---\n\n${value}`;
  }
  return { contents: { kind: MarkupKind.Markdown, value }, range: { start: parsed.positionAt(at.node.start), end: parsed.positionAt(at.node.end) } };
}

function describeRef(parsed: ParsedPipeline, kind: string, name: string, view?: string): string {
  const f = parsed.model.features;
  switch (kind) {
    case 'entity': {
      const e = f.entities[name];
      return e ? `**entity** \`${name}\` — join keys: ${e.joinKeys.map((k) => `\`${k}\``).join(', ')}` : `**entity** \`${name}\` is not declared`;
    }
    case 'source': {
      const s = f.sources[name];
      return s ? `**source** \`${name}\` — \`${s.path}\`${s.format ? ` (${s.format})` : ''}, timestamp \`${s.timestamp}\`` : `**source** \`${name}\` is not declared`;
    }
    case 'view': {
      const v = f.views[name];
      if (!v) return `**view** \`${name}\` is not declared`;
      const feats = Object.entries(v.features).map(([k, t]) => `- \`${k}\`: ${t}`).join('\n');
      return `**view** \`${name}\` — entity \`${v.entity}\`, source \`${v.source}\`${v.ttl ? `, ttl ${v.ttl}` : ''}\n\n${feats}`;
    }
    default: {
      const t = view ? f.views[view]?.features[name] : undefined;
      return t ? `**feature** \`${view}:${name}\` — ${t}` : `**feature** \`${view}:${name}\` is not declared`;
    }
  }
}

/** Go to definition: a reference to its declaration, a path to its file. */
export function definition(parsed: ParsedPipeline, uri: string, position: Position, baseDir: string | undefined): Location[] {
  const ref = parsed.references.find((r) => within(r.range, position));
  if (ref?.target) return [{ uri, range: ref.target }];
  const p = parsed.paths.find((x) => within(x.range, position));
  if (p && baseDir && !isRemote(p.value) && !isGlob(p.value)) {
    const abs = resolvePath(baseDir, p.value.trim());
    if (existsSync(abs) && statSync(abs).isFile()) return [{ uri: pathToFileURL(abs).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }];
  }
  return [];
}

const MAX_SYMBOLS = 5000;

function symbolKind(path: KeyPath, node: YNode | null): SymbolKind {
  const p = path.map(String);
  if (p.length === 1) return SymbolKind.Module;
  if (p[0] === 'features') {
    if (p.length === 3 && p[1] === 'views') return SymbolKind.Class;
    if (p.length === 3 && p[1] === 'entities') return SymbolKind.Interface;
    if (p.length === 3 && p[1] === 'sources') return SymbolKind.File;
    if (p.length === 5 && p[3] === 'features') return SymbolKind.Field;
  }
  if (node?.kind === 'seq') return SymbolKind.Array;
  if (node?.kind === 'map') return SymbolKind.Object;
  return SymbolKind.Property;
}

/** The outline: every key, nested; list items named by their first key's value. */
export function documentSymbols(parsed: ParsedPipeline): DocumentSymbol[] {
  let budget = MAX_SYMBOLS;
  const range = (start: number, end: number): Range => ({ start: parsed.positionAt(start), end: parsed.positionAt(Math.max(start, end)) });
  const detail = (n: YNode | null): string => {
    if (!n) return '';
    if (n.kind === 'scalar') return n.value === null ? '' : String(n.value).slice(0, 80);
    if (n.kind === 'alias') return `*${n.name}`;
    return '';
  };
  const children = (n: YNode | null, path: KeyPath, depth: number): DocumentSymbol[] => {
    if (!n || depth > 10 || budget <= 0) return [];
    const out: DocumentSymbol[] = [];
    if (n.kind === 'map') {
      for (const pair of n.items) {
        if (budget-- <= 0) break;
        const name = keyString(pair.key) ?? '?';
        const p = [...path, name];
        const keyNode = pair.key ?? pair.value;
        out.push({
          name: name || '""',
          detail: detail(pair.value),
          kind: symbolKind(p, pair.value),
          range: range(pair.start, pair.end),
          selectionRange: keyNode ? range(keyNode.start, keyNode.end) : range(pair.start, pair.start),
          children: children(pair.value, p, depth + 1),
        });
      }
    } else if (n.kind === 'seq') {
      n.items.forEach((item, i) => {
        if (!item || budget-- <= 0) return;
        const first = item.kind === 'map' ? item.items[0] : undefined;
        const name = first ? `${keyString(first.key)}: ${detail(first.value)}` : detail(item) || `[${i}]`;
        out.push({
          name,
          kind: item.kind === 'map' ? SymbolKind.Object : SymbolKind.String,
          range: range(item.start, item.end),
          selectionRange: range(item.start, item.end),
          children: item.kind === 'map' ? children(item, [...path, i], depth + 1) : [],
        });
      });
    }
    return out;
  };
  return children(parsed.doc.root, [], 0);
}
