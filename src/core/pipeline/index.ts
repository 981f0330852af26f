/**
 * slipway.yaml: parse (with source ranges), schema, checks, model. Every other part of the product
 * reads the pipeline through this module.
 *
 *   const parsed = parsePipeline(text, { path });            // syntax, schema and reference checks
 *   parsed.model.training?.script                             // typed, defaults applied
 *   parsed.rangeOf(['training', 'script'])                     // where a value is
 *   const all = validatePipeline(text, { path, baseDir, fileExists }) // + files on disk
 */
import { dirname } from 'node:path';
import { SchemaWalker, type RawDiagnostic } from './check';
import { makeDiagnostic, type Diagnostic, type TextPosition, type TextRange } from './diagnostics';
import { fileProblem, nodeFileHost, type FileHost, type FileReference } from './files';
import type { Pipeline } from './model';
import { PIPELINE_SCHEMA } from './schema';
import { buildModel, checkSemantics, type RawReference } from './semantics';
import { PieceCache, parseYamlTree } from './yaml/incremental';
import { LineIndex } from './yaml/lines';
import { displayPath, nodeAtOffset, nodeAtPath, type KeyPath, type NodeAt } from './yaml/nav';
import type { YAlias, YNode } from './yaml/tree';

export type { DataDiagnosticCode, Diagnostic, DiagnosticCode, DiagnosticData, Severity, TextPosition, TextRange } from './diagnostics';
export { DIAGNOSTIC_CODES, makeDiagnostic } from './diagnostics';
export type * from './model';
export { durationSeconds, formatFromPath } from './model';
export { PIPELINE_SCHEMA, specAt, defaultText, typeName, type KeySpec, type ValueFormat, type FileCheck } from './schema';
export { closest, cronProblem } from './formats';
export { nodeFileHost, isRemote, isGlob, resolvePath, type FileHost, type FileReference } from './files';
export { displayPath, type KeyPath, type NodeAt } from './yaml/nav';
export type { YNode, YMap, YSeq, YScalar, YAlias, YPair } from './yaml/tree';
export { keyString } from './yaml/tree';
export { findKeyRange } from './locate';

/** Files larger than this are not parsed: no pipeline is that big, and yaml needs ~0.3 ms per KB. */
export const MAX_PIPELINE_BYTES = 2 * 1024 * 1024;
/** More problems than this are cut, with a last diagnostic saying so. */
export const MAX_DIAGNOSTICS = 1000;

/**
 * Reuse between parses of one document as it is edited: pass the same cache to every
 * parsePipeline call for that document, and only the edited part is parsed again.
 */
export class PipelineCache {
  /** @internal */
  readonly pieces = new PieceCache();
}

export interface ParseOptions {
  /** the document's URI, kept on the result */
  readonly uri?: string;
  /** the file's path on disk; relative paths in the file resolve against its folder */
  readonly path?: string;
  readonly cache?: PipelineCache;
}

/** The YAML tree of the file, for language features. Aliases are not expanded. */
export interface PipelineDocument {
  readonly root: YNode | null;
  /** the node an alias stands for */
  resolveAlias(alias: YAlias): YNode | undefined;
  /** how many pieces the text was parsed in (1: whole) */
  readonly pieces: number;
}

/** A name used in the file and the declaration it resolves to (go to definition, rename...). */
export interface Reference {
  readonly kind: 'entity' | 'source' | 'view' | 'feature';
  readonly name: string;
  /** the view of a feature */
  readonly view?: string;
  /** the text naming it: for `view:feature`, just the view or the feature part */
  readonly range: TextRange;
  readonly path: KeyPath;
  /** the declaring key; absent when the name resolves nowhere */
  readonly target?: TextRange;
}

/** A local file named in the pipeline, checked by validatePipeline. */
export interface PathReference extends Omit<FileReference, 'start' | 'end'> {
  readonly range: TextRange;
}

export interface ParsedPipeline {
  readonly text: string;
  readonly uri?: string;
  readonly path?: string;
  /** typed, defaults applied; meaningful when diagnostics hold no error */
  readonly model: Pipeline;
  /** syntax, schema and reference problems, sorted by position (no disk access) */
  readonly diagnostics: readonly Diagnostic[];
  readonly doc: PipelineDocument;
  readonly references: readonly Reference[];
  readonly paths: readonly PathReference[];
  /** the innermost node at an offset, with its key path */
  nodeAt(offset: number): NodeAt;
  /** the range of the value (or key) at a key path, aliases followed; undefined when absent */
  rangeOf(path: KeyPath, part?: 'key' | 'value'): TextRange | undefined;
  positionAt(offset: number): TextPosition;
  offsetAt(position: TextPosition): number;
}

