import { parseDocument } from 'yaml';

/** File names that are Slipway pipeline files (see docs/slipway-yaml.md). */
export const PIPELINE_GLOBS = ['**/slipway.yaml', '**/slipway.yml', '**/*.slipway.yaml'] as const;
/** One glob for APIs that take a single pattern (findFiles, file watchers). */
export const PIPELINE_GLOB = '**/{slipway.yaml,slipway.yml,*.slipway.yaml}';

export function isPipelineFileName(fileName: string): boolean {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return base === 'slipway.yaml' || base === 'slipway.yml' || (base.endsWith('.slipway.yaml') && base.length > '.slipway.yaml'.length);
}

/**
 * Picks the active pipeline file among the workspace's candidates (paths relative to a
 * workspace folder, '/'-separated). A preference that still exists wins; otherwise the
 * shallowest file, `slipway.yaml` before other names, then alphabetical, so the choice is stable.
 */
export function chooseActiveProject(candidates: readonly string[], preferred?: string): string | undefined {
  const clean = (p: string) => p.replace(/\\/g, '/').replace(/^\.\//, '');
  const list = candidates.map(clean);
  if (preferred && list.includes(clean(preferred))) return clean(preferred);
  const rank = (p: string) => {
    const base = p.split('/').pop() ?? p;
    return [p.split('/').length, base === 'slipway.yaml' ? 0 : base === 'slipway.yml' ? 1 : 2] as const;
  };
  return [...list].sort((a, b) => {
    const [da, na] = rank(a);
    const [db, nb] = rank(b);
    return da - db || na - nb || a.localeCompare(b);
  })[0];
}

/** The project's `name:` from a pipeline file's text, or undefined when absent or unreadable. */
export function projectNameFromText(text: string): string | undefined {
  try {
    const doc = parseDocument(text, { prettyErrors: false });
    const name = doc.get('name');
    return typeof name === 'string' && name.trim() ? name.trim() : undefined;
  } catch {
    return undefined;
  }
}
