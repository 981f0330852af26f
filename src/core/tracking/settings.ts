/** Where the tracking server is, and the few slipway.yaml keys the MLflow commands need. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { Gate, GateOp } from '../registry/gates';

/**
 * The tracking URI in force: slipway.yaml `tracking.uri`, then the editor setting
 * `slipway.tracking.uri`, then MLFLOW_TRACKING_URI; undefined when none is set (blank counts as unset).
 */
export function resolveTrackingUri(sources: {
  readonly pipelineUri?: string;
  readonly settingUri?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}): string | undefined {
  for (const candidate of [sources.pipelineUri, sources.settingUri, sources.env?.MLFLOW_TRACKING_URI]) {
    if (candidate && candidate.trim()) return candidate.trim();
  }
  return undefined;
}

export interface PipelineTrackingSettings {
  /** `tracking.uri` */
  readonly uri?: string;
  /** `tracking.experiment`, else the project `name` */
  readonly experiment?: string;
  /** the project `name` */
  readonly name?: string;
  /** `model.name` */
  readonly modelName?: string;
  /** `model.gates` */
  readonly gates: readonly Gate[];
  /** what in those keys could not be read (a gate that cannot be checked must not be skipped silently) */
  readonly problems: readonly string[];
}

const OPS: readonly GateOp[] = ['>=', '>', '<=', '<', '==', '!='];

/**
 * Reads tracking.uri, tracking.experiment, name, model.name and model.gates from slipway.yaml
 * text. A stopgap until the pipeline parser (core/pipeline) is used here: it checks only these keys.
 */
export function trackingSettingsFromPipelineText(text: string): PipelineTrackingSettings {
  const problems: string[] = [];
  const doc = parseDocument(text, { prettyErrors: false });
  for (const e of doc.errors) problems.push(`slipway.yaml: ${e.message.split('\n')[0]}`);
  const root: unknown = doc.errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });
  const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const str = (v: unknown, key: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v.trim() || undefined;
    problems.push(`${key} must be a string`);
    return undefined;
  };
  const top = obj(root) ?? {};
  const tracking = obj(top.tracking) ?? {};
  const model = obj(top.model) ?? {};
  const name = str(top.name, 'name');
  const uri = str(tracking.uri, 'tracking.uri');
  const experiment = str(tracking.experiment, 'tracking.experiment') ?? name;
  const modelName = str(model.name, 'model.name');
  const gates: Gate[] = [];
  if (model.gates !== undefined && model.gates !== null) {
    if (!Array.isArray(model.gates)) problems.push('model.gates must be a list of { metric, op, value }');
    else
      model.gates.forEach((g: unknown, i) => {
        const o = obj(g);
        const where = `model.gates[${i}]`;
        if (!o) return void problems.push(`${where} must be { metric, op, value }`);
        const metric = typeof o.metric === 'string' && o.metric.trim() ? o.metric.trim() : undefined;
        const op = OPS.find((x) => x === o.op);
        const value = typeof o.value === 'number' ? o.value : typeof o.value === 'string' && o.value.trim() !== '' && !Number.isNaN(Number(o.value)) ? Number(o.value) : undefined;
        if (!metric) problems.push(`${where}.metric must name a metric`);
        if (!op) problems.push(`${where}.op must be one of ${OPS.join(' ')} (got ${JSON.stringify(o.op)})`);
        if (value === undefined) problems.push(`${where}.value must be a number`);
        if (metric && op && value !== undefined) gates.push({ metric, op, value });
      });
  }
  return {
    ...(uri ? { uri } : {}),
    ...(experiment ? { experiment } : {}),
    ...(name ? { name } : {}),
    ...(modelName ? { modelName } : {}),
    gates,
    problems,
  };
}

/**
 * The tracking settings of `<dir>/slipway.yaml` (or slipway.yml); `file` undefined and no
 * settings when there is none.
 */
export async function readPipelineTrackingSettings(dir: string): Promise<PipelineTrackingSettings & { readonly file?: string }> {
  for (const name of ['slipway.yaml', 'slipway.yml']) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    return { ...trackingSettingsFromPipelineText(text), file };
  }
  return { gates: [], problems: [] };
}
