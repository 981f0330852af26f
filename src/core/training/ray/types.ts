/**
 * The shapes of Ray's Jobs REST API (Ray 2.58 dashboard, port 8265), as recorded in
 * test/fixtures/ray-jobs-api. Times are milliseconds since the epoch; absent values are null.
 */
import type { JobStatus } from '../types';

export const RAY_JOB_STATUSES: readonly JobStatus[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED'];

export interface RayRuntimeEnv {
  /** a package URI, `gcs://_ray_pkg_<hash>.zip` after an upload */
  working_dir?: string;
  pip?: string[];
  env_vars?: Record<string, string>;
  [key: string]: unknown;
}

/** POST /api/jobs/ */
export interface RaySubmitRequest {
  entrypoint: string;
  submission_id?: string;
  runtime_env?: RayRuntimeEnv;
  /** string values only: Ray rejects anything else */
  metadata?: Record<string, string>;
  entrypoint_num_cpus?: number;
  entrypoint_num_gpus?: number;
  entrypoint_memory?: number;
  entrypoint_resources?: Record<string, number>;
}

export interface RaySubmitResponse {
  /** deprecated alias of submission_id */
  job_id: string | null;
  submission_id: string;
}

export interface RayDriverInfo {
  id: string;
  node_ip_address: string;
  pid: string;
}

/** GET /api/jobs/<id>, and each item of GET /api/jobs/ */
export interface RayJobDetails {
  /** SUBMISSION for jobs of this API; DRIVER for scripts that called ray.init themselves */
  type: string;
  /** the Ray job id of the driver, once a driver connected (`ray.init` in the script); else null */
  job_id: string | null;
  /** null for DRIVER jobs */
  submission_id: string | null;
  driver_info: RayDriverInfo | null;
  status: JobStatus;
  entrypoint: string;
  message: string | null;
  /** e.g. JOB_ENTRYPOINT_COMMAND_ERROR, RUNTIME_ENV_SETUP_FAILURE */
  error_type: string | null;
  start_time: number | null;
  end_time: number | null;
  metadata: Record<string, string> | null;
  runtime_env: RayRuntimeEnv | null;
  driver_agent_http_address: string | null;
  driver_node_id: string | null;
  driver_exit_code: number | null;
  [key: string]: unknown;
}
