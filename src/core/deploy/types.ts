/** Shapes shared by the deploy renderers, the rollout client and their callers (CLI, editor). */

/** The model version being deployed: from the registry, or a local folder for now. */
export interface DeployModel {
  /** registered model name (model.name) */
  readonly name: string;
  /** the registry version, or a local folder's content hash */
  readonly version: string;
  readonly runId?: string;
  /** where KServe fetches the model from (s3://, gs://, pvc://, https://): the version's artifact location */
  readonly storageUri?: string;
  /** a local folder holding model.onnx + model.json: what a serving image is built from */
  readonly localDir?: string;
  /** the run's metrics, checked against model.gates */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** A Kubernetes object as rendered: plain JSON, stable key order. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export type HpaApiVersion = 'autoscaling/v2' | 'autoscaling/v2beta2';

export type RolloutPhase = 'progressing' | 'ready' | 'failed' | 'unknown';

/** One step of a rollout as it is watched. */
export interface RolloutEvent {
  readonly phase: RolloutPhase;
  /** plain words: what is happening or what is wrong */
  readonly message: string;
  /** replicas of the new version that are ready */
  readonly ready: number;
  readonly desired: number;
}

/** How a watched rollout ended: ready, failed (with the reason), or unknown (nobody acted on it). */
export interface RolloutResult extends RolloutEvent {
  readonly phase: 'ready' | 'failed' | 'unknown';
  readonly kind: 'Deployment' | 'InferenceService';
  readonly name: string;
  readonly namespace: string;
  readonly modelVersion?: string;
  readonly elapsedMs: number;
}

/** One deployed service of the project, as `slipway deploy status --format json` prints it. */
export interface ServingStatus {
  readonly kind: 'Deployment' | 'InferenceService';
  readonly name: string;
  readonly namespace: string;
  readonly context: string;
  readonly model?: string;
  readonly modelVersion?: string;
  readonly image?: string;
  readonly ready: number;
  readonly desired: number;
  /** InferenceService: traffic percent sent to the newest version while it is a canary */
  readonly canaryPercent?: number;
  readonly status: 'Ready' | 'Progressing' | 'Failed' | 'Unknown';
  readonly message?: string;
  /** `slipway.dev/gate-override` when the version was deployed past failing gates */
  readonly gateOverride?: string;
}

/** Annotation and label keys Slipway writes on what it deploys. */
export const DEPLOY_KEYS = {
  model: 'slipway.dev/model',
  modelVersion: 'slipway.dev/model-version',
  runId: 'slipway.dev/run-id',
  gateOverride: 'slipway.dev/gate-override',
  /** InferenceService: who ended the canary and when (the Deployments view's Promote) */
  promoted: 'slipway.dev/promoted',
  /** InferenceService: the spec and annotations applied before the current ones (rollback target) */
  previous: 'slipway.dev/previous',
  /** InferenceService: hash of the spec Slipway applied, to tell a re-apply from a new version */
  specHash: 'slipway.dev/spec-hash',
  changeCause: 'kubernetes.io/change-cause',
} as const;
