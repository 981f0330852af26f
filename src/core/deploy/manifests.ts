/**
 * Pure renderers: (pipeline, model version, image) → the Kubernetes objects that serve the model.
 * No cluster access here; rollout.ts applies what these return, gitops.ts writes it to files.
 */
import type { Deploy, Pipeline } from '../pipeline/index';
import { containerResources } from '../kube/resources';
import { slipwayLabels } from '../training/kubernetesManifests';
import { DEPLOY_KEYS, type DeployModel, type HpaApiVersion, type KubeObject } from './types';

export const KSERVE_API_VERSION = 'serving.kserve.io/v1beta1';
export const READY_PATH = '/v2/health/ready';
export const LIVE_PATH = '/v2/health/live';

export interface RenderOptions {
  /** the serving image, with its tag */
  readonly image: string;
  /** the HPA's API: autoscaling/v2 where the cluster serves it (≥ 1.23), else autoscaling/v2beta2 */
  readonly hpaApiVersion?: HpaApiVersion;
  /** overrides deploy.namespace */
  readonly namespace?: string;
  /**
   * Pods on the node's network (single-node clusters, tests). The port is then taken on the node,
   * so a rollout stops the old pods before starting new ones (strategy Recreate).
   */
  readonly hostNetwork?: boolean;
  /** extra annotations on the workload, e.g. the gate override from deployGuard */
  readonly annotations?: Readonly<Record<string, string>>;
}

export class RenderError extends Error {}

/** The name of the project's Deployment, Service, HPA and InferenceService: the project name (a DNS-1123 label). */
export function servingName(project: string): string {
  let n = project.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  // Services and InferenceServices need a DNS-1035 label (a letter first); KServe appends
  // "-predictor-default-<hash>" to names, so keep it well under 63
  if (!/^[a-z]/.test(n)) n = `m-${n}`;
  return n.slice(0, 45).replace(/-+$/, '') || 'model';
}

