/**
 * slipway.yaml's `resources` (cpu, memory, gpu) as a container's Kubernetes resources: requests
 * equal to limits (a training Job and a model server both get what they ask for, and no more);
 * GPUs only as limits (`nvidia.com/gpu`), as Kubernetes requires. Plain JSON, no Kubernetes
 * client: the renderers that use it stay in the light bundles.
 */
import type { Resources } from '../pipeline/index';

export interface ContainerResources {
  readonly requests: Record<string, string>;
  readonly limits: Record<string, string>;
}

export function containerResources(r: Partial<Resources> | undefined): ContainerResources | undefined {
  if (!r) return undefined;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpu) requests.cpu = limits.cpu = r.cpu;
  if (r.memory) requests.memory = limits.memory = r.memory;
  if (r.gpu) limits['nvidia.com/gpu'] = String(r.gpu);
  return Object.keys(limits).length ? { requests, limits } : undefined;
}
