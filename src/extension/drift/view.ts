/** The engine's reports as the webview's protocol carries them: JSON-safe, only what is drawn. */
import type { DriftReport, QualityReport } from '../../core/drift/index';
import type { DriftView, QualityView } from '../../../webview/drift/protocol';

const finite = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

function scoreText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

export function driftView(r: DriftReport): DriftView {
  return {
    datasetDrift: r.dataset_drift,
    driftShare: r.drift_share,
    driftedColumns: r.drifted_columns,
    shareThreshold: r.shareThreshold,
    method: r.method,
    reference: { source: r.reference.source, rows: r.reference.rows },
    current: { source: r.current.source, rows: r.current.rows },
    features: r.columns.map((c) => ({
      name: c.name,
      type: c.type,
      method: c.method,
      scoreKind: c.scoreKind,
      score: finite(c.score),
      scoreText: scoreText(c.score),
      threshold: c.threshold,
      drifted: c.drifted,
      referenceCount: c.referenceStats.count,
      currentCount: c.currentStats.count,
      histogram: c.histogram,
    })),
    skipped: r.skipped,
    messages: r.messages.map((m) => ({ level: m.level, text: m.text })),
  };
}

export function qualityView(q: QualityReport): QualityView {
  return {
    bucket: q.bucket,
    timestampColumn: q.timestampColumn,
    points: q.points.map((p) => ({ start: p.start, count: p.count, accuracy: p.accuracy, ...(p.auc !== undefined ? { auc: p.auc } : {}) })),
    overall: { count: q.overall.count, accuracy: finite(q.overall.accuracy), ...(q.overall.auc !== undefined ? { auc: q.overall.auc } : {}) },
    labelSource: q.labelSource,
    predictionSource: q.predictionSource,
    ...(q.probabilitySource ? { probabilitySource: q.probabilitySource } : {}),
    ...(q.positiveLabel !== undefined ? { positiveLabel: q.positiveLabel } : {}),
    rows: q.rows,
    unlabeled: q.unlabeled,
    messages: q.messages,
  };
}
