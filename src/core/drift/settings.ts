/**
 * The `monitoring` settings of slipway.yaml that `slipway drift` needs, read with the yaml
 * package. Temporary: the pipeline parser (src/core/pipeline) will provide them.
 */
import { parseDocument } from 'yaml';
import { DRIFT_METHODS, type MethodOption } from './types';

export interface MonitoringSettings {
  reference?: string;
  current?: string;
  method?: MethodOption;
  threshold?: number;
  share?: number;
  /** what is wrong with the settings, in words */
  problems: string[];
}

/** monitoring.reference/current/drift.{method,threshold,share} of a pipeline file; current defaults to serving.log */
export function monitoringSettingsFromPipelineText(text: string): MonitoringSettings {
  const doc = parseDocument(text);
  const problems = doc.errors.map((e) => `slipway.yaml: ${e.message.split('\n')[0]}`);
  const get = (path: string[]) => doc.getIn(path) as unknown;
  const settings: MonitoringSettings = { problems };
  const str = (path: string[]) => {
    const v = get(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !v.trim()) {
      problems.push(`${path.join('.')} must be a path`);
      return undefined;
    }
    return v;
  };
  const num = (path: string[], ok: (n: number) => boolean, what: string) => {
    const v = get(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !ok(v)) {
      problems.push(`${path.join('.')} must be ${what}`);
      return undefined;
    }
    return v;
  };
  settings.reference = str(['monitoring', 'reference']);
  settings.current = str(['monitoring', 'current']) ?? str(['serving', 'log']);
  const method = get(['monitoring', 'drift', 'method']);
  if (method !== undefined && method !== null) {
    if (method === 'auto' || DRIFT_METHODS.includes(method as never)) settings.method = method as MethodOption;
    else problems.push(`monitoring.drift.method must be one of auto, ${DRIFT_METHODS.join(', ')}`);
  }
  settings.threshold = num(['monitoring', 'drift', 'threshold'], (n) => n > 0, 'a positive number');
  settings.share = num(['monitoring', 'drift', 'share'], (n) => n >= 0 && n <= 1, 'between 0 and 1');
  return settings;
}
