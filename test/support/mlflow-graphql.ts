/**
 * The part of MLflow's /graphql endpoint the UI's run and experiment pages use: queries
 * (with variables) on mlflowGetExperiment, mlflowGetRun, mlflowSearchRuns and
 * mlflowListArtifacts. Answers are the REST objects in camelCase, int64 fields as strings,
 * keys in alphabetical order, as MLflow's graphene schema writes them.
 */

export class GraphqlError extends Error {}

interface Field {
  readonly name: string;
  readonly alias?: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly selection?: readonly Field[];
}

type Tok = { k: 'punct'; v: string } | { k: 'name'; v: string } | { k: 'string'; v: string } | { k: 'number'; v: number } | { k: 'var'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/[\s,]/.test(c)) i++;
    else if (c === '#') while (i < src.length && src[i] !== '\n') i++;
    else if ('{}()[]:!='.includes(c)) {
      out.push({ k: 'punct', v: c });
      i++;
    } else if (c === '$') {
      const m = /^\$([_A-Za-z]\w*)/.exec(src.slice(i));
      if (!m) throw new GraphqlError(`Syntax Error: unexpected "$" at ${i}`);
      out.push({ k: 'var', v: m[1]! });
      i += m[0].length;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          s += JSON.parse(`"${src.slice(j, j + 2)}"`) as string;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new GraphqlError('Syntax Error: unterminated string');
      out.push({ k: 'string', v: s });
      i = j + 1;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(src.slice(i));
      if (!m) throw new GraphqlError(`Syntax Error: unexpected "${c}"`);
      out.push({ k: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[_A-Za-z]/.test(c)) {
      const m = /^[_A-Za-z]\w*/.exec(src.slice(i))!;
      out.push({ k: 'name', v: m[0] });
      i += m[0].length;
    } else if (src.startsWith('...', i)) {
      throw new GraphqlError('fragments are not supported by the stand-in');
    } else throw new GraphqlError(`Syntax Error: unexpected character "${c}"`);
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly vars: Readonly<Record<string, unknown>>,
  ) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private take(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new GraphqlError('Syntax Error: unexpected end of query');
    return t;
  }
  private expect(v: string): void {
    const t = this.take();
    if (t.k !== 'punct' || t.v !== v) throw new GraphqlError(`Syntax Error: expected "${v}"`);
  }
  private isPunct(v: string): boolean {
    const t = this.peek();
    return t?.k === 'punct' && t.v === v;
  }

  document(): Field[] {
    const t = this.peek();
    if (t?.k === 'name') {
      if (t.v !== 'query') throw new GraphqlError(`only queries are supported, not ${t.v}`);
      this.take();
      if (this.peek()?.k === 'name') this.take();
      if (this.isPunct('(')) this.variableDefinitions();
    }
    return this.selectionSet();
  }

  private variableDefinitions(): void {
    this.expect('(');
    while (!this.isPunct(')')) {
      if (this.take().k !== 'var') throw new GraphqlError('Syntax Error: expected a variable');
      this.expect(':');
      this.type();
      if (this.isPunct('=')) {
        this.take();
        this.value();
      }
    }
    this.expect(')');
  }

  private type(): void {
    if (this.isPunct('[')) {
      this.take();
      this.type();
      this.expect(']');
    } else if (this.take().k !== 'name') throw new GraphqlError('Syntax Error: expected a type');
    if (this.isPunct('!')) this.take();
  }

  private selectionSet(): Field[] {
    this.expect('{');
    const fields: Field[] = [];
    while (!this.isPunct('}')) fields.push(this.field());
    this.expect('}');
    return fields;
  }

  private field(): Field {
    const first = this.take();
    if (first.k !== 'name') throw new GraphqlError('Syntax Error: expected a field name');
    let name = first.v;
    let alias: string | undefined;
    if (this.isPunct(':')) {
      this.take();
      const real = this.take();
      if (real.k !== 'name') throw new GraphqlError('Syntax Error: expected a field name');
      alias = name;
      name = real.v;
    }
    const args: Record<string, unknown> = {};
    if (this.isPunct('(')) {
      this.take();
      while (!this.isPunct(')')) {
        const n = this.take();
        if (n.k !== 'name') throw new GraphqlError('Syntax Error: expected an argument name');
        this.expect(':');
        args[n.v] = this.value();
      }
      this.expect(')');
    }
    const selection = this.isPunct('{') ? this.selectionSet() : undefined;
    return { name, ...(alias ? { alias } : {}), args, ...(selection ? { selection } : {}) };
  }

  private value(): unknown {
    const t = this.take();
    if (t.k === 'string' || t.k === 'number') return t.v;
    if (t.k === 'var') return this.vars[t.v] ?? null;
    if (t.k === 'name') return t.v === 'true' ? true : t.v === 'false' ? false : t.v === 'null' ? null : t.v;
    if (t.v === '[') {
      const list: unknown[] = [];
      while (!this.isPunct(']')) list.push(this.value());
      this.expect(']');
      return list;
    }
    if (t.v === '{') {
      const obj: Record<string, unknown> = {};
      while (!this.isPunct('}')) {
        const n = this.take();
        if (n.k !== 'name') throw new GraphqlError('Syntax Error: expected a field name');
        this.expect(':');
        obj[n.v] = this.value();
      }
      this.expect('}');
      return obj;
    }
    throw new GraphqlError(`Syntax Error: unexpected "${t.v}"`);
  }
}

const INT64 = new Set(['startTime', 'endTime', 'timestamp', 'step', 'creationTime', 'lastUpdateTime', 'fileSize', 'creationTimestamp', 'lastUpdatedTimestamp']);

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** REST JSON → GraphQL's view of it: camelCase keys, int64 as strings. */
export function toGraphql(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => toGraphql(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), toGraphql(x, camel(k))]));
  if (typeof v === 'number' && INT64.has(key)) return String(v);
  return v;
}

function project(value: unknown, selection: readonly Field[] | undefined): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map((v) => project(v, selection));
  if (!selection) return value;
  if (typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: [string, unknown][] = selection.map((f) => [f.alias ?? f.name, f.name === '__typename' ? 'Object' : project(obj[f.name], f.selection)]);
  return Object.fromEntries(out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Root field name → resolver of its `input` argument, returning REST JSON (converted here). */
export type GraphqlResolvers = Readonly<Record<string, (input: Record<string, unknown>) => unknown>>;

export function executeGraphql(body: Record<string, unknown>, resolvers: GraphqlResolvers): { data: unknown; errors: unknown } {
  const query = typeof body.query === 'string' ? body.query : '';
  const variables = body.variables && typeof body.variables === 'object' ? (body.variables as Record<string, unknown>) : {};
  try {
    const fields = new Parser(lex(query), variables).document();
    const data: [string, unknown][] = [];
    for (const f of fields) {
      const resolve = resolvers[f.name];
      if (!resolve) throw new GraphqlError(`Cannot query field '${f.name}' on type 'QueryType'.`);
      const input = (f.args.input && typeof f.args.input === 'object' ? f.args.input : {}) as Record<string, unknown>;
      data.push([f.alias ?? f.name, project(toGraphql(resolve(input)), f.selection)]);
    }
    return { data: Object.fromEntries(data.sort(([a], [b]) => (a < b ? -1 : 1))), errors: null };
  } catch (e) {
    return { data: null, errors: [{ message: (e as Error).message }] };
  }
}
