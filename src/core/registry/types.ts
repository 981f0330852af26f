/** Typed registry objects and their conversion from MLflow's JSON (empty fields omitted). */
import { int, keyValues, opt, type WireKeyValue } from '../tracking/types';

export interface ModelVersion {
  readonly name: string;
  /** MLflow versions are strings of digits */
  readonly version: string;
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
  /** deprecated stages: 'None' | 'Staging' | 'Production' | 'Archived' */
  readonly currentStage?: string;
  readonly description?: string;
  /** `models:/m-...` (a logged model), or an artifact URI */
  readonly source?: string;
  readonly runId?: string;
  /** 'READY' | 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' */
  readonly status?: string;
  readonly statusMessage?: string;
  readonly runLink?: string;
  /** the logged model behind it (MLflow 3) */
  readonly modelId?: string;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Only model-versions/get, the alias lookup and get-latest-versions fill this; searches leave
   * it empty (use the registered model's aliases).
   */
  readonly aliases: readonly string[];
}

export interface ModelAlias {
  readonly alias: string;
  readonly version: string;
}

export interface RegisteredModel {
  readonly name: string;
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
  readonly description?: string;
  /** the latest version per stage (without aliases) */
  readonly latestVersions: readonly ModelVersion[];
  readonly tags: Readonly<Record<string, string>>;
  readonly aliases: readonly ModelAlias[];
}

export interface WireModelVersion {
  readonly name?: string;
  readonly version?: string | number;
  readonly creation_timestamp?: number | string;
  readonly last_updated_timestamp?: number | string;
  readonly current_stage?: string;
  readonly description?: string;
  readonly source?: string;
  readonly run_id?: string;
  readonly status?: string;
  readonly status_message?: string;
  readonly run_link?: string;
  readonly model_id?: string;
  readonly tags?: readonly WireKeyValue[];
  readonly aliases?: readonly string[];
}

export interface WireRegisteredModel {
  readonly name?: string;
  readonly creation_timestamp?: number | string;
  readonly last_updated_timestamp?: number | string;
  readonly description?: string;
  readonly latest_versions?: readonly WireModelVersion[];
  readonly tags?: readonly WireKeyValue[];
  readonly aliases?: readonly { readonly alias?: string; readonly version?: string | number }[];
}

const nonEmpty = <K extends string>(key: K, v: string | undefined): { [P in K]?: string } => (v ? ({ [key]: v } as { [P in K]?: string }) : {});

export function toModelVersion(v: WireModelVersion): ModelVersion {
  return {
    name: v.name ?? '',
    version: String(v.version ?? ''),
    ...opt('creationTime', int(v.creation_timestamp)),
    ...opt('lastUpdateTime', int(v.last_updated_timestamp)),
    ...nonEmpty('currentStage', v.current_stage),
    ...nonEmpty('description', v.description),
    ...nonEmpty('source', v.source),
    ...nonEmpty('runId', v.run_id),
    ...nonEmpty('status', v.status),
    ...nonEmpty('statusMessage', v.status_message),
    ...nonEmpty('runLink', v.run_link),
    ...nonEmpty('modelId', v.model_id),
    tags: keyValues(v.tags),
    aliases: [...(v.aliases ?? [])],
  };
}

export function toRegisteredModel(m: WireRegisteredModel): RegisteredModel {
  return {
    name: m.name ?? '',
    ...opt('creationTime', int(m.creation_timestamp)),
    ...opt('lastUpdateTime', int(m.last_updated_timestamp)),
    ...nonEmpty('description', m.description),
    latestVersions: (m.latest_versions ?? []).map(toModelVersion),
    tags: keyValues(m.tags),
    aliases: (m.aliases ?? []).map((a) => ({ alias: a.alias ?? '', version: String(a.version ?? '') })),
  };
}
