import type { DiagnosticCode, DiagnosticData, Severity } from './diagnostics';
import { closest, didYouMean, formatProblem } from './formats';
import type { FileCheck, KeySpec } from './schema';
import { deref, displayPath, entries, type Entry, type KeyPath } from './yaml/nav';
import type { YAlias, YNode, YPair } from './yaml/tree';

/** A problem at offsets; turned into a Diagnostic with line/character ranges by the caller. */
export interface RawDiagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  start: number;
  end: number;
  data?: DiagnosticData;
}

/** A value naming something declared elsewhere in the file. */
export interface PendingRef {
  readonly kind: 'entity' | 'source' | 'view-feature';
  readonly value: string;
  readonly node: YNode;
  readonly path: KeyPath;
}

/** A value naming a local file. */
export interface PendingFile {
  readonly value: string;
  readonly node: YNode;
  readonly path: KeyPath;
  readonly check: FileCheck;
}

export interface WalkResult {
  /** plain values with literal defaults applied, only those that passed their checks */
  readonly raw: Record<string, unknown> | undefined;
  readonly refs: PendingRef[];
  readonly files: PendingFile[];
}

const FEATURE_TYPE_ALIASES: Record<string, string> = {
  int: 'int64', integer: 'int64', long: 'int64', int32: 'int64', bigint: 'int64',
  float: 'float64', double: 'float64', float32: 'float64', number: 'float64', decimal: 'float64',
  str: 'string', text: 'string', varchar: 'string', category: 'string', categorical: 'string',
  boolean: 'bool', datetime: 'timestamp', date: 'timestamp', time: 'timestamp',
};

const OPERATOR_ALIASES: Record<string, string> = { '=>': '>=', '=<': '<=', '=': '==', '<>': '!=', '=!': '!=', '≥': '>=', '≤': '<=', '≠': '!=' };

const IN_PROGRESS = Symbol('in progress');

/** Walks the tree against the schema: types, keys, enums, formats, ranges; collects references and files. */
export class SchemaWalker {
  readonly diags: RawDiagnostic[] = [];
  readonly refs: PendingRef[] = [];
  readonly files: PendingFile[] = [];
  private readonly memo = new Map<YNode, Map<KeySpec, unknown>>();

  constructor(
    private readonly text: string,
    private readonly targets: ReadonlyMap<YAlias, YNode>,
  ) {}

  report(code: DiagnosticCode, message: string, at: { start: number; end: number }, severity: Severity = 'error', data?: DiagnosticData) {
    this.diags.push({ code, severity, message, start: at.start, end: at.end, ...(data ? { data } : {}) });
  }

  walkRoot(root: YNode | null, spec: KeySpec): WalkResult {
    const node = deref(root, this.targets);
    if (!node || (node.kind === 'scalar' && node.value === null)) {
      const at = { start: 0, end: 0 };
      for (const k of ['version', 'name']) this.report('missing-key', `missing required key '${k}'`, at, 'error', { path: [k] });
      return { raw: undefined, refs: this.refs, files: this.files };
    }
    if (node.kind !== 'map') {
      this.report('wrong-type', 'a pipeline file is a mapping of keys (version: 1, name: ..., training: ...)', node, 'error', { path: [] });
      return { raw: undefined, refs: this.refs, files: this.files };
    }
    const raw = this.walk(node, spec, [], null) as Record<string, unknown> | undefined;
    return { raw, refs: this.refs, files: this.files };
  }

  /** The checked value of a node, or undefined when it failed (a diagnostic says why). */
  walk(n: YNode | null, spec: KeySpec, path: KeyPath, keyNode: YNode | null): unknown {
    const node = deref(n, this.targets);
    if (node === undefined) return undefined; // an unknown alias: reported as a syntax error
    if (node) {
      // an aliased node is checked once per spec: the same diagnostics would land on the same ranges
      let bySpec = this.memo.get(node);
      if (bySpec?.has(spec)) {
        const v = bySpec.get(spec);
        return v === IN_PROGRESS ? undefined : v;
      }
      if (n !== node || node.anchor) {
        if (!bySpec) this.memo.set(node, (bySpec = new Map()));
        bySpec.set(spec, IN_PROGRESS);
        const v = this.check(node, spec, path, keyNode);
        bySpec.set(spec, v);
        return v;
      }
    }
    return this.check(node, spec, path, keyNode);
  }

