/**
 * The typed pipeline, with defaults applied (see docs/slipway-yaml.md).
 *
 * A value that fails its check is left at its default (or absent) and the parse's diagnostics
 * say why: consumers act on the model only when the file has no errors, and show the
 * diagnostics otherwise. Maps keyed by user-chosen names (entities, views, params...) are
 * null-prototype objects, in file order.
 */

export type FeatureType = 'int64' | 'float64' | 'string' | 'bool' | 'timestamp';
export type ModelFormat = 'onnx' | 'sklearn' | 'pyfunc';
export type GateOp = '>=' | '>' | '<=' | '<' | '==' | '!=';
export type DriftMethod = 'auto' | 'ks' | 'chisquare' | 'ztest' | 'wasserstein' | 'jensenshannon' | 'psi';
export type SourceFormat = 'parquet' | 'csv' | 'jsonl';

export interface Tracking {
  /** undefined: start a local `mlflow server` on ./mlflow.db */
  readonly uri?: string;
  readonly experiment: string;
}

export interface Artifacts {
  readonly uri: string;
  readonly endpoint?: string;
  readonly region: string;
}

export interface Entity {
  readonly joinKeys: readonly string[];
}

export interface Source {
  readonly path: string;
  readonly timestamp: string;
  /** the declared format, else inferred from the path's extension (undefined when unknown) */
  readonly format?: SourceFormat;
}

export interface FeatureView {
  readonly entity: string;
  readonly source: string;
  /** seconds; undefined: no limit */
  readonly ttlSeconds?: number;
  /** as written, e.g. '30d' */
  readonly ttl?: string;
  readonly features: Readonly<Record<string, FeatureType>>;
}

export interface Features {
  readonly entities: Readonly<Record<string, Entity>>;
  readonly sources: Readonly<Record<string, Source>>;
  readonly views: Readonly<Record<string, FeatureView>>;
}

export interface FeatureRef {
  readonly view: string;
  /** '*' for every feature of the view */
  readonly feature: string;
}

export interface Dataset {
  readonly labels: string;
  readonly label: string;
  readonly timestamp: string;
  readonly features: readonly FeatureRef[];
}

export interface Resources {
  readonly cpu?: string;
  readonly memory?: string;
  readonly gpu: number;
}

export interface RayTarget {
  readonly address: string;
  readonly pip: readonly string[];
  readonly numCpus: number;
  readonly numGpus: number;
}

export interface KubernetesTarget {
  readonly context?: string;
  readonly namespace: string;
  readonly image: string;
  readonly resources: Resources;
}

export interface Training {
  /** exactly one of script and notebook is set in a valid file */
  readonly script?: string;
  readonly notebook?: string;
  /** undefined: the interpreter selected in the Python extension, else python3 */
  readonly python?: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly dataset?: Dataset;
  readonly targets: {
    readonly local?: Record<string, never>;
    readonly ray?: RayTarget;
    readonly kubernetes?: KubernetesTarget;
  };
  readonly schedule?: string;
}

export interface Gate {
  readonly metric: string;
  readonly op: GateOp;
  readonly value: number;
}

export interface Model {
  readonly name: string;
  readonly format: ModelFormat;
  readonly gates: readonly Gate[];
}

export interface Serving {
  /** undefined: `<name>-serve`, built from a generated Dockerfile */
  readonly image?: string;
  readonly port: number;
  readonly log: string;
}

export interface Deploy {
  readonly target: 'kubernetes' | 'kserve';
  readonly context?: string;
  readonly namespace: string;
  readonly alias: string;
  readonly replicas: number;
  readonly resources: Resources;
  readonly autoscale?: { readonly min: number; readonly max: number; readonly cpuPercent: number };
  /** percent 0–100; undefined: no canary */
  readonly canary?: number;
  readonly gitops?: string;
}

export interface Monitoring {
  /** undefined: the training set */
  readonly reference?: string;
  /** defaults to serving.log */
  readonly current: string;
  readonly drift: {
    readonly method: DriftMethod;
    /** undefined: 0.05 for tests (p-value), 0.1 for distances */
    readonly threshold?: number;
    readonly share: number;
  };
  readonly onDrift: 'notify' | 'retrain';
}

export interface Pipeline {
  readonly version: number;
  readonly name: string;
  readonly tracking: Tracking;
  readonly artifacts: Artifacts;
  /** empty maps when the file has no `features` */
  readonly features: Features;
  /** undefined when the file has no `training` */
  readonly training?: Training;
  readonly model: Model;
  readonly serving: Serving;
  /** undefined when the file has no `deploy` */
  readonly deploy?: Deploy;
  /** undefined when the file has no `monitoring` */
  readonly monitoring?: Monitoring;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds in a duration like '30d', or undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const m = /^([0-9]+)([smhdw])$/.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : undefined;
}

/** A source's format from its path's extension. */
export function formatFromPath(path: string): SourceFormat | undefined {
  const p = path.toLowerCase().replace(/[/\\]+$/, '');
  if (/\.parquet$|\.pq$/.test(p)) return 'parquet';
  if (/\.csv(\.gz)?$/.test(p)) return 'csv';
  if (/\.jsonl$|\.ndjson$|\.json$/.test(p)) return 'jsonl';
  return undefined;
}
