import { distance } from 'fastest-levenshtein';
import { CronExpressionParser } from 'cron-parser';
import type { DiagnosticCode } from './diagnostics';
import type { ValueFormat } from './schema';

/** A failed value check: the code, an actionable message, and replacements when there is an obvious one. */
export interface FormatProblem {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly suggestions?: readonly string[];
}

/** Candidates close to `word`, best first ("did you mean"). */
export function closest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const w = word.toLowerCase();
  const scored: [string, number][] = [];
  for (const c of candidates) {
    if (c === word) continue;
    const lc = c.toLowerCase();
    const d = lc === w ? 0 : distance(w, lc);
    const limit = Math.max(1, Math.floor(Math.max(w.length, lc.length) / 3));
    if (d <= limit || (w.length >= 3 && (lc.startsWith(w) || w.startsWith(lc)))) scored.push([c, d]);
  }
  return scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, max).map(([c]) => c);
}

/** ", did you mean 'x'?" or '' */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  return `; did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?`;
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const VIEW_FEATURE = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*|\*)$/;

function dnsLabel(v: string, what: string): FormatProblem | undefined {
  if (v.length > 63) return { code: 'bad-name', message: `${what} '${v.slice(0, 20)}…' has ${v.length} characters; a DNS-1123 label has at most 63` };
  if (DNS1123_LABEL.test(v)) return undefined;
  const fixed = v.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return {
    code: 'bad-name',
    message: `${what} '${v}' is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit${fixed ? ` (e.g. '${fixed}')` : ''}`,
    ...(fixed ? { suggestions: [fixed] } : {}),
  };
}

function duration(v: string): FormatProblem | undefined {
  const m = /^([0-9]+)([smhdw])$/.exec(v);
  if (m) return Number(m[1]) > 0 ? undefined : { code: 'out-of-range', message: `duration '${v}' must be greater than zero` };
  if (/^[0-9]+$/.test(v)) {
    return { code: 'bad-duration', message: `duration '${v}' has no unit: write ${v}s, ${v}m, ${v}h, ${v}d or ${v}w`, suggestions: [`${v}d`, `${v}h`] };
  }
  const long = /^([0-9]+)\s*(sec|second|min|minute|hour|hr|day|week)s?$/i.exec(v);
  if (long) {
    const unit = { sec: 's', second: 's', min: 'm', minute: 'm', hour: 'h', hr: 'h', day: 'd', week: 'w' }[long[2]!.toLowerCase()]!;
    return { code: 'bad-duration', message: `duration '${v}' must be <integer><unit>: write '${long[1]}${unit}'`, suggestions: [`${long[1]}${unit}`] };
  }
  return { code: 'bad-duration', message: `'${v}' is not a duration: write <integer><unit> with unit s, m, h, d or w (e.g. 30d)` };
}

const NUMBER = String.raw`(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)`;
const CPU = new RegExp(`^${NUMBER}(?:m|[eE][+-]?[0-9]+|[kMGTPE]|n|u)?$`);
const MEMORY = new RegExp(`^${NUMBER}(?:[eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$`);

function quantity(value: string | number, kind: 'cpu' | 'memory'): FormatProblem | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return { code: 'bad-quantity', message: `${kind} must be a non-negative quantity, not ${value}` };
    return undefined;
  }
  const v = value.trim();
  if (v.startsWith('-')) return { code: 'bad-quantity', message: `${kind} '${v}' must not be negative` };
  if (kind === 'cpu') {
    if (CPU.test(v)) return undefined;
    const bin = /^([0-9.]+)[KMGTPE]i$/.exec(v);
    if (bin) return { code: 'bad-quantity', message: `cpu '${v}' uses a memory unit: CPU is counted in cores (e.g. '${bin[1]}' or '500m')` };
    const cores = /^([0-9.]+)\s*(cores?|cpus?)$/i.exec(v);
    if (cores) return { code: 'bad-quantity', message: `cpu '${v}' must be a Kubernetes quantity: write '${cores[1]}'`, suggestions: [cores[1]!] };
    return { code: 'bad-quantity', message: `cpu '${v}' is not a Kubernetes quantity: write cores ('2', '0.5') or millicores ('500m')` };
  }
  if (MEMORY.test(v)) return undefined;
  const milli = new RegExp(`^(${NUMBER})m$`).exec(v);
  if (milli) {
    return { code: 'bad-quantity', message: `memory '${v}' means ${milli[1]} millibytes; did you mean '${milli[1]}Mi'?`, suggestions: [`${milli[1]}Mi`] };
  }
  const unit = /^([0-9.]+)\s*([kmgtpe])(i?)b?$/i.exec(v);
  if (unit) {
    const fixed = `${unit[1]}${unit[2]!.toUpperCase()}i`;
    return { code: 'bad-quantity', message: `memory '${v}' is not a Kubernetes quantity; did you mean '${fixed}'?`, suggestions: [fixed] };
  }
  return { code: 'bad-quantity', message: `memory '${v}' is not a Kubernetes quantity: write e.g. '512Mi', '4Gi' or '1e9'` };
}

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