  private check(node: YNode | null, spec: KeySpec, path: KeyPath, keyNode: YNode | null): unknown {
    const isNull = node === null || (node.kind === 'scalar' && node.value === null);
    const at = node && !(isNull && node.start === node.end) ? node : (keyNode ?? node ?? { start: 0, end: 0 });
    switch (spec.type) {
      case 'object':
        if (isNull) return this.object(null, spec, path, keyNode);
        if (node!.kind !== 'map') return this.wrongType(node!, 'a mapping', path);
        return this.object(node!, spec, path, keyNode);
      case 'map':
        if (isNull) return Object.create(null);
        if (node!.kind !== 'map') return this.wrongType(node!, 'a mapping', path);
        return this.nameMap(node!, spec, path);
      case 'array': {
        if (isNull) {
          if (spec.required) {
            this.report('wrong-type', `${displayPath(path)} is empty: expected a list`, at, 'error', { path });
            return undefined;
          }
          return [];
        }
        if (node!.kind !== 'seq') {
          if (node!.kind === 'scalar' && spec.items?.type === 'string') {
            const src = this.text.slice(node!.start, node!.end);
            this.report('wrong-type', `${displayPath(path)} must be a list: write [${src}]`, node!, 'error', { path, suggestions: [`[${src}]`] });
            return undefined;
          }
          return this.wrongType(node!, 'a list', path);
        }
        const out: unknown[] = [];
        node!.items.forEach((item, i) => {
          const v = this.walk(item, spec.items!, [...path, i], null);
          if (v !== undefined) out.push(v);
        });
        if (spec.minItems && node!.items.length < spec.minItems) {
          this.report('out-of-range', `${displayPath(path)} needs at least ${spec.minItems} entr${spec.minItems === 1 ? 'y' : 'ies'}`, node!, 'error', { path });
        }
        return out;
      }
      default:
        return this.scalar(node, spec, path, at, isNull);
    }
  }

  private wrongType(node: YNode, expected: string, path: KeyPath): undefined {
    const got = node.kind === 'map' ? 'a mapping' : node.kind === 'seq' ? 'a list' : describe(node);
    this.report('wrong-type', `${displayPath(path) || 'the file'} must be ${expected}, not ${got}`, node, 'error', { path });
    return undefined;
  }

