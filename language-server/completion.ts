import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type CompletionList,
  type Position,
} from 'vscode-languageserver/node';
import { defaultText, isRemote, specAt, typeName, type KeySpec, type ParsedPipeline } from '../src/core/pipeline/index';
import { cursorContext, type CursorContext } from './context';

/** Markdown documentation of a key, shared by completion and hover. */
export function keyDocs(spec: KeySpec, title?: string): string {
  const parts: string[] = [];
  if (title) parts.push(`**${title}** — ${typeName(spec)}${spec.required ? ', required' : ''}`);
  parts.push(spec.doc);
  const d = defaultText(spec);
  if (d !== undefined) parts.push(`Default: ${spec.default !== undefined ? `\`${d}\`` : d}`);
  if (spec.enumDocs) parts.push(Object.entries(spec.enumDocs).map(([k, v]) => `- \`${k}\`: ${v}`).join('\n'));
  else if (spec.enum) parts.push(`One of: ${spec.enum.map((e) => `\`${e}\``).join(', ')}`);
  if (spec.example) parts.push(`Example: \`${spec.example}\``);
  return parts.join('\n\n');
}

const needsQuotes = (s: string) => /^[>|!&*#?:,[\]{}@`'"%<=-]|: | #/.test(s) || s === ''; // operators quoted alike, as the docs write them

function scalarText(v: string | number): string {
  return typeof v === 'string' && needsQuotes(v) ? `"${v}"` : String(v);
}

/** Keys already present in the block around the cursor line (same indentation), or in the flow mapping. */
function presentKeys(lines: readonly string[], line: number, column: number, inFlow: boolean): Set<string> {
  const keys = new Set<string>();
  const text = lines[line] ?? '';
  if (inFlow) {
    for (const m of text.matchAll(/[{,]\s*([^\s,{}:]+)\s*:/g)) keys.add(m[1]!);
    return keys;
  }
  const keyAt = (t: string) => {
    const ind = /^ */.exec(t)![0].length;
    if (ind === t.length || t[ind] === '#') return { ind: -1, key: undefined };
    const body = t.slice(ind).replace(/^(- +)+/, (m) => ' '.repeat(m.length));
    const lead = body.length - body.trimStart().length;
    const m = /^([^\s#:'"][^#:]*?|"[^"]*"|'[^']*')\s*:(\s|$)/.exec(body.trimStart());
    return { ind: ind + lead, dash: lead > 0, key: m?.[1]?.replace(/^["']|["']$/g, '') };
  };
  for (const dir of [-1, 1]) {
    for (let l = line + dir; l >= 0 && l < lines.length; l += dir) {
      const k = keyAt(lines[l]!);
      if (k.ind < 0) continue;
      if (k.ind < column) break;
      if (k.ind === column && k.key) keys.add(k.key);
      if (dir === -1 && 'dash' in k && k.dash && k.ind === column) break; // the start of this list item
    }
  }
  return keys;
}

function keyItem(name: string, spec: KeySpec, inFlow: boolean, range: { start: Position; end: Position }): CompletionItem {
  let snippet: string;
  if (inFlow) snippet = spec.enum ? `${name}: \${1|${spec.enum.map((e) => scalarText(e).replace(/[,|]/g, '\\$&')).join(',')}|}` : `${name}: $0`;
  else if (spec.type === 'object' || spec.type === 'map') snippet = `${name}:\n  $0`;
  else if (spec.type === 'array') snippet = spec.items?.type === 'object' ? `${name}:\n  - $0` : `${name}: [$0]`;
  else if (spec.enum) snippet = `${name}: \${1|${spec.enum.map((e) => scalarText(e).replace(/[,|]/g, '\\$&')).join(',')}|}`;
  else if (spec.default !== undefined && typeof spec.default !== 'object') snippet = `${name}: \${1:${String(spec.default).replace(/[$}\\]/g, '\\$&')}}`;
  else snippet = `${name}: $0`;
  return {
    label: name,
    kind: spec.type === 'object' || spec.type === 'map' ? CompletionItemKind.Module : CompletionItemKind.Property,
    detail: typeName(spec) + (spec.required ? ' (required)' : ''),
    documentation: { kind: MarkupKind.Markdown, value: keyDocs(spec) },
    insertTextFormat: InsertTextFormat.Snippet,
    textEdit: { range, newText: snippet },
    sortText: `${spec.required ? '0' : '1'}${name}`,
  };
}

function valueItem(label: string, kind: CompletionItemKind, range: { start: Position; end: Position }, doc?: string, detail?: string): CompletionItem {
  return {
    label,
    kind,
    ...(detail ? { detail } : {}),
    ...(doc ? { documentation: { kind: MarkupKind.Markdown, value: doc } } : {}),
    textEdit: { range, newText: label },
    filterText: label,
  };
}

/** Files and folders under the pipeline's folder matching what was typed. */
function pathItems(baseDir: string, typed: string, range: { start: Position; end: Position }, spec: KeySpec): CompletionItem[] {
  const raw = typed.replace(/^["']/, '');
  if (isRemote(raw)) return [];
  const slash = raw.lastIndexOf('/');
  const dirPart = slash >= 0 ? raw.slice(0, slash + 1) : '';
  let entries;
  try {
    entries = readdirSync(join(baseDir, dirPart), { withFileTypes: true });
  } catch {
    return [];
  }
  const wanted = spec.example ? /\.[a-z]+$/.exec(spec.example)?.[0] : undefined;
  const skip = new Set(['node_modules', '.git', '__pycache__', '.venv', 'mlruns']);
  const quote = typed.startsWith('"') || typed.startsWith("'") ? typed[0]! : '';
  return entries
    .filter((e) => !skip.has(e.name) && (!e.name.startsWith('.') || raw.slice(slash + 1).startsWith('.')))
    .slice(0, 500)
    .map((e) => {
      const dir = e.isDirectory();
      const text = `${dirPart}${e.name}${dir ? '/' : ''}`;
      const item: CompletionItem = {
        label: `${e.name}${dir ? '/' : ''}`,
        kind: dir ? CompletionItemKind.Folder : CompletionItemKind.File,
        textEdit: { range, newText: `${quote}${text}` },
        filterText: `${quote}${text}`,
        sortText: `${dir ? '0' : wanted && e.name.endsWith(wanted) ? '1' : '2'}${e.name}`,
      };
      if (dir) item.command = { title: 'suggest', command: 'editor.action.triggerSuggest' };
      return item;
    });
}

/** Completion at a position: keys at any depth, enum values, references, file paths. */
export function complete(parsed: ParsedPipeline, position: Position, baseDir: string | undefined): CompletionList {
  const lines = parsed.text.split(/\r\n|\r|\n/);
  const ctx: CursorContext = cursorContext(lines, position.line, position.character);
  const items: CompletionItem[] = [];
  if (ctx.kind === 'none') return { isIncomplete: false, items };
  const range = { start: { line: position.line, character: ctx.start }, end: position };
  if (ctx.kind === 'key') {
    const spec = specAt(ctx.path);
    if (!spec) return { isIncomplete: false, items };
    if (spec.type === 'object') {
      // a list item's first key has nothing above it to compare with
      const present = ctx.listItem ? new Set<string>() : presentKeys(lines, position.line, ctx.start, ctx.inFlow);
      for (const [name, child] of Object.entries(spec.properties ?? {})) {
        if (!present.has(name)) items.push(keyItem(name, child, ctx.inFlow, range));
      }
    } else if (ctx.listItem) {
      // `- |` in a list of scalars: a value
      items.push(...values(parsed, spec, ctx.prefix, range, baseDir));
    }
    return { isIncomplete: false, items };
  }
  const spec = specAt(ctx.path);
  if (!spec) return { isIncomplete: false, items };
  items.push(...values(parsed, spec, ctx.prefix, range, baseDir));
  return { isIncomplete: false, items };
}

function values(parsed: ParsedPipeline, spec: KeySpec, prefix: string, range: { start: Position; end: Position }, baseDir: string | undefined): CompletionItem[] {
  const out: CompletionItem[] = [];
  const { entities, sources, views } = parsed.model.features;
  if (spec.enum) {
    for (const e of spec.enum) out.push(valueItem(scalarText(e), CompletionItemKind.EnumMember, range, spec.enumDocs?.[String(e)]));
  } else if (spec.type === 'boolean') {
    for (const b of ['true', 'false']) out.push(valueItem(b, CompletionItemKind.Value, range));
  } else if (spec.ref === 'entity') {
    for (const [name, e] of Object.entries(entities)) out.push(valueItem(name, CompletionItemKind.Reference, range, `join keys: ${e.joinKeys.join(', ')}`, 'entity'));
  } else if (spec.ref === 'source') {
    for (const [name, s] of Object.entries(sources)) out.push(valueItem(name, CompletionItemKind.Reference, range, `\`${s.path}\``, 'source'));
  } else if (spec.ref === 'view-feature') {
    for (const [view, v] of Object.entries(views)) {
      out.push(valueItem(`${view}:*`, CompletionItemKind.Reference, range, `every feature of view \`${view}\``, 'all features'));
      for (const [feature, type] of Object.entries(v.features)) out.push(valueItem(`${view}:${feature}`, CompletionItemKind.Field, range, undefined, type));
    }
  } else if (spec.file && baseDir) {
    out.push(...pathItems(baseDir, prefix, range, spec));
  }
  if (out.length === 0) {
    const d = spec.default !== undefined && typeof spec.default !== 'object' ? String(spec.default) : undefined;
    if (d !== undefined) out.push(valueItem(scalarText(d), CompletionItemKind.Value, range, 'default'));
    if (spec.example && spec.example !== d) out.push(valueItem(spec.example, CompletionItemKind.Value, range, 'example'));
  }
  return out;
}
