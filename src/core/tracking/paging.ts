import { MlflowError } from './errors';
import type { Page } from './types';

/**
 * Follows page tokens lazily: the next page is fetched only when the caller asks for it, so a
 * view fetches only what it shows. A token seen before means the server would loop (MLflow's
 * metric history without max_results does): that is an error, not an endless listing.
 */
export async function* followPages<T>(fetchPage: (token: string | undefined) => Promise<Page<T>>, what: string, firstToken?: string): AsyncGenerator<Page<T>, void, undefined> {
  const used = new Set<string>();
  let token = firstToken;
  for (;;) {
    if (token !== undefined) used.add(token);
    const page = await fetchPage(token);
    yield page;
    const next = page.nextPageToken;
    if (!next) return;
    if (used.has(next)) {
      throw new MlflowError('protocol', `the server's page token for ${what} points back at a page already read: stopped instead of looping`);
    }
    token = next;
  }
}

/** All items of the pages, stopping once `limit` items are in. */
export async function collect<T>(pages: AsyncIterable<Page<T>>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) {
    for (const item of page.items) {
      if (out.length >= limit) return out;
      out.push(item);
    }
    if (out.length >= limit) return out;
  }
  return out;
}
