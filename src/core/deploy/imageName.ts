/** Image references: pure string work, usable without the Docker client. */

/** `registry/repo:tag` → repo and tag (a digest or a missing tag gives tag undefined). */
export function splitTag(image: string): { repo: string; tag?: string } {
  if (image.includes('@')) return { repo: image };
  const m = /^(.*?)(?::([^/:]+))?$/.exec(image)!;
  return { repo: m[1]!, ...(m[2] ? { tag: m[2] } : {}) };
}

/** The registry host of an image name (`docker.io` when it names none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}
