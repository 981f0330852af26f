import type { SchemaWalker, PendingRef } from './check';
import { closest, didYouMean, VIEW_FEATURE } from './formats';
import { durationSeconds, formatFromPath, type Entity, type FeatureView, type Pipeline, type Source, type Training } from './model';
import { specAt } from './schema';
import { deref, entries, nodeAtPath, type KeyPath } from './yaml/nav';
import type { YAlias, YNode, YPair } from './yaml/tree';

/** A name used somewhere and the declaration it resolves to (offsets). */
export interface RawReference {
  readonly kind: 'entity' | 'source' | 'view' | 'feature';
  readonly name: string;
  /** the view a feature belongs to */
  readonly view?: string;
  readonly start: number;
  readonly end: number;
  readonly path: KeyPath;
  /** the declaring key, when the name resolves */
  readonly target?: { readonly start: number; readonly end: number };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- raw values are checked by the walker */
type Raw = Record<string, any> | undefined;

/** The schema's literal default at a path. */
function dflt<T>(path: KeyPath): T {
  return structuredClone(specAt(path)?.default) as T;
}

function nameMap<T>(raw: Raw, f: (v: any) => T): Record<string, T> {
  const out: Record<string, T> = Object.create(null);
  if (raw) for (const k of Object.keys(raw)) out[k] = f(raw[k]);
  return out;
}

function resources(r: Raw) {
  return { ...(r?.cpu !== undefined ? { cpu: String(r.cpu) } : {}), ...(r?.memory !== undefined ? { memory: String(r.memory) } : {}), gpu: r?.gpu ?? 0 };
}

/** The typed model from the walker's checked values, defaults applied. */
export function buildModel(raw: Raw): Pipeline {
  const r = raw ?? {};
  const name: string = r.name ?? '';
  const f = r.features ?? {};
  const entities = nameMap<Entity>(f.entities, (e) => ({ joinKeys: e?.join_keys ?? [] }));
  const sources = nameMap<Source>(f.sources, (s) => {
    const path: string = s?.path ?? '';
    const format = s?.format ?? formatFromPath(path);
    return { path, timestamp: s?.timestamp ?? '', ...(format ? { format } : {}) };
  });
  const views = nameMap<FeatureView>(f.views, (v) => {
    const ttlSeconds = v?.ttl ? durationSeconds(v.ttl) : undefined;
    return {
      entity: v?.entity ?? '',
      source: v?.source ?? '',
      ...(v?.ttl ? { ttl: v.ttl as string } : {}),
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      features: nameMap(v?.features, (t) => t),
    };
  });
  const serving = {
    ...(r.serving?.image ? { image: r.serving.image as string } : {}),
    port: r.serving?.port ?? dflt<number>(['serving', 'port']),
    log: r.serving?.log ?? dflt<string>(['serving', 'log']),
  };
  const m = r.model ?? {};
  const t = r.training;
  let training: Training | undefined;
  if (t) {
    const targets = t.targets ?? dflt(['training', 'targets']);
    const ray = targets.ray;
    const k8s = targets.kubernetes;
    const d = t.dataset;
    training = {
      ...(t.script ? { script: t.script as string } : {}),
      ...(t.notebook ? { notebook: t.notebook as string } : {}),
      ...(t.python ? { python: t.python as string } : {}),
      params: nameMap(t.params, (p) => p),
      ...(d
        ? {
            dataset: {
              labels: d.labels ?? '',
              label: d.label ?? '',
              timestamp: d.timestamp ?? '',
              features: ((d.features ?? []) as string[]).flatMap((s) => {
                const mm = VIEW_FEATURE.exec(s);
                return mm ? [{ view: mm[1]!, feature: mm[2]! }] : [];
              }),
            },
          }
        : {}),
      targets: {
        ...(targets.local ? { local: {} } : {}),
        ...(ray ? { ray: { address: ray.address, pip: ray.pip ?? [], numCpus: ray.num_cpus, numGpus: ray.num_gpus } } : {}),
        ...(k8s
          ? { kubernetes: { ...(k8s.context ? { context: k8s.context } : {}), namespace: k8s.namespace, image: k8s.image ?? '', resources: resources(k8s.resources) } }
          : {}),
      },
      ...(t.schedule ? { schedule: t.schedule as string } : {}),
    };
  }
  const dp = r.deploy;
  const mo = r.monitoring;
  return {
    version: r.version ?? 1,
    name,
    tracking: { ...(r.tracking?.uri ? { uri: r.tracking.uri as string } : {}), experiment: r.tracking?.experiment ?? name },
    artifacts: {
      uri: r.artifacts?.uri ?? dflt<string>(['artifacts', 'uri']),
      ...(r.artifacts?.endpoint ? { endpoint: r.artifacts.endpoint as string } : {}),
      region: r.artifacts?.region ?? dflt<string>(['artifacts', 'region']),
    },
    features: { entities, sources, views },
    ...(training ? { training } : {}),
    model: { name: m.name ?? name, format: m.format ?? dflt(['model', 'format']), gates: m.gates ?? [] },
    serving,
    ...(dp
      ? {
          deploy: {
            target: dp.target,
            ...(dp.context ? { context: dp.context } : {}),
            namespace: dp.namespace,
            alias: dp.alias,
            replicas: dp.replicas,
            resources: resources(dp.resources),
            ...(dp.autoscale ? { autoscale: { min: dp.autoscale.min, max: dp.autoscale.max ?? dp.autoscale.min, cpuPercent: dp.autoscale.cpu_percent } } : {}),
            ...(dp.canary !== undefined ? { canary: dp.canary } : {}),
            ...(dp.gitops ? { gitops: dp.gitops } : {}),
          },
        }
      : {}),
    ...(mo
      ? {
          monitoring: {
            ...(mo.reference ? { reference: mo.reference as string } : {}),
            current: mo.current ?? serving.log,
            drift: {
              method: mo.drift?.method ?? dflt(['monitoring', 'drift', 'method']),
              ...(mo.drift?.threshold !== undefined ? { threshold: mo.drift.threshold as number } : {}),
              share: mo.drift?.share ?? dflt<number>(['monitoring', 'drift', 'share']),
            },
            onDrift: mo.on_drift,
          },
        }
      : {}),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const TEST_METHODS = new Set(['auto', 'ks', 'chisquare', 'ztest']);

/** Cross-key checks: references resolve, min ≤ max, p-values ≤ 1, retrain needs training. */
export function checkSemantics(
  model: Pipeline,
  refs: readonly PendingRef[],
  root: YNode | null,
  targets: ReadonlyMap<YAlias, YNode>,
  text: string,
  w: SchemaWalker,
): RawReference[] {
  const out: RawReference[] = [];
  const decl = declarations(root, targets);
  const views = decl.views;
  const unknown = (kind: string, name: string, declared: ReadonlyMap<string, unknown>, where: string, context = '') => {
    const names = [...declared.keys()];
    const suggestions = closest(name, names);
    if (names.length === 0) return { message: `no ${kind} '${name}'${context}: declare it under ${where}`, suggestions };
    const hint = suggestions.length ? didYouMean(suggestions.slice(0, 1)) : ` (declared: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`;
    return { message: `unknown ${kind} '${name}'${context}${hint}`, suggestions };
  };
  for (const ref of refs) {
    const at = { start: ref.node.start, end: ref.node.end };
    if (ref.kind === 'entity' || ref.kind === 'source') {
      const declared = ref.kind === 'entity' ? decl.entities : decl.sources;
      const section = ref.kind === 'entity' ? 'entities' : 'sources';
      const target = declared.get(ref.value);
      out.push({ kind: ref.kind, name: ref.value, ...at, path: ref.path, ...(target ? { target: span(target) } : {}) });
      if (!target) {
        const u = unknown(ref.kind, ref.value, declared, `features.${section}`);
        w.report('bad-reference', u.message, at, 'error', { path: ref.path, ...(u.suggestions.length ? { suggestions: u.suggestions } : {}) });
      }
      continue;
    }
    const m = VIEW_FEATURE.exec(ref.value)!;
    const [view, feature] = [m[1]!, m[2]!];
    // sub-ranges of `view:feature` when the scalar's text is the value itself (plain or simply quoted)
    const src = text.slice(at.start, at.end);
    const inner = src === ref.value ? at.start : src.slice(1, -1) === ref.value ? at.start + 1 : undefined;
    const viewAt = inner !== undefined ? { start: inner, end: inner + view.length } : at;
    const featAt = inner !== undefined ? { start: inner + view.length + 1, end: inner + ref.value.length } : at;
    const v = views.get(view);
    out.push({ kind: 'view', name: view, ...viewAt, path: ref.path, ...(v ? { target: span(v.key) } : {}) });
    if (!v) {
      const u = unknown('view', view, views, 'features.views', ` in '${ref.value}'`);
      w.report('bad-reference', u.message, at, 'error', {
        path: ref.path,
        ...(u.suggestions.length ? { suggestions: u.suggestions.map((s) => `${s}:${feature}`) } : {}),
      });
      continue;
    }
    if (feature === '*') continue;
    const featTarget = v.features.get(feature);
    out.push({ kind: 'feature', name: feature, view, ...featAt, path: ref.path, ...(featTarget ? { target: span(featTarget) } : {}) });
    if (!featTarget) {
      const names = [...v.features.keys()];
      const suggestions = closest(feature, names);
      w.report(
        'bad-reference',
        names.length
          ? `view '${view}' has no feature '${feature}'${didYouMean(suggestions.slice(0, 1))}`
          : `view '${view}' declares no features`,
        at,
        'error',
        { path: ref.path, ...(suggestions.length ? { suggestions: suggestions.map((s) => `${view}:${s}`) } : {}) },
      );
    }
  }
  const nodeAt = (path: KeyPath) => {
    const n = deref(nodeAtPath(root, path, targets) ?? null, targets);
    return n ?? undefined;
  };
  const auto = model.deploy?.autoscale;
  if (auto && auto.max < auto.min) {
    const n = nodeAt(['deploy', 'autoscale', 'min']) ?? nodeAt(['deploy', 'autoscale', 'max']);
    if (n) w.report('out-of-range', `deploy.autoscale.min (${auto.min}) is greater than max (${auto.max})`, n, 'error', { path: ['deploy', 'autoscale', 'min'] });
  }
  const drift = model.monitoring?.drift;
  if (drift?.threshold !== undefined && TEST_METHODS.has(drift.method) && drift.threshold > 1) {
    const n = nodeAt(['monitoring', 'drift', 'threshold']);
    if (n) {
      w.report('out-of-range', `monitoring.drift.threshold is a p-value for method '${drift.method}': it must be 0–1, not ${drift.threshold}`, n, 'error', {
        path: ['monitoring', 'drift', 'threshold'],
      });
    }
  }
  if (model.monitoring?.onDrift === 'retrain' && !model.training) {
    const n = nodeAt(['monitoring', 'on_drift']);
    if (n && !hasKey(root, 'training', targets)) {
      w.report('bad-reference', "monitoring.on_drift is 'retrain' but the file has no training section", n, 'error', { path: ['monitoring', 'on_drift'] });
    }
  }
  return out;
}

const span = (n: { start: number; end: number }) => ({ start: n.start, end: n.end });

interface Declarations {
  readonly entities: Map<string, YNode | YPair>;
  readonly sources: Map<string, YNode | YPair>;
  readonly views: Map<string, { key: YNode | YPair; features: Map<string, YNode | YPair> }>;
}

/** Names declared under features, from the tree (a declaration with a bad value still declares its name). */
function declarations(root: YNode | null, targets: ReadonlyMap<YAlias, YNode>): Declarations {
  const mapAt = (node: YNode | null | undefined, key: string) => {
    const n = deref(node ?? null, targets);
    if (!n || n.kind !== 'map') return undefined;
    const e = entries(n, targets).find((x) => x.key === key);
    return e ? deref(e.pair.value, targets) : undefined;
  };
  const names = (node: YNode | null | undefined) => {
    const out = new Map<string, YNode | YPair>();
    const n = deref(node ?? null, targets);
    if (n && n.kind === 'map') for (const e of entries(n, targets)) if (!out.has(e.key)) out.set(e.key, e.pair.key ?? e.pair);
    return out;
  };
  const features = mapAt(root, 'features');
  const views = new Map<string, { key: YNode | YPair; features: Map<string, YNode | YPair> }>();
  const viewsNode = deref(mapAt(features, 'views') ?? null, targets);
  if (viewsNode && viewsNode.kind === 'map') {
    for (const e of entries(viewsNode, targets)) {
      if (views.has(e.key)) continue;
      views.set(e.key, { key: e.pair.key ?? e.pair, features: names(mapAt(e.pair.value, 'features')) });
    }
  }
  return { entities: names(mapAt(features, 'entities')), sources: names(mapAt(features, 'sources')), views };
}

function hasKey(root: YNode | null, key: string, targets: ReadonlyMap<YAlias, YNode>): boolean {
  const r = deref(root, targets);
  return !!r && r.kind === 'map' && entries(r, targets).some((e) => e.key === key);
}