/** Parses and checks a pipeline file's text. Never throws. */
export function parsePipeline(text: string, options: ParseOptions = {}): ParsedPipeline {
  const lines = new LineIndex(text);
  if (text.length > MAX_PIPELINE_BYTES) {
    const diag = makeDiagnostic('file-too-large', `the file has ${text.length} characters; a pipeline file is at most ${MAX_PIPELINE_BYTES} (2 MiB)`, lines.range(0, 0));
    return new Parsed(text, options, lines, new Map(), null, 0, buildModel(undefined), [diag], [], []);
  }
  const tree = parseYamlTree(text, options.cache?.pieces);
  const raw: RawDiagnostic[] = tree.errors.map((e) => ({ code: 'yaml-syntax', severity: e.severity, message: e.message, start: e.start, end: e.end }));
  for (const a of tree.unresolved) {
    raw.push({ code: 'yaml-syntax', severity: 'error', message: `alias *${a.name} refers to no anchor &${a.name} defined before it`, start: a.start, end: a.end });
  }
  const walker = new SchemaWalker(text, tree.aliasTargets);
  const walked = walker.walkRoot(tree.root, PIPELINE_SCHEMA);
  const model = buildModel(walked.raw);
  const refs = checkSemantics(model, walked.refs, tree.root, tree.aliasTargets, text, walker);
  raw.push(...walker.diags);
  const diagnostics = finish(raw, lines);
  const references: Reference[] = refs.map((r) => toReference(r, lines));
  const paths: PathReference[] = walked.files.map((f) => ({ value: f.value, path: f.path, check: f.check, range: lines.range(f.node.start, f.node.end) }));
  return new Parsed(text, options, lines, tree.aliasTargets, tree.root, tree.pieces, model, diagnostics, references, paths);
}

export interface ValidateOptions extends ParseOptions {
  /** folder relative paths resolve against; default: the folder of `path`, else the current folder */
  readonly baseDir?: string;
  /** the file system; default: the real disk */
  readonly fileExists?: (path: string) => boolean;
  readonly globMatches?: (pattern: string, baseDir: string) => boolean;
}

/** parsePipeline plus the checks that need the disk (files that must exist). */
export function validatePipeline(text: string, options: ValidateOptions = {}): ParsedPipeline {
  const parsed = parsePipeline(text, options);
  const host: FileHost = options.fileExists
    ? { fileExists: options.fileExists, ...(options.globMatches ? { globMatches: options.globMatches } : {}) }
    : nodeFileHost;
  const baseDir = options.baseDir ?? (options.path ? dirname(options.path) : process.cwd());
  const fileDiags = checkFiles(parsed, baseDir, host);
  if (fileDiags.length === 0) return parsed;
  const diagnostics = [...parsed.diagnostics, ...fileDiags].sort(byPosition);
  return (parsed as Parsed).withDiagnostics(diagnostics);
}

/** The file-not-found diagnostics of a parsed pipeline. */
export function checkFiles(parsed: ParsedPipeline, baseDir: string, host: FileHost): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of parsed.paths) {
    const problem = fileProblem({ ...p, start: 0, end: 0 }, baseDir, host);
    if (!problem) continue;
    const template = p.check.template;
    out.push(
      makeDiagnostic('file-not-found', `${displayPath(p.path)}: ${problem}`, p.range, p.check.severity, {
        path: p.path,
        ...(template ? { createFile: { path: p.value, template } } : {}),
      }),
    );
  }
  return out;
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.code.localeCompare(b.code);
}

function finish(raw: RawDiagnostic[], lines: LineIndex): Diagnostic[] {
  raw.sort((a, b) => a.start - b.start || a.end - b.end || a.code.localeCompare(b.code));
  const out: Diagnostic[] = [];
  let last: RawDiagnostic | undefined;
  for (const d of raw) {
    if (last && last.start === d.start && last.end === d.end && last.code === d.code && last.message === d.message) continue;
    last = d;
    if (out.length === MAX_DIAGNOSTICS) {
      out.push(makeDiagnostic('yaml-syntax', `too many problems: only the first ${MAX_DIAGNOSTICS} are shown`, lines.range(d.start, d.end), 'information'));
      break;
    }
    out.push(makeDiagnostic(d.code, d.message, lines.range(d.start, d.end), d.severity, d.data));
  }
  return out;
}

function toReference(r: RawReference, lines: LineIndex): Reference {
  return {
    kind: r.kind,
    name: r.name,
    ...(r.view ? { view: r.view } : {}),
    range: lines.range(r.start, r.end),
    path: r.path,
    ...(r.target ? { target: lines.range(r.target.start, r.target.end) } : {}),
  };
}

class Parsed implements ParsedPipeline {
  readonly uri?: string;
  readonly path?: string;
  readonly doc: PipelineDocument;

  constructor(
    readonly text: string,
    options: { uri?: string; path?: string },
    private readonly lines: LineIndex,
    private readonly targets: ReadonlyMap<YAlias, YNode>,
    root: YNode | null,
    pieces: number,
    readonly model: Pipeline,
    readonly diagnostics: readonly Diagnostic[],
    readonly references: readonly Reference[],
    readonly paths: readonly PathReference[],
  ) {
    if (options.uri) this.uri = options.uri;
    if (options.path) this.path = options.path;
    this.doc = { root, pieces, resolveAlias: (a) => targets.get(a) };
  }

  withDiagnostics(diagnostics: readonly Diagnostic[]): Parsed {
    const { uri, path } = this;
    return new Parsed(this.text, { ...(uri ? { uri } : {}), ...(path ? { path } : {}) }, this.lines, this.targets, this.doc.root, this.doc.pieces, this.model, diagnostics, this.references, this.paths);
  }

  nodeAt(offset: number): NodeAt {
    return nodeAtOffset(this.doc.root, offset);
  }

  rangeOf(path: KeyPath, part: 'key' | 'value' = 'value'): TextRange | undefined {
    const n = nodeAtPath(this.doc.root, path, this.targets, part);
    return n ? this.lines.range(n.start, n.end) : undefined;
  }

  positionAt(offset: number): TextPosition {
    return this.lines.positionAt(offset);
  }

  offsetAt(position: TextPosition): number {
    return this.lines.offsetAt(position);
  }
}
