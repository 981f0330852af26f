/**
 * The data checks as pipeline diagnostics, shared by the language server and `slipway validate`
 * so the editor and the command line report the same problems at the same places.
 */
import { makeDiagnostic, type Diagnostic, type FeatureType, type KeyPath, type ParsedPipeline, type TextRange } from '../pipeline/index';
import { checkFeatureTypes, type CheckOptions } from './check';
import type { FeatureProblem } from './types';

/** The sections the data check reads; an error inside one means the model may be incomplete. */
const CHECKED: readonly KeyPath[] = [['features'], ['training', 'dataset']];

const before = (a: TextRange['start'], b: TextRange['start']) => a.line < b.line || (a.line === b.line && a.character <= b.character);
const inside = (r: TextRange, outer: TextRange) => before(outer.start, r.start) && before(r.end, outer.end);

/**
 * Whether the data of a parsed pipeline can be checked: it has a `features` section and no
 * error in it (nor in `training.dataset`), since a half-typed model would give misleading answers.
 */
export function dataCheckable(parsed: ParsedPipeline, diagnostics: readonly Diagnostic[] = parsed.diagnostics): boolean {
  const features = parsed.rangeOf(['features'], 'key');
  if (!features) return false;
  const sections = CHECKED.flatMap((p) => {
    const key = parsed.rangeOf(p, 'key');
    const value = parsed.rangeOf(p);
    return key ? [{ start: key.start, end: value?.end ?? key.end }] : [];
  });
  return !diagnostics.some((d) => d.severity === 'error' && sections.some((s) => inside(d.range, s)));
}

/**
 * What the data check's result depends on in the model: equal keys, equal problems for the same
 * files. The language server keeps showing a check's results across edits that leave it unchanged.
 */
export function dataCheckKey(parsed: ParsedPipeline, dir: string): string {
  return JSON.stringify([dir, parsed.model.features, parsed.model.training?.dataset ?? null]);
}

/** The range of the node at `path` (its key for missing columns), else of the nearest enclosing key that exists. */
function rangeFor(parsed: ParsedPipeline, p: FeatureProblem): TextRange {
  const own = parsed.rangeOf(p.path, p.code === 'missing-column' ? 'key' : 'value') ?? parsed.rangeOf(p.path, 'key');
  if (own) return own;
  for (let n = p.path.length - 1; n > 0; n--) {
    const r = parsed.rangeOf(p.path.slice(0, n), 'key');
    if (r) return r;
  }
  return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
}

/** The feature type a DuckDB column type holds as it is, for the quick fix of a type mismatch. */
export function featureTypeOf(duckType: string): FeatureType | undefined {
  const t = duckType.trim().toUpperCase();
  if (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT)$/.test(t)) return 'int64';
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL.*|U?HUGEINT)$/.test(t)) return 'float64';
  if (t === 'VARCHAR' || t === 'UUID' || t.startsWith('ENUM(')) return 'string';
  if (t === 'BOOLEAN') return 'bool';
  if (/^(TIMESTAMP|DATE$)/.test(t)) return 'timestamp';
  return undefined;
}

/**
 * Feature problems as diagnostics at their ranges in `parsed`. A missing source is left out where
 * `existing` already has the file-not-found diagnostic for the same path.
 */
export function problemDiagnostics(parsed: ParsedPipeline, problems: readonly FeatureProblem[], existing: readonly Diagnostic[] = []): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of problems) {
    const range = rangeFor(parsed, p);
    if (p.code === 'missing-source' && existing.some((d) => d.code === 'file-not-found' && sameRange(d.range, range))) continue;
    const suggestion = p.code === 'type-mismatch' && p.severity === 'error' && p.actual ? featureTypeOf(p.actual) : undefined;
    out.push(makeDiagnostic(p.code, p.message, range, p.severity, { path: p.path, ...(suggestion && suggestion !== p.declared ? { suggestions: [suggestion] } : {}) }));
  }
  return out;
}

function sameRange(a: TextRange, b: TextRange): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** Diagnostics sorted by position (then code), as parsePipeline sorts its own. */
export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.code.localeCompare(b.code);
}

/**
 * Reads the data a parsed pipeline names (relative to `dir`) and returns its problems as
 * diagnostics; [] when the pipeline is not checkable (see dataCheckable). Rejects only when
 * DuckDB cannot be loaded or the signal aborts.
 */
export async function checkPipelineData(parsed: ParsedPipeline, dir: string, existing: readonly Diagnostic[], options: CheckOptions = {}): Promise<Diagnostic[]> {
  if (!dataCheckable(parsed, existing)) return [];
  const problems = await checkFeatureTypes({ dir, pipeline: parsed.model }, options);
  return problemDiagnostics(parsed, problems, existing);
}