  private scalar(node: YNode | null, spec: KeySpec, path: KeyPath, at: { start: number; end: number }, isNull: boolean): unknown {
    // built only when a message needs them: this runs for every scalar of the file
    let name$: string | undefined;
    const nameOf = () => (name$ ??= displayPath(path));
    if (isNull) {
      this.report('wrong-type', `${nameOf()} has no value: expected ${expectation(spec)}`, at, 'error', { path });
      return undefined;
    }
    if (node!.kind !== 'scalar') {
      const what = spec.type === 'scalar' ? 'a string, number or boolean (params are passed as --key value)' : expectation(spec);
      this.report('wrong-type', `${nameOf()} must be ${what}, not ${node!.kind === 'map' ? 'a mapping' : 'a list'}`, node!, 'error', { path });
      return undefined;
    }
    const s = node!;
    const value = s.value as string | number | boolean;
    const src = () => this.text.slice(s.start, s.end);
    if (spec.format && spec.type === 'string' && typeof value !== 'string') {
      // `ttl: 30`, `name: 2024`: the format's message says more than "not a string"
      const p = formatProblem(spec.format, src(), nameOf());
      if (p) {
        this.report(p.code, p.message, s, 'error', p.suggestions ? { path, suggestions: p.suggestions } : { path });
        return undefined;
      }
    }
    switch (spec.type) {
      case 'string':
        if (typeof value !== 'string') {
          this.report('wrong-type', `${nameOf()} must be a string, not ${describe(s)}: quote it ("${src()}")`, s, 'error', { path, suggestions: [`"${src()}"`] });
          return undefined;
        }
        break;
      case 'integer':
      case 'number':
        if (typeof value !== 'number') {
          const asNumber = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
          this.report(
            'wrong-type',
            `${nameOf()} must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, not ${describe(s)}${asNumber ? ': remove the quotes' : ''}`,
            s,
            'error',
            asNumber ? { path, suggestions: [value.trim()] } : { path },
          );
          return undefined;
        }
        if (!Number.isFinite(value)) {
          this.report('out-of-range', `${nameOf()} must be a finite number`, s, 'error', { path });
          return undefined;
        }
        if (spec.type === 'integer' && !Number.isInteger(value)) {
          this.report('wrong-type', `${nameOf()} must be an integer, not ${value}`, s, 'error', { path });
          return undefined;
        }
        break;
      case 'boolean':
        if (typeof value !== 'boolean') {
          this.report('wrong-type', `${nameOf()} must be true or false, not ${describe(s)}`, s, 'error', { path });
          return undefined;
        }
        break;
      case 'quantity':
        if (typeof value !== 'string' && typeof value !== 'number') {
          this.report('wrong-type', `${nameOf()} must be a quantity, not ${describe(s)}`, s, 'error', { path });
          return undefined;
        }
        break;
      case 'scalar':
        break;
    }
    if (spec.enum && !spec.enum.includes(value as string | number)) {
      this.badEnum(s, value, spec, path);
      return undefined;
    }
    if (typeof value === 'number' && (spec.minimum !== undefined || spec.maximum !== undefined)) {
      const lo = spec.minimum ?? -Infinity;
      const hi = spec.maximum ?? Infinity;
      if (value < lo || value > hi) {
        const range = hi === Infinity ? `≥ ${lo}` : lo === -Infinity ? `≤ ${hi}` : `${lo}–${hi}`;
        this.report('out-of-range', `${nameOf()} must be ${range}, not ${value}`, s, 'error', { path });
        return undefined;
      }
    }
    if (spec.format && (typeof value === 'string' || typeof value === 'number')) {
      const p = formatProblem(spec.format, value, nameOf());
      if (p) {
        this.report(p.code, p.message, s, 'error', p.suggestions ? { path, suggestions: p.suggestions } : { path });
        return undefined;
      }
    }
    if (spec.ref && typeof value === 'string') this.refs.push({ kind: spec.ref, value, node: s, path });
    if (spec.file && typeof value === 'string') this.files.push({ value, node: s, path, check: spec.file });
    if (spec.type === 'quantity') return String(value);
    return value;
  }

  private badEnum(s: YNode, value: unknown, spec: KeySpec, path: KeyPath) {
    const allowed = spec.enum!.map(String);
    const v = String(value);
    const suggestions = closest(v, allowed);
    const alias = (allowed.includes('int64') ? FEATURE_TYPE_ALIASES : OPERATOR_ALIASES)[v.toLowerCase()];
    if (alias && allowed.includes(alias) && !suggestions.includes(alias)) suggestions.unshift(alias);
    const name = displayPath(path);
    const msg =
      path.length === 1 && path[0] === 'version'
        ? `unsupported version ${v}: only version 1 exists`
        : `${name} must be one of ${allowed.join(', ')}, not '${v}'${didYouMean(suggestions.slice(0, 1))}`;
    this.report('bad-enum', msg, s, 'error', { path, suggestions: suggestions.length ? suggestions : allowed });
  }

  /**
   * A mapping's entries, each key once: a repeated key is reported (unless a merge key brought it)
   * and skipped. `present` holds the keys seen so far, as each entry is yielded.
   */
  private *distinct(node: YNode & { kind: 'map' }, path: KeyPath, bad: YPair[], present: Map<string, YPair>): Generator<Entry> {
    for (const e of entries(node, this.targets, bad)) {
      const first = present.get(e.key);
      if (first) {
        if (!e.merged) this.duplicate(e.pair, first, e.key, path);
        continue;
      }
      present.set(e.key, e.pair);
      yield e;
    }
  }

