import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { checkFiles, nodeFileHost, parsePipeline, PipelineCache, type Diagnostic, type FileHost, type ParsedPipeline } from '../src/core/pipeline/index';

interface State {
  cache: PipelineCache;
  version: number;
  parsed: ParsedPipeline;
}

/** One parse per document version, reusing the unchanged pieces of the previous version. */
export class PipelineDocuments {
  private readonly states = new Map<string, State>();

  constructor(private readonly host: FileHost = nodeFileHost) {}

  parsed(doc: TextDocument): ParsedPipeline {
    const state = this.states.get(doc.uri);
    if (state && state.version === doc.version) return state.parsed;
    const cache = state?.cache ?? new PipelineCache();
    const path = filePath(doc.uri);
    const parsed = parsePipeline(doc.getText(), { uri: doc.uri, cache, ...(path ? { path } : {}) });
    this.states.set(doc.uri, { cache, version: doc.version, parsed });
    return parsed;
  }

  /** All diagnostics: the parse's plus missing files (which can change without an edit). */
  diagnostics(doc: TextDocument): Diagnostic[] {
    const parsed = this.parsed(doc);
    const dir = baseDir(doc.uri);
    if (!dir) return [...parsed.diagnostics];
    const files = checkFiles(parsed, dir, this.host);
    return files.length ? [...parsed.diagnostics, ...files] : [...parsed.diagnostics];
  }

  forget(uri: string): void {
    this.states.delete(uri);
  }
}

/** The file path of a file: URI, else undefined (untitled documents have no folder). */
export function filePath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** The folder relative paths in a pipeline file resolve against. */
export function baseDir(uri: string): string | undefined {
  const p = filePath(uri);
  return p ? dirname(p) : undefined;
}
