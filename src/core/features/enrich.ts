/**
 * The serving runtime's feature lookup: an Enricher (src/core/serving) that fills a request's
 * missing model inputs from the online store, so a client sends entity keys, not features.
 *
 * A request names its rows in one of two ways, never both (that is a 400):
 * - `"parameters": {"entity": "customer", "keys": [42, 43]}`: one key per row; a composite key
 *   as an object by join key name (`{"store_id": "s1", "product_id": 7}`). `entity` may be left
 *   out when the store holds one entity (or the server names a default).
 * - input tensors named like the entity's join keys, shape [n] or [n, 1] (`customer_id`). One
 *   that is not also a model input is removed after the lookup: the model never sees it.
 * A request with neither passes through untouched.
 *
 * Then each model input the request does not carry is built from the stored values, one row per
 * key, with the input's datatype: an input named like a feature of the entity (its name, or
 * `<view>__<feature>`), shape [n] or [n, 1]; or the single [n, F] input of a model whose
 * model.json lists its feature columns, built column by column (every column must be a stored
 * feature, else a 400 naming the missing ones). An input the request carries (a tensor, or the
 * named-feature object form) is left alone. A key the store does not hold, or a feature with no
 * value, becomes null, which floating-point inputs take as NaN (the model imputes it); any other
 * input type gets a 400 naming the key. A request's keys are looked up together (one query for
 * a single join key: OnlineStore.lookupMany), with a timeout (504 past it). One entity per request.
 */
import { ServingError, type ModelSignature } from '../serving/protocol';
import type { Enricher } from '../serving/server';
import type { ElementType, TensorInfo } from '../serving/tensors';
import type { EntityKey, KeyValue, OnlineLookup, OnlineStore, StoredEntity, StoredFeature } from './online';
import { FeatureInputError, type FeatureValue } from './types';

export interface OnlineEnricherOptions {
  /** the entity of requests that name none, when the store holds several */
  readonly entity?: string;
  /** the longest a request's lookup may take, queueing included, ms (default 2000): a 504 past it */
  readonly timeoutMs?: number;
  /** most keys (rows) one request may name (default 10,000): a 400 past it */
  readonly maxKeys?: number;
}

export const ENRICH_DEFAULTS = { timeoutMs: 2000, maxKeys: 10_000 } as const;

