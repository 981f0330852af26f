import type { ModelDescription } from './model';
import type { V2InferRequest } from './protocol';

/** One value per feature, read from a reference data row (null when that row has none). */
export type RowReader = (path: string, columns: readonly string[]) => Promise<Record<string, unknown> | undefined>;

const ZERO_DIM = (d: number | string) => (typeof d === 'number' && d > 0 ? d : 1);

/**
 * A v2 infer request for `model` to start the Try panel with: when the model names its features
 * (model.json) and a reference data set is given, the first row of that data; else zeros.
 */
export async function sampleInferRequest(model: ModelDescription, reference: string | undefined, readRow: RowReader): Promise<{ request: V2InferRequest; source: string }> {
  const features = model.sidecar?.features;
  const featureInput = model.inputs.find((i) => i.name === (model.sidecar?.input ?? model.inputs[0]?.name));
  if (features?.length && featureInput && reference) {
    try {
      const row = await readRow(reference, features);
      if (row) {
        const data = features.map((f) => {
          const v = row[f];
          return v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? Number(v) : Number(v);
        });
        return {
          request: { id: 'try-1', inputs: [{ name: featureInput.name, shape: [1, features.length], datatype: featureInput.datatype, data: data as number[] }] },
          source: `the first row of ${reference}`,
        };
      }
    } catch {
      /* fall back to zeros: the panel says where the values came from */
    }
  }
  const inputs = model.inputs.map((i) => {
    const shape = i.shape.map(ZERO_DIM);
    const n = shape.reduce((a, b) => a * b, 1);
    return { name: i.name, shape, datatype: i.datatype, data: i.datatype === 'BYTES' ? Array<string>(n).fill('') : Array<number>(n).fill(0) };
  });
  return { request: { id: 'try-1', inputs } as V2InferRequest, source: 'zeros (no reference data with the model\'s feature names)' };
}