  /** Keys of a fixed-shape mapping: unknown, duplicate, required, exclusive; literal defaults applied. */
  private object(node: YNode | null, spec: KeySpec, path: KeyPath, keyNode: YNode | null): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const props = spec.properties ?? {};
    const present = new Map<string, YPair>();
    const where = path.length ? `in ${displayPath(path)}` : 'at the top level';
    if (node && node.kind === 'map') {
      const bad: YPair[] = [];
      for (const e of this.distinct(node, path, bad, present)) {
        const child = props[e.key];
        if (!child) {
          // `x-` keys at the top level hold anchors for reuse (as in Docker Compose): not checked
          if (e.merged || (path.length === 0 && e.key.startsWith('x-'))) continue;
          const suggestions = closest(e.key, Object.keys(props).filter((k) => !present.has(k) || k === e.key));
          this.report('unknown-key', `unknown key '${e.key}' ${where}${didYouMean(suggestions.slice(0, 1))}`, e.pair.key ?? e.pair, 'error', {
            path: [...path, e.key],
            ...(suggestions.length ? { suggestions } : {}),
          });
          continue;
        }
        const v = this.walk(e.pair.value, child, [...path, e.key], e.pair.key);
        if (v !== undefined) out[e.key] = v;
      }
      for (const p of bad) this.badKey(p, path);
    }
    const firstKey = node && node.kind === 'map' ? node.items[0]?.key : undefined;
    const at: { start: number; end: number } = keyNode ?? firstKey ?? node ?? { start: 0, end: 0 };
    for (const [k, child] of Object.entries(props)) {
      if (present.has(k)) continue;
      if (child.required) {
        this.report('missing-key', `missing required key '${k}' ${where}`, at, 'error', { path: [...path, k] });
      } else if (child.default !== undefined) {
        out[k] = structuredClone(child.default);
      }
    }
    if (spec.exactlyOne) {
      const set = spec.exactlyOne.filter((k) => present.has(k));
      if (set.length === 0) {
        this.report('missing-key', `${displayPath(path)} needs ${spec.exactlyOne.map((k) => `'${k}'`).join(' or ')}`, at, 'error', { path: [...path, spec.exactlyOne[0]!] });
      } else if (set.length > 1) {
        const second = present.get(set[1]!)!;
        this.report('conflicting-keys', `${displayPath(path)} has both ${set.map((k) => `'${k}'`).join(' and ')}: keep one`, second.key ?? second, 'error', { path: [...path, set[1]!] });
      }
    }
    return out;
  }

  /** A mapping of user-chosen names (entities, views, features, params). */
  private nameMap(node: YNode, spec: KeySpec, path: KeyPath): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    if (node.kind !== 'map') return out;
    const present = new Map<string, YPair>();
    const bad: YPair[] = [];
    for (const e of this.distinct(node, path, bad, present)) {
      if (spec.keyFormat && !e.merged) {
        const p = formatProblem(spec.keyFormat, e.key, spec.keyDoc ?? 'name');
        if (p) this.report(p.code, p.message, e.pair.key ?? e.pair, 'error', { path: [...path, e.key] });
      }
      const v = this.walk(e.pair.value, spec.values!, [...path, e.key], e.pair.key);
      if (v !== undefined) out[e.key] = v;
    }
    for (const p of bad) this.badKey(p, path);
    return out;
  }

  private duplicate(pair: YPair, first: YPair, key: string, path: KeyPath) {
    const line = lineOf(this.text, (first.key ?? first).start);
    this.report('duplicate-key', `duplicate key '${key}' ${path.length ? `in ${displayPath(path)}` : 'at the top level'} (first on line ${line})`, pair.key ?? pair, 'error', {
      path: [...path, key],
    });
  }

  private badKey(pair: YPair, path: KeyPath) {
    const k = pair.key;
    if (k && k.kind === 'scalar' && String(k.value) === '<<') {
      this.report('wrong-type', 'a merge key << needs an alias to a mapping (<<: *defaults)', pair.value ?? k, 'error', { path });
    } else {
      this.report('wrong-type', `keys ${path.length ? `in ${displayPath(path)}` : 'at the top level'} must be names, not ${k?.kind === 'seq' ? 'lists' : 'mappings'}`, k ?? pair, 'error', { path });
    }
  }
}

function describe(s: YNode): string {
  if (s.kind !== 'scalar') return s.kind === 'map' ? 'a mapping' : s.kind === 'seq' ? 'a list' : 'an alias';
  const v = s.value;
  if (v === null) return 'an empty value';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
}

function expectation(spec: KeySpec): string {
  if (spec.enum) return `one of ${spec.enum.join(', ')}`;
  switch (spec.type) {
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'quantity':
      return 'a quantity (e.g. 500m, 512Mi)';
    case 'scalar':
      return 'a string, number or boolean';
    default:
      return 'a string';
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

