/** Messages between the Try panel (src/extension/serving/TryPanel.ts) and its webview. */

export interface TensorInfoView {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly (number | string)[];
}

export interface TryModelInfo {
  readonly endpoint: string;
  readonly modelName: string;
  readonly version: string;
  readonly inputs: readonly TensorInfoView[];
  readonly outputs: readonly TensorInfoView[];
  readonly features?: readonly string[];
  /** the request the editor starts with, as JSON text */
  readonly sample: string;
  readonly sampleSource: string;
}

export interface TryResult {
  readonly status: number;
  /** the response body, pretty-printed */
  readonly body: string;
  /** round trip through HTTP, ms */
  readonly roundTripMs: number;
}

export type ToTryWebview = { readonly type: 'model'; readonly info: TryModelInfo } | { readonly type: 'result'; readonly result: TryResult } | { readonly type: 'error'; readonly message: string };

export type FromTryWebview = { readonly type: 'ready' } | { readonly type: 'run'; readonly request: string };
