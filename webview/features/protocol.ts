/** The typed messages between the feature view panel (src/extension/features/FeaturesPanel.ts) and its webview. */

/** A value as the panel shows it: text to put in a cell (never HTML), and its kind for styling. */
export interface CellView {
  readonly text: string;
  readonly kind: 'null' | 'number' | 'string' | 'bool' | 'json';
}

export interface PreviewColumnView {
  readonly name: string;
  /** the column's DuckDB type, e.g. BIGINT, TIMESTAMP WITH TIME ZONE */
  readonly type: string;
  readonly role: 'join-key' | 'timestamp' | 'feature';
  /** the type slipway.yaml declares for a feature */
  readonly declared?: string;
}

export interface PreviewView {
  readonly columns: readonly PreviewColumnView[];
  /** cells in the order of `columns` */
  readonly rows: readonly (readonly CellView[])[];
  /** the rows asked for: fewer rows means the source has no more */
  readonly limit: number;
}

export interface MetricView {
  readonly label: string;
  readonly value: string;
  readonly title?: string;
}

export interface StatsView {
  readonly feature: string;
  readonly declared: string;
  readonly actual: string;
  /** the one line the tree shows too */
  readonly summary: string;
  readonly metrics: readonly MetricView[];
  /** strings and booleans: the most frequent values */
  readonly top?: readonly { readonly value: string; readonly count: number; readonly share: string }[];
  /** numbers and timestamps: 10 equal-width bins */
  readonly histogram?: readonly { readonly label: string; readonly count: number }[];
  readonly elapsedMs: number;
}

export type Loadable<T> =
  | { readonly state: 'idle' }
  | { readonly state: 'loading'; readonly text: string }
  | { readonly state: 'ok'; readonly data: T }
  | { readonly state: 'error'; readonly message: string };

export interface FeaturesPanelState {
  readonly view: string;
  readonly entity: string;
  readonly joinKeys: readonly string[];
  /** the source's name and path as slipway.yaml writes it */
  readonly source: string;
  readonly sourcePath: string;
  readonly features: readonly { readonly name: string; readonly type: string }[];
  readonly preview: Loadable<PreviewView>;
  /** the feature whose statistics are shown */
  readonly selected?: string;
  readonly stats: Loadable<StatsView>;
}

export type ToWebview = { readonly type: 'state'; readonly state: FeaturesPanelState };

export type FromWebview =
  | { readonly type: 'ready' }
  /** reload the preview (and the shown statistics) */
  | { readonly type: 'refresh' }
  | { readonly type: 'stats'; readonly feature: string }
  | { readonly type: 'cancel' }
  | { readonly type: 'goToDefinition'; readonly feature?: string };
