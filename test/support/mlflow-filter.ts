/**
 * MLflow's search filter and order_by languages, as the stand-in server needs them:
 * `metrics.acc > 0.5 and params.opt = 'sgd'`, `tags.mlflow.parentRunId = '...'`,
 * `attributes.run_name LIKE 'run-%'`, `name='m'`; clauses joined by AND only.
 * Error messages are MLflow's own.
 */

export class FilterError extends Error {}

export type Entity = 'metric' | 'param' | 'tag' | 'attribute';

export interface Clause {
  readonly entity: Entity;
  readonly key: string;
  /** upper-cased: =, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN */
  readonly op: string;
  readonly value: string | number | readonly string[];
}

export interface OrderKey {
  readonly entity: Entity;
  readonly key: string;
  readonly ascending: boolean;
}

const ENTITY_PREFIXES: Readonly<Record<string, Entity>> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

type Token =
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'op'; v: string }
  | { t: 'list'; v: string[] }
  | { t: 'word'; v: string };

const KEYWORDS = new Set(['AND', 'OR', 'LIKE', 'ILIKE', 'IN', 'NOT']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const quoted = (q: string): string => {
    const end = text.indexOf(q, i + 1);
    if (end < 0) throw new FilterError(`Invalid filter '${text}'. Could not be parsed.`);
    const v = text.slice(i + 1, end);
    i = end + 1;
    return v;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      out.push({ t: 'string', v: quoted(c) });
    } else if (c === '(') {
      const end = text.indexOf(')', i);
      if (end < 0) throw new FilterError(`Invalid filter '${text}'. Could not be parsed.`);
      const inner = text.slice(i + 1, end);
      const items = [...inner.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2] ?? '');
      out.push({ t: 'list', v: items });
      i = end + 1;
    } else if (/[<>=!]/.test(c)) {
      const m = /^[<>=!]+/.exec(text.slice(i))![0];
      out.push({ t: 'op', v: m });
      i += m.length;
    } else if (/[-\d.]/.test(c) && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.test(text.slice(i))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i))![0];
      out.push({ t: 'number', v: Number(m) });
      i += m.length;
    } else if (/[A-Za-z_`]/.test(c)) {
      // an identifier: dotted words, where the part after the entity may be quoted
      let ident = '';
      while (i < text.length) {
        const ch = text[i]!;
        if (ch === '`' || ((ch === '"' || ch === "'") && ident.endsWith('.'))) {
          ident += quoted(ch);
        } else if (/[\w.\-:/]/.test(ch) && !(ch === '-' && ident === '')) {
          ident += ch;
          i++;
        } else break;
      }
      out.push(KEYWORDS.has(ident.toUpperCase()) ? { t: 'word', v: ident.toUpperCase() } : { t: 'ident', v: ident });
    } else {
      throw new FilterError(`Invalid filter '${text}'. Could not be parsed.`);
    }
  }
  return out;
}

/** `metrics.acc` → metric acc; `tags.mlflow.parentRunId` → tag mlflow.parentRunId; `status` → attribute status. */
export function parseIdentifier(ident: string): { entity: Entity; key: string } {
  const dot = ident.indexOf('.');
  if (dot < 0) return { entity: 'attribute', key: ident };
  const prefix = ident.slice(0, dot);
  const entity = ENTITY_PREFIXES[prefix.toLowerCase()];
  if (!entity) throw new FilterError(`Invalid entity type '${prefix}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`);
  return { entity, key: ident.slice(dot + 1) };
}

const NUMERIC_OPS = ['!=', '=', '<=', '>', '>=', '<'];