const bad = (message: string) => new ServingError(400, message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isKeyValue = (v: unknown): v is KeyValue => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const list = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');
const showKey = (key: EntityKey) => JSON.stringify(key);

/** Where a model input's values come from. */
interface Fill {
  readonly input: TensorInfo;
  /** one stored feature per column: one for a per-feature input, F for the [n, F] input */
  readonly features: readonly StoredFeature[];
  /** [n] or [n, 1] or [n, F] */
  readonly rank: number;
}

/** An Enricher over the online store: see the file's header for what it does. */
export function onlineEnricher(store: OnlineStore, options: OnlineEnricherOptions = {}): Enricher {
  const timeoutMs = options.timeoutMs ?? ENRICH_DEFAULTS.timeoutMs;
  const maxKeys = options.maxKeys ?? ENRICH_DEFAULTS.maxKeys;
  return async (request, context) => {
    if (!isObject(request)) return request; // the server's check explains what a request is
    const parameters = isObject(request.parameters) ? request.parameters : undefined;
    const named = parameters?.entity;
    if (named !== undefined && typeof named !== 'string') throw bad(`parameters.entity must be a string naming an entity of the online store (${Object.keys(store.meta.entities).join(', ')})`);
    const hasKeys = parameters !== undefined && parameters.keys !== undefined;
    if (isObject(request.inputs)) {
      if (hasKeys || named !== undefined) {
        throw bad('"inputs" as an object of named features carries every feature itself: send parameters.keys with "inputs" as an array of v2 tensors (or none), or leave out parameters.entity and parameters.keys');
      }
      return request;
    }
    if (request.inputs !== undefined && request.inputs !== null && !Array.isArray(request.inputs)) return request;
    const tensors = (Array.isArray(request.inputs) ? request.inputs : []) as unknown[];
    const modelInputs = new Set(context.signature.inputs.map((m) => m.name));
    const nameOf = (t: unknown) => (isObject(t) && typeof t.name === 'string' ? t.name : undefined);

    // which entity, which keys
    const entities = store.meta.entities;
    const entityNamed = (name: string): StoredEntity => {
      const e = entities[name];
      if (!e) throw bad(`the online store has no entity '${name}' (entities: ${Object.keys(entities).join(', ') || 'none'})`);
      return e;
    };
    const candidates = named !== undefined ? [named] : Object.keys(entities);
    const keyTensorNames = new Set(candidates.flatMap((c) => entityNamed(c).joinKeys).filter((k) => tensors.some((t) => nameOf(t) === k)));
    let entity: string;
    let keys: EntityKey[];
    if (hasKeys && keyTensorNames.size) {
      throw bad(`the request names its rows twice, with parameters.keys and with the join key tensor(s) ${list([...keyTensorNames])}: send one of them`);
    }
    if (hasKeys) {
      entity = named ?? options.entity ?? onlyEntity(Object.keys(entities));
      keys = keysFromParameters(parameters!.keys, entity, entityNamed(entity), maxKeys);
    } else if (keyTensorNames.size) {
      entity = named ?? entityOfTensors(entities, keyTensorNames, options.entity);
      keys = keysFromTensors(tensors, entity, entityNamed(entity), maxKeys);
    } else {
      if (named !== undefined) {
        throw bad(`parameters.entity names '${named}' but the request has no keys: send "parameters": {"entity": "${named}", "keys": [...]} or a tensor for each join key (${entityNamed(named).joinKeys.join(', ')})`);
      }
      return request;
    }
    const e = entityNamed(entity);

    // key tensors the model does not take are dropped; inputs the request lacks are filled
    const kept = tensors.filter((t) => {
      const n = nameOf(t);
      return n === undefined || !e.joinKeys.includes(n) || modelInputs.has(n);
    });
    const carried = new Set(kept.map(nameOf));
    const fills = plan(context.signature, carried, entity, e);
    if (!fills.length) return { ...request, inputs: kept };
    const lookups = await lookup(store, entity, keys, timeoutMs);
    return { ...request, inputs: [...kept, ...fills.map((f) => tensor(f, lookups, keys, entity))] };
  };
}

function onlyEntity(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  if (!names.length) throw new ServingError(500, 'the online store holds no entities: run `slipway features materialize` after declaring feature views');
  throw bad(`the online store holds several entities (${names.join(', ')}): name one with parameters.entity`);
}

function entityOfTensors(entities: Readonly<Record<string, StoredEntity>>, present: ReadonlySet<string>, preferred: string | undefined): string {
  const complete = Object.keys(entities).filter((n) => entities[n]!.joinKeys.every((k) => present.has(k)));
  if (preferred !== undefined && complete.includes(preferred)) return preferred;
  if (complete.length === 1) return complete[0]!;
  if (complete.length > 1) throw bad(`the join key tensor(s) ${list([...present])} fit the entities ${complete.join(', ')}: name one with parameters.entity`);
  const partial = Object.keys(entities).filter((n) => entities[n]!.joinKeys.some((k) => present.has(k)));
  const needs = partial.map((n) => `${n} needs ${entities[n]!.joinKeys.filter((k) => !present.has(k)).join(', ')}`);
  throw bad(`the join key tensor(s) ${list([...present])} do not make a whole key: ${needs.join('; ')}`);
}

function keysFromParameters(raw: unknown, entity: string, e: StoredEntity, maxKeys: number): EntityKey[] {
  const example = e.joinKeys.length === 1 ? '[42, 43]' : `[{${e.joinKeys.map((k) => `"${k}": ...`).join(', ')}}, ...]`;
  if (!Array.isArray(raw) || !raw.length) throw bad(`parameters.keys must be a non-empty array with one key of entity ${entity} per row, e.g. ${example}`);
  if (raw.length > maxKeys) throw bad(`parameters.keys has ${raw.length} keys; at most ${maxKeys} per request`);
  return raw.map((k, i) => {
    if (isKeyValue(k)) {
      if (e.joinKeys.length === 1) return k;
      throw bad(`parameters.keys[${i}]: entity ${entity} has the composite key (${e.joinKeys.join(', ')}): give each key as an object, e.g. ${example}`);
    }
    if (isObject(k)) {
      const unknown = Object.keys(k).filter((n) => !e.joinKeys.includes(n));
      const missing = e.joinKeys.filter((n) => k[n] === undefined);
      if (unknown.length || missing.length) {
        throw bad(`parameters.keys[${i}]: entity ${entity}'s key is ${e.joinKeys.join(', ')}${unknown.length ? `; unknown ${unknown.join(', ')}` : ''}${missing.length ? `; missing ${missing.join(', ')}` : ''}`);
      }
      const value = Object.fromEntries(e.joinKeys.map((n) => [n, k[n]]));
      for (const n of e.joinKeys) if (!isKeyValue(value[n])) throw bad(`parameters.keys[${i}].${n} must be a string, number or boolean`);
      return value as Record<string, KeyValue>;
    }
    throw bad(`parameters.keys[${i}] must be a key of entity ${entity} (a string or number${e.joinKeys.length > 1 ? ', or an object by join key' : ''}), not ${k === null ? 'null' : Array.isArray(k) ? 'an array' : typeof k}`);
  });
}

function keysFromTensors(tensors: readonly unknown[], entity: string, e: StoredEntity, maxKeys: number): EntityKey[] {
  const columns = e.joinKeys.map((k) => {
    const found = tensors.filter((t) => isObject(t) && t.name === k) as Record<string, unknown>[];
    if (!found.length) throw bad(`entity ${entity} is keyed by ${e.joinKeys.join(', ')}: the request has no tensor '${k}'`);
    if (found.length > 1) throw bad(`the join key tensor '${k}' is given twice`);
    const t = found[0]!;
    const shape = t.shape;
    const ok = Array.isArray(shape) && (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) && Number.isInteger(shape[0]) && (shape[0] as number) > 0;
    if (!ok) throw bad(`the join key tensor '${k}' must have shape [n] or [n, 1] (one key per row), not ${JSON.stringify(shape) ?? 'none'}`);
    const data = Array.isArray(t.data) ? (t.data as unknown[]).flat() : undefined;
    const n = (shape as number[])[0]!;
    if (!data || data.length !== n) throw bad(`the join key tensor '${k}' has shape ${JSON.stringify(shape)}: "data" must hold ${n} key(s)${data ? `, not ${data.length}` : ''}`);
    if (n > maxKeys) throw bad(`the join key tensor '${k}' has ${n} keys; at most ${maxKeys} per request`);
    data.forEach((v, i) => {
      if (!isKeyValue(v)) throw bad(`the join key tensor '${k}': data[${i}] must be a string, number or boolean, not ${v === null ? 'null' : typeof v}`);
    });
    return data as KeyValue[];
  });
  const rows = columns[0]!.length;
  columns.forEach((c, i) => {
    if (c.length !== rows) throw bad(`the join key tensors disagree on the rows: '${e.joinKeys[0]}' has ${rows}, '${e.joinKeys[i]}' has ${c.length}`);
  });
  return Array.from({ length: rows }, (_, r) => (e.joinKeys.length === 1 ? columns[0]![r]! : Object.fromEntries(e.joinKeys.map((k, i) => [k, columns[i]![r]!]))));
}

/** The stored feature an input name stands for: its name, or <view>__<feature>. */
function featureFor(e: StoredEntity, name: string): StoredFeature | undefined {
  return e.features.find((f) => f.name === name) ?? e.features.find((f) => `${f.view}__${f.feature}` === name);
}

/** Which model inputs the store fills, and from which features; a 400 for those it cannot. */
function plan(signature: ModelSignature, carried: ReadonlySet<string | undefined>, entity: string, e: StoredEntity): Fill[] {
  const fills: Fill[] = [];
  const unfilled: string[] = [];
  const known = () => e.features.map((f) => f.name).join(', ');
  for (const input of signature.inputs) {
    if (carried.has(input.name)) continue;
    if (signature.features && signature.inputs.length === 1) {
      const features = signature.features.map((c) => featureFor(e, c));
      const missing = signature.features.filter((_, i) => !features[i]);
      if (missing.length) {
        throw bad(`input '${input.name}' is not in the request, and entity ${entity} in the online store lacks its column${missing.length > 1 ? 's' : ''} ${list(missing)} (model.json's features; the store has ${known()}): send '${input.name}' by hand, or add the features and materialize again`);
      }
      fills.push({ input, features: features as StoredFeature[], rank: 2 });
      continue;
    }
    const feature = featureFor(e, input.name);
    if (!feature) {
      unfilled.push(input.name);
      continue;
    }
    const s = input.shape;
    const rank = s.length === 1 ? 1 : s.length === 2 && (typeof s[1] !== 'number' || s[1] < 0 || s[1] === 1) ? 2 : 0;
    if (!rank) throw bad(`input '${input.name}' has shape [${s.join(', ')}]: the online store fills inputs of shape [n] or [n, 1]; send it by hand`);
    fills.push({ input, features: [feature], rank });
  }
  if (unfilled.length) {
    throw bad(`missing input${unfilled.length > 1 ? 's' : ''} ${list(unfilled)}: not in the request and not a feature of entity ${entity} in the online store (its features: ${known()})`);
  }
  return fills;
}

async function lookup(store: OnlineStore, entity: string, keys: readonly EntityKey[], timeoutMs: number): Promise<OnlineLookup[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await store.lookupMany(entity, keys, { signal });
  } catch (err) {
    if (err instanceof FeatureInputError) throw bad(err.message);
    if (signal.aborted) throw new ServingError(504, `the online store did not answer within ${timeoutMs} ms (${keys.length} key(s) of entity ${entity})`);
    throw err;
  }
}

