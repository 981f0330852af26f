/**
 * What the Slipway language server understands beyond LSP: its initialization options and one
 * notification. Plain values only, so the extension can import this file without the server.
 */

export interface ServerOptions {
  /** pipeline diagnostics this long after the last edit (default 75) */
  readonly debounceMs?: number;
  /** read the data files `features` names and report type problems (default true; the extension sends the workspace's trust) */
  readonly dataCheck?: boolean;
  /** the data check runs this long after the pipeline diagnostics of a version were sent (default 300) */
  readonly dataDebounceMs?: number;
}

/** client → server: turn the data check on or off (VS Code sends it when the workspace becomes trusted). */
export const SET_DATA_CHECK = 'slipway/setDataCheck';

export interface SetDataCheckParams {
  readonly enabled: boolean;
}
