import { DIAGNOSTIC_CODES } from './diagnostics';
import { IDENTIFIER, DNS1123_LABEL, VIEW_FEATURE } from './formats';
import { defaultText, PIPELINE_SCHEMA, typeName, type KeySpec, type ValueFormat } from './schema';

/**
 * schemas/slipway.schema.json and the key reference of docs/slipway-yaml.md, generated from
 * schema.ts by scripts/gen-schema.mjs. A unit test fails when the committed files differ.
 */

export const SCHEMA_ID = 'https://raw.githubusercontent.com/slipway-ml/slipway/main/schemas/slipway.schema.json';

/** Patterns for formats a JSON Schema can express (cron and quantities only approximately). */
const PATTERNS: Partial<Record<ValueFormat, string>> = {
  'dns-label': DNS1123_LABEL.source,
  identifier: IDENTIFIER.source,
  duration: '^[0-9]+[smhdw]$',
  cron: '^\\s*\\S+(\\s+\\S+){4}\\s*$',
  cpu: '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(m|[eE][+-]?[0-9]+|[kMGTPE]|n|u)?$',
  memory: '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$',
  'http-url': '^https?://',
  'view-feature': VIEW_FEATURE.source,
  'mlflow-alias': '^(?![vV][0-9]+$)(?![lL][aA][tT][eE][sS][tT]$)[A-Za-z0-9_-]{1,255}$',
};

type Json = { [k: string]: unknown };

function describe(spec: KeySpec): string {
  const d = defaultText(spec);
  return spec.default === undefined && d ? `${spec.doc} Default: ${d}.` : spec.doc;
}

function toJson(spec: KeySpec): Json {
  const out: Json = { description: describe(spec) };
  switch (spec.type) {
    case 'object': {
      out.type = spec.nullable ? ['object', 'null'] : 'object';
      const props: Json = {};
      for (const [k, v] of Object.entries(spec.properties ?? {})) props[k] = toJson(v);
      out.properties = props;
      const required = Object.entries(spec.properties ?? {}).filter(([, v]) => v.required).map(([k]) => k);
      if (required.length) out.required = required;
      if (spec.exactlyOne) out.oneOf = spec.exactlyOne.map((k) => ({ required: [k] }));
      out.additionalProperties = false;
      break;
    }
    case 'map':
      out.type = 'object';
      if (spec.keyFormat && PATTERNS[spec.keyFormat]) out.propertyNames = { pattern: PATTERNS[spec.keyFormat] };
      out.additionalProperties = toJson(spec.values!);
      break;
    case 'array':
      out.type = 'array';
      out.items = toJson(spec.items!);
      if (spec.minItems) out.minItems = spec.minItems;
      break;
    case 'scalar':
      out.type = ['string', 'number', 'boolean'];
      break;
    case 'quantity':
      out.type = ['string', 'number'];
      break;
    default:
      out.type = spec.type;
  }
  if (spec.enum) out.enum = [...spec.enum];
  if (spec.format && PATTERNS[spec.format] && spec.type !== 'quantity') out.pattern = PATTERNS[spec.format];
  if (spec.type === 'quantity' && spec.format && PATTERNS[spec.format]) {
    out.anyOf = [{ type: 'number', minimum: 0 }, { type: 'string', pattern: PATTERNS[spec.format] }];
    delete out.type;
  }
  if (spec.format === 'dns-label') out.maxLength = 63;
  if (spec.minimum !== undefined) out.minimum = spec.minimum;
  if (spec.maximum !== undefined) out.maximum = spec.maximum;
  if (spec.default !== undefined) out.default = spec.default;
  return out;
}

/** The JSON Schema (draft-07) of slipway.yaml, with descriptions and defaults. */
export function generateJsonSchema(): Json {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'Slipway pipeline file (slipway.yaml)',
    ...toJson(PIPELINE_SCHEMA),
  };
}

/** The committed file's exact text. */
export function jsonSchemaText(): string {
  return `${JSON.stringify(generateJsonSchema(), null, 2)}\n`;
}

function rows(spec: KeySpec, path: string, out: string[]) {
  for (const [k, v] of Object.entries(spec.properties ?? {})) {
    const p = path ? `${path}.${k}` : k;
    out.push(row(p, v));
    descend(v, p, out);
  }
}

function descend(v: KeySpec, p: string, out: string[]) {
  if (v.type === 'object') rows(v, p, out);
  else if (v.type === 'map' && v.values) {
    const name = `${p}.<${(v.keyDoc ?? 'name').split(' ')[0]}>`;
    if (v.values.type === 'object') rows(v.values, name, out);
    else if (v.values.enum || v.values.type !== 'scalar') out.push(row(name, v.values));
  } else if (v.type === 'array' && v.items?.type === 'object') rows(v.items, `${p}[]`, out);
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function row(path: string, v: KeySpec): string {
  const type = typeName(v);
  const def = defaultText(v) ?? (v.required ? '**required**' : '—');
  const checks: string[] = [];
  const item = v.type === 'array' ? v.items : undefined;
  if (v.format ?? item?.format) checks.push((v.format ?? item?.format)!);
  if (v.ref ?? item?.ref) checks.push(`reference (${v.ref ?? item?.ref})`);
  if (v.keyFormat) checks.push(`names: ${v.keyFormat}`);
  if (v.file) checks.push(`file must exist (${v.file.severity})`);
  if (v.minimum !== undefined && v.maximum !== undefined) checks.push(`${v.minimum}–${v.maximum}`);
  else if (v.minimum !== undefined) checks.push(`≥ ${v.minimum}`);
  if (v.minItems) checks.push(`at least ${v.minItems}`);
  if (v.exactlyOne) checks.push(`exactly one of ${v.exactlyOne.join(', ')}`);
  const enumDocs = v.enumDocs ? ` (${Object.entries(v.enumDocs).map(([k, d]) => `\`${k}\`: ${d}`).join('; ')})` : '';
  return `| \`${path}\` | ${cell(type)} | ${cell(def)} | ${cell(v.doc + enumDocs)} | ${cell(checks.join(', '))} |`;
}

/** The Markdown table of every key, and the table of diagnostic codes. */
export function referenceMarkdown(): { keys: string; codes: string } {
  const lines = ['| Key | Type | Default | Meaning | Checks |', '| --- | --- | --- | --- | --- |'];
  rows(PIPELINE_SCHEMA, '', lines);
  const codes = ['| Code | Severity | Meaning |', '| --- | --- | --- |'];
  for (const [code, c] of Object.entries(DIAGNOSTIC_CODES)) codes.push(`| \`${code}\` | ${c.severity} | ${cell(c.summary)} |`);
  return { keys: lines.join('\n'), codes: codes.join('\n') };
}

/** docs/slipway-yaml.md with its generated blocks replaced (between `<!-- generated:NAME -->` markers). */
export function updateReference(doc: string): string {
  const md = referenceMarkdown();
  const blocks: Record<string, string> = { keys: md.keys, codes: md.codes };
  return doc.replace(/(<!-- generated:(\w+) -->)[\s\S]*?(<!-- \/generated:\2 -->)/g, (all, open: string, name: string, close: string) =>
    blocks[name] === undefined ? all : `${open}\n${blocks[name]}\n${close}`,
  );
}