const CRON_MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A 5-field cron expression as Kubernetes CronJobs run it; undefined when valid. */
export function cronProblem(expr: string): FormatProblem | undefined {
  const t = expr.trim();
  if (t.startsWith('@')) {
    const eq = CRON_MACROS[t.toLowerCase()];
    return eq
      ? { code: 'bad-cron', message: `write '${t}' as the 5-field expression '${eq}'`, suggestions: [eq] }
      : { code: 'bad-cron', message: `'${t}' is not a cron expression: use 5 fields (minute hour day-of-month month day-of-week)` };
  }
  const fields = t.split(/\s+/).filter(Boolean);
  if (fields.length === 6) {
    const rest = fields.slice(1).join(' ');
    return { code: 'bad-cron', message: `6 fields: seconds are not supported; use 5 fields (minute hour day-of-month month day-of-week), e.g. '${rest}'`, suggestions: [rest] };
  }
  if (fields.length !== 5) {
    return { code: 'bad-cron', message: `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${fields.length}` };
  }
  for (let f = 0; f < 5; f++) {
    const spec = CRON_FIELDS[f]!;
    const names: readonly string[] = 'names' in spec ? spec.names : [];
    for (const part of fields[f]!.split(',')) {
      const m = /^(\*|\?|[0-9]+|[a-z]{3})(?:-([0-9]+|[a-z]{3}))?(?:\/([0-9]+))?$/i.exec(part);
      if (!m) {
        const odd = /[LW#H]/.exec(part);
        return {
          code: 'bad-cron',
          message: odd
            ? `${spec.name} '${part}': '${odd[0]}' is not supported by Kubernetes cron; use numbers, ranges (1-5), lists (1,3) and steps (*/15)`
            : `${spec.name} '${part}' is not a cron field: use *, a number, a range (1-5), a list (1,3) or a step (*/15)`,
        };
      }
      const value = (s: string): number | undefined => {
        if (/^[0-9]+$/.test(s)) return Number(s);
        const i = names.indexOf(s.toLowerCase());
        return i < 0 ? undefined : i + (spec.name === 'month' ? 1 : 0);
      };
      if (m[1] === '?' && f !== 2 && f !== 4) return { code: 'bad-cron', message: `'?' is only allowed in day of month and day of week` };
      for (const s of [m[1]!, m[2]].filter((x): x is string => x !== undefined && x !== '*' && x !== '?')) {
        const n = value(s);
        if (n === undefined) return { code: 'bad-cron', message: `${spec.name}: '${s}' is not a ${names.length ? 'number or name' : 'number'}` };
        if (n < spec.min || n > spec.max) return { code: 'bad-cron', message: `${spec.name}: ${n} is out of range ${spec.min}-${spec.max}` };
      }
      if (m[2] !== undefined && value(m[1]!)! > value(m[2])!) return { code: 'bad-cron', message: `${spec.name}: range '${m[1]}-${m[2]}' goes backwards` };
      if (m[3] !== undefined && Number(m[3]) === 0) return { code: 'bad-cron', message: `${spec.name}: step '/0' never fires` };
    }
  }
  try {
    CronExpressionParser.parse(fields.join(' '));
  } catch (e) {
    return { code: 'bad-cron', message: `invalid cron expression: ${(e as Error).message}` };
  }
  return undefined;
}

const IMAGE = new RegExp(
  '^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?' +
    '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*' +
    '(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
);

function httpUrl(v: string, what: string): FormatProblem | undefined {
  try {
    const u = new URL(v);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname) return undefined;
  } catch {
    // reported below
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(v) && /^[\w.-]+(:[0-9]+)?(\/.*)?$/.test(v)) {
    return { code: 'bad-url', message: `${what} '${v}' needs a scheme: write 'http://${v}'`, suggestions: [`http://${v}`] };
  }
  return { code: 'bad-url', message: `${what} '${v}' must be an http:// or https:// URL` };
}

function artifactUri(v: string): FormatProblem | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (!scheme) return undefined; // a local folder
  if (scheme[1]!.toLowerCase() === 's3') {
    const bucket = /^s3:\/\/([^/]*)/i.exec(v)![1]!;
    if (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return undefined;
    return { code: 'bad-url', message: `'${bucket}' is not an S3 bucket name: 3–63 lower-case letters, digits, '.' and '-'` };
  }
  if (scheme[1]!.toLowerCase() === 'file') {
    const local = v.replace(/^file:\/\//i, '');
    return { code: 'bad-url', message: `write a local folder as a plain path: '${local}'`, suggestions: [local] };
  }
  return { code: 'bad-url', message: `artifacts.uri must be s3://bucket/prefix or a local folder, not ${scheme[1]}://` };
}

/** Checks a scalar against a value format; `what` names the key in messages. */
export function formatProblem(format: ValueFormat, value: string | number, what: string): FormatProblem | undefined {
  switch (format) {
    case 'cpu':
    case 'memory':
      return quantity(value, format);
  }
  const v = String(value);
  switch (format) {
    case 'dns-label':
      return dnsLabel(v, what);
    case 'identifier':
      return IDENTIFIER.test(v) ? undefined : { code: 'bad-name', message: `${what} '${v}' must be an identifier: letters, digits and '_', not starting with a digit` };
    case 'duration':
      return duration(v);
    case 'cron':
      return cronProblem(v);
    case 'http-url':
      return httpUrl(v, what);
    case 'artifact-uri':
      return artifactUri(v);
    case 'image':
      if (IMAGE.test(v)) return undefined;
      if (IMAGE.test(v.toLowerCase())) return { code: 'bad-name', message: `image '${v}': repository names are lower-case`, suggestions: [v.toLowerCase()] };
      return { code: 'bad-name', message: `'${v}' is not a container image reference (registry/repository:tag)` };
    case 'mlflow-alias':
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(v)) return { code: 'bad-name', message: `alias '${v}' may contain only letters, digits, '_' and '-'` };
      if (/^(latest|v[0-9]+)$/i.test(v)) return { code: 'bad-name', message: `alias '${v}' is reserved by the MLflow registry; choose another (e.g. 'champion')` };
      return undefined;
    case 'view-feature':
      return VIEW_FEATURE.test(v) ? undefined : { code: 'bad-reference', message: `'${v}' must be view:feature (or view:* for all of a view's features)` };
  }
  return undefined;
}
