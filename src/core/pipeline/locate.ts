import { isMap, isScalar, parseDocument, LineCounter } from 'yaml';

/** A zero-based range, as editors and the LSP count. */
export interface TextRange {
  readonly start: { readonly line: number; readonly character: number };
  readonly end: { readonly line: number; readonly character: number };
}

/**
 * The range of a key in a pipeline file, given as a path of map keys (e.g. ['training', 'script']).
 * Undefined when the file does not parse to a map or the key is absent.
 */
export function findKeyRange(text: string, path: readonly string[]): TextRange | undefined {
  if (path.length === 0) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  let node: unknown = doc.contents;
  let found: TextRange | undefined;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (!pair || !isScalar(pair.key) || !pair.key.range) return undefined;
    const [from, to] = pair.key.range;
    const a = lineCounter.linePos(from);
    const b = lineCounter.linePos(to);
    found = { start: { line: a.line - 1, character: a.col - 1 }, end: { line: b.line - 1, character: b.col - 1 } };
    node = pair.value;
  }
  return found;
}
