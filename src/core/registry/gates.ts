/** Promotion gates: `model.gates` of slipway.yaml checked against the metrics of a version's run. */

export type GateOp = '>=' | '>' | '<=' | '<' | '==' | '!=';

/** Same shape as the pipeline model's Gate. */
export interface Gate {
  readonly metric: string;
  readonly op: GateOp;
  readonly value: number;
}

export interface GateResult {
  readonly gate: Gate;
  /** the run's (latest) value; undefined when the run did not log the metric */
  readonly actual?: number;
  readonly passed: boolean;
  /** one line a person reads, e.g. `val_auc = 0.71, needs >= 0.8` */
  readonly reason: string;
}

export interface GateEvaluation {
  /** every gate passed (true for no gates) */
  readonly passed: boolean;
  readonly results: readonly GateResult[];
}

/** metric → value, or metric → { value } (a Run's `metrics`) */
export type RunMetrics = ReadonlyMap<string, number> | Readonly<Record<string, number | { readonly value: number }>>;

const COMPARE: Readonly<Record<GateOp, (a: number, b: number) => boolean>> = {
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

function lookup(metrics: RunMetrics, key: string): number | undefined {
  if (metrics instanceof Map) return metrics.get(key);
  const record = metrics as Readonly<Record<string, number | { readonly value: number }>>;
  if (!Object.hasOwn(record, key)) return undefined;
  const v = record[key];
  return typeof v === 'number' ? v : v?.value;
}

export function formatGate(g: Gate): string {
  return `${g.metric} ${g.op} ${g.value}`;
}

/**
 * Checks each gate. A metric the run did not log fails its gate (a gate nobody can check must
 * not let a model through), and so does NaN, which compares false with everything.
 */
export function evaluateGates(gates: readonly Gate[], runMetrics: RunMetrics): GateEvaluation {
  const results = gates.map((gate): GateResult => {
    const actual = lookup(runMetrics, gate.metric);
    if (actual === undefined) return { gate, passed: false, reason: `${gate.metric} was not logged by the run, so ${formatGate(gate)} cannot be checked` };
    const compare = COMPARE[gate.op];
    if (!compare) return { gate, actual, passed: false, reason: `unknown operator ${JSON.stringify(gate.op)} in gate on ${gate.metric}` };
    if (Number.isNaN(actual)) return { gate, actual, passed: false, reason: `${gate.metric} is NaN, needs ${gate.op} ${gate.value}` };
    const passed = compare(actual, gate.value);
    return { gate, actual, passed, reason: passed ? `${gate.metric} = ${actual} ${gate.op} ${gate.value}` : `${gate.metric} = ${actual}, needs ${gate.op} ${gate.value}` };
  });
  return { passed: results.every((r) => r.passed), results };
}
