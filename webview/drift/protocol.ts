/** The typed messages between the drift panel (src/extension/drift/DriftPanel.ts) and its webview. */

export type WindowPreset = 'all' | 'hour' | 'day' | 'week' | 'custom';
export const WINDOW_PRESETS: readonly { readonly preset: WindowPreset; readonly label: string }[] = [
  { preset: 'all', label: 'All data' },
  { preset: 'hour', label: 'Last hour' },
  { preset: 'day', label: 'Last day' },
  { preset: 'week', label: 'Last week' },
  { preset: 'custom', label: 'Custom…' },
];

/**
 * The time window over the current data. `hour`/`day`/`week` end at the newest timestamp of
 * `column` (a log that stopped still shows its last hour); `custom` takes `from`/`to` (ISO 8601, to exclusive).
 */
export interface WindowChoice {
  readonly preset: WindowPreset;
  /** default: `timestamp` when the data has it, else its first time column */
  readonly column?: string;
  readonly from?: string;
  readonly to?: string;
}

/** A time column of the current data and its range (ISO 8601 UTC). */
export interface TimeColumnInfo {
  readonly name: string;
  readonly min?: string;
  readonly max?: string;
}

export type HistogramView =
  | { readonly kind: 'bins'; readonly edges: readonly number[]; readonly reference: readonly number[]; readonly current: readonly number[] }
  | {
      readonly kind: 'categories';
      readonly labels: readonly string[];
      readonly reference: readonly number[];
      readonly current: readonly number[];
      /** the categories summed into one bar */
      readonly other?: { readonly categories: number; readonly reference: number; readonly current: number };
    };

export interface FeatureView {
  readonly name: string;
  readonly type: string;
  readonly method: string;
  /** a p-value drifts below its threshold, a distance above it */
  readonly scoreKind: 'p_value' | 'distance';
  /** null for NaN / ±Infinity, which JSON cannot carry; scoreText shows it */
  readonly score: number | null;
  readonly scoreText: string;
  readonly threshold: number;
  readonly drifted: boolean;
  readonly referenceCount: number;
  readonly currentCount: number;
  readonly histogram: HistogramView;
}

export interface DriftView {
  readonly datasetDrift: boolean;
  readonly driftShare: number;
  readonly driftedColumns: number;
  readonly shareThreshold: number;
  readonly method: string;
  readonly reference: { readonly source: string; readonly rows: number };
  readonly current: { readonly source: string; readonly rows: number };
  readonly features: readonly FeatureView[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  readonly messages: readonly { readonly level: 'error' | 'warning' | 'info'; readonly text: string }[];
}

export type QualityBucket = 'hour' | 'day' | 'week';

export interface QualityView {
  readonly bucket: QualityBucket;
  readonly timestampColumn: string;
  readonly points: readonly { readonly start: string; readonly count: number; readonly accuracy: number; readonly auc?: number }[];
  readonly overall: { readonly count: number; readonly accuracy: number | null; readonly auc?: number };
  readonly labelSource: 'records' | 'file';
  readonly predictionSource: string;
  readonly probabilitySource?: string;
  readonly positiveLabel?: string;
  readonly rows: number;
  readonly unlabeled: number;
  readonly messages: readonly string[];
}

export type QualityState =
  | { readonly kind: 'ok'; readonly view: QualityView }
  /** no ground truth, predictions or time: why, in words */
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string };

export interface DriftPanelData {
  /** the pipeline file, relative to its workspace folder */
  readonly project: string;
  /** the pipeline's name */
  readonly projectName: string;
  readonly onDrift: 'notify' | 'retrain';
  readonly window: WindowChoice;
  /** the window as applied: its column and bounds; undefined for all data */
  readonly applied?: { readonly column: string; readonly from?: string; readonly to?: string };
  readonly timeColumns: readonly TimeColumnInfo[];
  readonly drift: DriftView;
  readonly bucket: QualityBucket;
  readonly quality: QualityState;
  /** the ground truth file joined by request_id, as chosen in the panel */
  readonly groundTruth?: string;
  readonly computedAt: string;
  readonly elapsedMs: number;
}

/** What the panel can do about an error. */
export type FixAction = 'openPipeline' | 'newProject' | 'showProblems' | 'retry' | 'allData';

export type ToWebview =
  | { readonly type: 'data'; readonly data: DriftPanelData }
  | { readonly type: 'loading'; readonly text: string }
  | { readonly type: 'error'; readonly message: string; readonly fix?: string; readonly action?: FixAction; readonly actionLabel?: string };

export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'refresh' }
  | { readonly type: 'cancel' }
  | { readonly type: 'setWindow'; readonly window: WindowChoice }
  | { readonly type: 'setBucket'; readonly bucket: QualityBucket }
  | { readonly type: 'chooseGroundTruth' }
  | { readonly type: 'clearGroundTruth' }
  | { readonly type: 'fix'; readonly action: FixAction }
  | { readonly type: 'retrain' };
