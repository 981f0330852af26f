/**
 * Where the Deployments view looks: the project's deploy.context/deploy.namespace, plus the
 * "context/namespace" or "namespace" entries of the `slipway.deployments.namespaces` setting.
 * Pure: no cluster access (the view reads these before loading the Kubernetes client).
 */
import type { Deploy } from '../pipeline/index';

export interface StatusTarget {
  /** kubeconfig context; undefined: the current one */
  readonly context?: string;
  readonly namespace: string;
  /** where it comes from, for messages: "slipway.yaml" or the setting */
  readonly source: 'slipway.yaml' | 'setting';
}

export interface TargetProblem {
  readonly entry: string;
  readonly message: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * One setting entry. A context name may itself hold "/" (EKS contexts are ARNs ending in
 * cluster/NAME) while a namespace never does, so the namespace is what follows the last "/".
 */
export function parseTargetEntry(entry: string): StatusTarget | TargetProblem {
  const text = entry.trim();
  const cut = text.lastIndexOf('/');
  const context = cut >= 0 ? text.slice(0, cut).trim() : undefined;
  const namespace = (cut >= 0 ? text.slice(cut + 1) : text).trim();
  if (cut >= 0 && !context) return { entry, message: `"${entry}" has an empty context before "/": write "context/namespace" or just "namespace"` };
  if (!namespace) return { entry, message: `"${entry}" names no namespace: write "context/namespace" or just "namespace"` };
  if (namespace.length > 63 || !NAMESPACE.test(namespace)) {
    return { entry, message: `"${namespace}" is not a namespace name (lowercase letters, digits and "-", at most 63): fix "${entry}" in slipway.deployments.namespaces` };
  }
  return { ...(context ? { context } : {}), namespace, source: 'setting' };
}

export function isTargetProblem(t: StatusTarget | TargetProblem): t is TargetProblem {
  return 'message' in t;
}

/** The project's target first, then the setting's, each context/namespace pair once. */
export function statusTargets(deploy: Pick<Deploy, 'context' | 'namespace'> | undefined, entries: readonly unknown[]): { targets: StatusTarget[]; problems: TargetProblem[] } {
  const targets: StatusTarget[] = [];
  const problems: TargetProblem[] = [];
  const seen = new Set<string>();
  const add = (t: StatusTarget) => {
    const key = `${t.context ?? ''}\u0000${t.namespace}`;
    if (seen.has(key)) return;
    seen.add(key);
    targets.push(t);
  };
  if (deploy) add({ ...(deploy.context ? { context: deploy.context } : {}), namespace: deploy.namespace, source: 'slipway.yaml' });
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      problems.push({ entry: String(entry), message: `slipway.deployments.namespaces holds ${JSON.stringify(entry)}: each entry is a string, "context/namespace" or "namespace"` });
      continue;
    }
    if (!entry.trim()) continue;
    const t = parseTargetEntry(entry);
    if (isTargetProblem(t)) problems.push(t);
    else add(t);
  }
  return { targets, problems };
}