/** Parses a filter into AND-ed clauses; '' → none. */
export function parseFilter(filter: string | undefined): Clause[] {
  if (!filter || !filter.trim()) return [];
  const tokens = tokenize(filter);
  if (tokens.some((t) => t.t === 'word' && t.v === 'OR')) throw new FilterError("Invalid clause(s) in filter string: 'OR'");
  const clauses: Clause[] = [];
  let i = 0;
  const bad = () => new FilterError(`Invalid filter '${filter}'. Could not be parsed.`);
  while (i < tokens.length) {
    const id = tokens[i++];
    if (!id || id.t !== 'ident') throw bad();
    const { entity, key } = parseIdentifier(id.v);
    let opTok = tokens[i++];
    if (!opTok) throw bad();
    let op: string;
    if (opTok.t === 'op') {
      op = opTok.v === '==' ? '=' : opTok.v === '<>' ? '!=' : opTok.v;
      if (!NUMERIC_OPS.includes(op)) throw new FilterError(`Invalid comparator '${opTok.v}' not one of '{'!=', '=', '<=', '>', '>=', '<'}`);
    } else if (opTok.t === 'word' && opTok.v === 'NOT') {
      opTok = tokens[i++];
      if (!opTok || opTok.t !== 'word' || opTok.v !== 'IN') throw bad();
      op = 'NOT IN';
    } else if (opTok.t === 'word' && ['LIKE', 'ILIKE', 'IN'].includes(opTok.v)) {
      op = opTok.v;
    } else throw bad();
    const val = tokens[i++];
    if (!val) throw bad();
    let value: Clause['value'];
    if (val.t === 'string' || val.t === 'number' || val.t === 'list') value = val.v;
    else throw bad();
    if (op === 'IN' || op === 'NOT IN') {
      if (val.t !== 'list') throw bad();
      if (entity === 'attribute' && key !== 'run_id' && key !== 'run_uuid') {
        throw new FilterError("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
      }
    }
    if (entity === 'metric' && (typeof value !== 'number' || !NUMERIC_OPS.includes(op))) {
      throw new FilterError(`Expected numeric value type for metric. Found ${JSON.stringify(value)}`);
    }
    clauses.push({ entity, key, op, value });
    const next = tokens[i];
    if (next === undefined) break;
    if (next.t === 'word' && next.v === 'AND') {
      i++;
      continue;
    }
    throw bad();
  }
  return clauses;
}

function likeRegex(pattern: string, insensitive: boolean): RegExp {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, insensitive ? 'is' : 's');
}

/** Does `actual` (undefined: the entity has no such key) satisfy the clause? */
export function matches(clause: Clause, actual: string | number | undefined): boolean {
  if (actual === undefined) return false;
  const { op, value } = clause;
  if (op === 'IN') return (value as readonly string[]).includes(String(actual));
  if (op === 'NOT IN') return !(value as readonly string[]).includes(String(actual));
  if (op === 'LIKE' || op === 'ILIKE') return likeRegex(String(value), op === 'ILIKE').test(String(actual));
  const a = typeof value === 'number' ? Number(actual) : String(actual);
  const b = typeof value === 'number' ? value : String(value);
  if (typeof a === 'number' && Number.isNaN(a)) return op === '!=';
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    default:
      return false;
  }
}

/** `metrics.acc DESC`, `name` → order keys. */
export function parseOrderBy(orderBy: readonly string[] | undefined): OrderKey[] {
  return (orderBy ?? []).map((item) => {
    const m = /^\s*(.+?)(?:\s+(ASC|DESC))?\s*$/i.exec(item);
    if (!m) throw new FilterError(`Invalid order_by clause '${item}'. Could not be parsed.`);
    let ident = m[1]!.trim();
    const q = /^(\w+)\.[`"](.*)[`"]$/.exec(ident);
    if (q) ident = `${q[1]}.${q[2]}`;
    const { entity, key } = parseIdentifier(ident);
    return { entity, key, ascending: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
}

/** Compares two values for an order key; missing values sort last either way. */
export function compareValues(a: string | number | undefined, b: string | number | undefined, ascending: boolean): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const an = typeof a === 'number' && Number.isNaN(a);
  const bn = typeof b === 'number' && Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  const c = a < b ? -1 : a > b ? 1 : 0;
  return ascending ? c : -c;
}
