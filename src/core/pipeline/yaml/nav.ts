import { keyString, type YAlias, type YMap, type YNode, type YPair } from './tree';

export type KeyPath = readonly (string | number)[];

/** The node an alias stands for (itself when it is not an alias; undefined for an unknown anchor). */
export function deref(node: YNode | null, targets: ReadonlyMap<YAlias, YNode>): YNode | null | undefined {
  if (node === null || node.kind !== 'alias') return node;
  return targets.get(node);
}

export interface Entry {
  readonly key: string;
  readonly pair: YPair;
  /** true when the entry comes from a `<<` merge key */
  readonly merged: boolean;
}

/**
 * The entries of a mapping in file order, with `<<: *anchor` merges expanded (keys written in the
 * mapping win over merged ones). Keys that are not scalars are skipped; `bad` collects them and
 * merge keys whose value is not a mapping.
 */
export function entries(map: YMap, targets: ReadonlyMap<YAlias, YNode>, bad?: YPair[]): Entry[] {
  const own: Entry[] = [];
  const merges: YNode[] = [];
  for (const pair of map.items) {
    const key = keyString(pair.key);
    if (key === undefined) {
      bad?.push(pair);
      continue;
    }
    if (key === '<<' && pair.key?.kind === 'scalar' && pair.key.style === 'plain') {
      const v = deref(pair.value, targets);
      if (v && v.kind === 'map') merges.push(v);
      else if (v && v.kind === 'seq' && v.items.every((i) => deref(i, targets)?.kind === 'map')) for (const i of v.items) merges.push(deref(i, targets)!);
      else bad?.push(pair);
      continue;
    }
    own.push({ key, pair, merged: false });
  }
  if (merges.length === 0) return own;
  const seen = new Set(own.map((e) => e.key));
  const out = [...own];
  const visited = new Set<YNode>([map]);
  const add = (m: YNode, depth: number) => {
    if (m.kind !== 'map' || visited.has(m) || depth > 8) return;
    visited.add(m);
    for (const e of entries(m, targets)) {
      if (seen.has(e.key)) continue;
      seen.add(e.key);
      out.push({ ...e, merged: true });
    }
  };
  for (const m of merges) add(m, 0);
  return out;
}

/** The value node at a key path (aliases followed), or the key node when `part` is 'key'. */
export function nodeAtPath(root: YNode | null, path: KeyPath, targets: ReadonlyMap<YAlias, YNode>, part: 'key' | 'value' = 'value'): YNode | null | undefined {
  let node: YNode | null | undefined = root;
  let key: YNode | null = null;
  for (const p of path) {
    node = deref(node ?? null, targets);
    if (!node) return undefined;
    if (node.kind === 'map') {
      const e = entries(node, targets).find((x) => x.key === String(p));
      if (!e) return undefined;
      key = e.pair.key;
      node = e.pair.value;
    } else if (node.kind === 'seq' && typeof p === 'number') {
      if (p < 0 || p >= node.items.length) return undefined;
      key = null;
      node = node.items[p]!;
    } else return undefined;
  }
  return part === 'key' ? key : node;
}

export interface NodeAt {
  /** key path of the innermost node at the offset */
  readonly path: KeyPath;
  /** the innermost node (a key when inKey) */
  readonly node: YNode | null;
  /** the pair the offset is in, when it is in a mapping entry */
  readonly pair?: YPair;
  readonly inKey: boolean;
  /** the innermost collection around the offset */
  readonly parent?: YNode;
}

/**
 * The innermost node at an offset, without following aliases. Ranges are inclusive at the end so a
 * cursor right after a word still counts as in it.
 */
export function nodeAtOffset(root: YNode | null, offset: number): NodeAt {
  const path: (string | number)[] = [];
  let node: YNode | null = root;
  let pair: YPair | undefined;
  let parent: YNode | undefined;
  let inKey = false;
  for (let guard = 0; node && guard < 256; guard++) {
    if (node.kind === 'map') {
      const found = node.items.find((p) => p.start <= offset && offset <= Math.max(p.end, p.key ? p.key.end : p.start));
      if (!found) break;
      parent = node;
      pair = found;
      path.push(keyString(found.key) ?? '');
      if (found.key && found.key.start <= offset && offset <= found.key.end) {
        inKey = true;
        node = found.key;
        break;
      }
      if (!found.value || offset < found.value.start) {
        node = found.value;
        break;
      }
      node = found.value;
    } else if (node.kind === 'seq') {
      const i = node.items.findIndex((it) => it !== null && it.start <= offset && offset <= it.end);
      if (i < 0) break;
      parent = node;
      pair = undefined;
      path.push(i);
      node = node.items[i]!;
    } else break;
  }
  return { path, node, ...(pair ? { pair } : {}), inKey, ...(parent ? { parent } : {}) };
}

/** `training.targets.kubernetes.image`, `model.gates[0].op` */
export function displayPath(path: KeyPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}
