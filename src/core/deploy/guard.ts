/**
 * Only versions that pass model.gates are deployed. A person may override; the override is
 * recorded on what is deployed (annotation) and, by the caller, on the model version (tag).
 */
import type { Gate } from '../pipeline/index';
import { DEPLOY_KEYS, type DeployModel } from './types';

/** The outcome of checking gates: registry's GateEvaluation has this shape. */
export interface GateCheck {
  readonly passed: boolean;
  readonly results: readonly { readonly passed: boolean; readonly reason: string }[];
}

/** Checks gates against a run's metrics: registry's evaluateGates, injected by the caller. */
export type GateEvaluator = (gates: readonly Gate[], metrics: Readonly<Record<string, number>>) => GateCheck;

/** The gates of `model` for this version; a version whose run metrics are unknown fails every gate. */
export function checkGates(model: DeployModel, gates: readonly Gate[], evaluate: GateEvaluator): GateCheck {
  return evaluate(gates, model.metrics ?? {});
}

export interface GuardOptions {
  /** the person asked and said yes (CLI --force, the editor's confirmation) */
  readonly force?: boolean;
  /** who overrides: recorded with the override */
  readonly who?: string;
  /** for tests */
  readonly now?: Date;
}

export type GuardDecision =
  | {
      readonly allowed: true;
      /** true when failing gates were overridden */
      readonly overridden: boolean;
      readonly failing: readonly string[];
      /** to add to the workload's metadata (empty when nothing was overridden) */
      readonly annotations: Readonly<Record<string, string>>;
      /** to set on the model version in the registry (when overridden) */
      readonly tag?: { readonly key: string; readonly value: string };
      readonly message: string;
    }
  | { readonly allowed: false; readonly overridden: false; readonly failing: readonly string[]; readonly message: string };

/**
 * Whether `version` may be deployed. Failing gates refuse it, naming each failing gate, unless
 * forced; a forced deployment returns the `slipway.dev/gate-override` annotation and tag that
 * say who deployed past which gates, and when.
 */
export function deployGuard(version: Pick<DeployModel, 'name' | 'version'>, gates: GateCheck, options: GuardOptions = {}): GuardDecision {
  const failing = gates.results.filter((r) => !r.passed).map((r) => r.reason);
  const what = `${version.name} version ${version.version}`;
  if (gates.passed && failing.length === 0) {
    return { allowed: true, overridden: false, failing, annotations: {}, message: `${what} passes its gates` };
  }
  if (!options.force) {
    return {
      allowed: false,
      overridden: false,
      failing,
      message: `${what} does not pass model.gates, so it is not deployed:\n${failing.map((f) => `  - ${f}`).join('\n')}\nDeploying it anyway needs an explicit override (--force), which is recorded on the deployment.`,
    };
  }
  const who = options.who?.trim() || 'unknown';
  const at = (options.now ?? new Date()).toISOString();
  const value = `deployed by ${who} at ${at} despite failing gates: ${failing.join('; ')}`;
  return {
    allowed: true,
    overridden: true,
    failing,
    annotations: { [DEPLOY_KEYS.gateOverride]: value },
    tag: { key: DEPLOY_KEYS.gateOverride, value },
    message: `${what} fails ${failing.length} gate(s); deployed anyway on ${who}'s override (recorded as ${DEPLOY_KEYS.gateOverride})`,
  };
}