const FLOAT: ReadonlySet<ElementType> = new Set(['float16', 'float32', 'float64']);

/** The v2 tensor of one filled input: one row per key, the stored values converted to the input's type. */
function tensor(fill: Fill, lookups: readonly OnlineLookup[], keys: readonly EntityKey[], entity: string) {
  const { input, features } = fill;
  const n = lookups.length;
  const data: unknown[] = new Array(n * features.length);
  lookups.forEach((l, r) => {
    features.forEach((f, j) => {
      const where = () => `key ${showKey(keys[r]!)} of entity ${entity}`;
      const v = l.values[f.name] ?? null;
      if (v === null) {
        if (FLOAT.has(input.type)) {
          data[r * features.length + j] = null;
          return;
        }
        throw bad(l.found
          ? `${where()} has no value of feature '${f.name}', and input '${input.name}' (${input.datatype}) cannot hold a missing value`
          : `${where()} is not in the online store, and input '${input.name}' (${input.datatype}) cannot hold a missing value`);
      }
      const converted = convert(v, input.type);
      if (typeof converted === 'object' && converted !== null) throw bad(`${where()}: feature '${f.name}' (${f.type}) = ${JSON.stringify(v)} cannot be ${input.datatype} input '${input.name}': ${converted.problem}`);
      data[r * features.length + j] = converted;
    });
  });
  const shape = fill.rank === 1 ? [n] : [n, features.length];
  return { name: input.name, shape, datatype: input.datatype, data };
}

/** A stored value as a JSON element of the input's type (the server's check converts it), or why it cannot be. */
function convert(v: FeatureValue, type: ElementType): number | string | boolean | { problem: string } {
  if (type === 'string') return typeof v === 'object' ? { problem: 'not a scalar' } : String(v);
  if (type === 'bool') return typeof v === 'boolean' ? v : { problem: 'not true or false' };
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') return { problem: 'not a number' };
  if (!FLOAT.has(type) && !Number.isInteger(v)) return { problem: 'not an integer' };
  return v;
}