/** A label value (≤ 63, alphanumerics with -_. inside) from any string. */
export function labelValue(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** The image tag deployed by default: serving.image (or `<name>-serve`) tagged with the model version. */
export function defaultImage(pipeline: Pipeline, version: string): string {
  const repo = pipeline.serving.image ?? `${pipeline.name}-serve`;
  // an image that already names a tag or digest is used as written
  if (repo.includes('@') || /:[^/]+$/.test(repo)) return repo;
  return `${repo}:${version.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128)}`;
}

function requireDeploy(pipeline: Pipeline): Deploy {
  if (!pipeline.deploy) throw new RenderError('slipway.yaml has no deploy section: add `deploy: { target: kubernetes, namespace: ... }`');
  return pipeline.deploy;
}

function labelsFor(pipeline: Pipeline, model: DeployModel): Record<string, string> {
  const labels = slipwayLabels(pipeline.name, 'serving');
  const m = labelValue(model.name);
  return m ? { ...labels, [DEPLOY_KEYS.model]: m } : labels;
}

/** Selects the pods of the project's service; stable across versions (a Deployment's selector is immutable). */
export function servingSelector(project: string): Record<string, string> {
  const { ['app.kubernetes.io/managed-by']: managedBy, ['app.kubernetes.io/name']: name, ['app.kubernetes.io/component']: component } = slipwayLabels(project, 'serving');
  return { 'app.kubernetes.io/managed-by': managedBy!, 'app.kubernetes.io/name': name!, 'app.kubernetes.io/component': component! };
}

function versionAnnotations(model: DeployModel): Record<string, string> {
  return {
    [DEPLOY_KEYS.model]: model.name,
    [DEPLOY_KEYS.modelVersion]: model.version,
    ...(model.runId ? { [DEPLOY_KEYS.runId]: model.runId } : {}),
  };
}

function pullPolicy(image: string): 'Always' | 'IfNotPresent' {
  // like Kubernetes' own default, but explicit: a pinned tag is used from the node when present
  return /:latest$|^[^:]+$/.test(image.split('/').pop() ?? '') && !image.includes('@') ? 'Always' : 'IfNotPresent';
}

/**
 * The Deployment. With deploy.autoscale it has no `replicas`: the HPA owns the count, and a
 * replicas field in the applied manifest would reset the HPA's choice on every apply (the
 * Deployment starts at 1 and the HPA raises it to `min` at once).
 */
export function renderDeployment(pipeline: Pipeline, model: DeployModel, options: RenderOptions): KubeObject {
  const deploy = requireDeploy(pipeline);
  const name = servingName(pipeline.name);
  const labels = labelsFor(pipeline, model);
  const port = pipeline.serving.port;
  const resources = containerResources(deploy.resources);
  const versionNotes = versionAnnotations(model);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: options.namespace ?? deploy.namespace,
      labels,
      annotations: {
        ...versionNotes,
        // shown by `kubectl rollout history`
        [DEPLOY_KEYS.changeCause]: `slipway: ${model.name} version ${model.version} (${options.image})`,
        ...options.annotations,
      },
    },
    spec: {
      ...(deploy.autoscale ? {} : { replicas: deploy.replicas }),
      revisionHistoryLimit: 10,
      selector: { matchLabels: servingSelector(pipeline.name) },
      // on the node's network a new pod cannot start while an old one holds the port
      ...(options.hostNetwork ? { strategy: { type: 'Recreate' } } : {}),
      template: {
        metadata: { labels, annotations: versionNotes },
        spec: {
          ...(options.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
          securityContext: { runAsNonRoot: true },
          containers: [
            {
              name: 'serve',
              image: options.image,
              imagePullPolicy: pullPolicy(options.image),
              ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
              env: [
                { name: 'SLIPWAY_MODEL_NAME', value: model.name },
                { name: 'SLIPWAY_MODEL_VERSION', value: model.version },
              ],
              // loading a large model can take a while: the startup probe covers it, then liveness takes over
              startupProbe: { httpGet: { path: LIVE_PATH, port: 'http' }, periodSeconds: 2, failureThreshold: 60 },
              readinessProbe: { httpGet: { path: READY_PATH, port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: LIVE_PATH, port: 'http' }, periodSeconds: 10, failureThreshold: 3 },
              ...(resources ? { resources } : {}),
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

export function renderService(pipeline: Pipeline, model: DeployModel, options: RenderOptions): KubeObject {
  const deploy = requireDeploy(pipeline);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: servingName(pipeline.name), namespace: options.namespace ?? deploy.namespace, labels: labelsFor(pipeline, model) },
    spec: {
      type: 'ClusterIP',
      selector: servingSelector(pipeline.name),
      ports: [{ name: 'http', port: pipeline.serving.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** The HPA on CPU, or undefined without deploy.autoscale. Same shape in autoscaling/v2 and v2beta2. */
export function renderHpa(pipeline: Pipeline, model: DeployModel, options: RenderOptions): KubeObject | undefined {
  const deploy = requireDeploy(pipeline);
  const auto = deploy.autoscale;
  if (!auto) return undefined;
  const name = servingName(pipeline.name);
  return {
    apiVersion: options.hpaApiVersion ?? 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: options.namespace ?? deploy.namespace, labels: labelsFor(pipeline, model) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      // 0 needs the HPAScaleToZero feature gate, off by default: 1 is the lowest that works everywhere
      minReplicas: Math.max(1, auto.min),
      maxReplicas: Math.max(1, auto.min, auto.max),
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: auto.cpuPercent } } }],
    },
  };
}

/** model.format → KServe's modelFormat name (an MLflow pyfunc is KServe's `mlflow`). */
export function kserveFormat(format: Pipeline['model']['format']): string {
  return format === 'pyfunc' ? 'mlflow' : format;
}

/** A KServe v1beta1 InferenceService fetching the model version from its artifact location. */
export function renderInferenceService(pipeline: Pipeline, model: DeployModel, options: Omit<RenderOptions, 'image'> & { image?: string }): KubeObject {
  const deploy = requireDeploy(pipeline);
  if (!model.storageUri) {
    throw new RenderError(
      `model ${model.name} version ${model.version} has no artifact location (storageUri): KServe downloads the model from storage (s3://, gs://, pvc://, https://); register the version in the registry, or pass its location`,
    );
  }
  const resources = containerResources(deploy.resources);
  const auto = deploy.autoscale;
  return {
    apiVersion: KSERVE_API_VERSION,
    kind: 'InferenceService',
    metadata: {
      name: servingName(pipeline.name),
      namespace: options.namespace ?? deploy.namespace,
      labels: labelsFor(pipeline, model),
      annotations: { ...versionAnnotations(model), ...options.annotations },
    },
    spec: {
      predictor: {
        minReplicas: auto ? auto.min : deploy.replicas,
        maxReplicas: auto ? Math.max(auto.min, auto.max) : Math.max(1, deploy.replicas),
        ...(auto ? { scaleMetric: 'cpu', scaleTarget: auto.cpuPercent } : {}),
        ...(deploy.canary !== undefined ? { canaryTrafficPercent: deploy.canary } : {}),
        model: {
          modelFormat: { name: kserveFormat(pipeline.model.format) },
          protocolVersion: 'v2',
          storageUri: model.storageUri,
          ...(resources ? { resources } : {}),
        },
      },
    },
  };
}

/**
 * Everything deploy.target asks for, in apply order: Service, Deployment, HPA (kubernetes), or
 * the InferenceService (kserve).
 */
export function renderServing(pipeline: Pipeline, model: DeployModel, options: RenderOptions): KubeObject[] {
  const deploy = requireDeploy(pipeline);
  if (deploy.target === 'kserve') return [renderInferenceService(pipeline, model, options)];
  const hpa = renderHpa(pipeline, model, options);
  return [renderService(pipeline, model, options), renderDeployment(pipeline, model, options), ...(hpa ? [hpa] : [])];
}

/** Notes about settings a target does not use, for the caller to show. */
export function renderNotes(pipeline: Pipeline): string[] {
  const deploy = pipeline.deploy;
  if (!deploy) return [];
  const notes: string[] = [];
  if (deploy.target === 'kubernetes' && deploy.canary !== undefined) {
    notes.push('deploy.canary applies to target kserve (canaryTrafficPercent); a plain Deployment rolls out to all replicas');
  }
  if (deploy.target === 'kubernetes' && deploy.autoscale && !deploy.resources.cpu) {
    notes.push('deploy.autoscale scales on CPU utilization, which needs deploy.resources.cpu (a CPU request) to be set');
  }
  return notes;
}
