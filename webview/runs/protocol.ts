/** The typed messages between the run panel (src/extension/tracking/RunsPanel.ts) and its webview. */

export interface RunSummary {
  readonly runId: string;
  readonly name: string;
  readonly status: string;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly params: Readonly<Record<string, string>>;
  /** latest value of each metric; NaN and ±Infinity as strings, JSON cannot carry them */
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly parentRunId?: string;
}

export interface HistoryPoint {
  readonly step: number;
  /** null for NaN / ±Infinity, which a chart cannot place */
  readonly value: number | null;
}

export interface RunsPanelData {
  readonly trackingUri: string;
  readonly runs: readonly RunSummary[];
  /** runId → metric → every point of the history, all pages */
  readonly histories: Readonly<Record<string, Readonly<Record<string, readonly HistoryPoint[]>>>>;
  /** runId → top-level artifacts */
  readonly artifacts: Readonly<Record<string, readonly { readonly path: string; readonly isDir: boolean }[]>>;
}

export type ToWebview = { readonly type: 'data'; readonly data: RunsPanelData } | { readonly type: 'loading'; readonly text: string } | { readonly type: 'error'; readonly message: string };

export type FromWebview = { readonly type: 'ready' } | { readonly type: 'openArtifact'; readonly runId: string; readonly path: string } | { readonly type: 'refresh' };
