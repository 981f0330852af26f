import { join } from 'node:path';
import type * as KubeBundle from './bundle';

export type Kube = typeof KubeBundle;
let loaded: Kube | undefined;

/** The Kubernetes features, from out/kube.js next to the running bundle, loaded on first use. */
export function loadKube(): Kube {
  // a computed path: esbuild leaves this require alone, so the client stays out of the main bundle
  const path = join(__dirname, 'kube.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require(path) as Kube;
  return loaded;
}
