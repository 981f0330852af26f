/**
 * The Slipway language server: diagnostics, completion, hover, definition, outline and quick
 * fixes for slipway.yaml, over core/pipeline. Transport from argv (`--node-ipc` when the
 * extension starts it, `--stdio` for tests and other editors).
 *
 * Responsiveness: documents sync incrementally; each version is parsed once, reusing the
 * unchanged pieces of the previous one (core/pipeline/yaml/incremental.ts); diagnostics are
 * pushed after a short debounce, so typing never queues work. The check of the data files
 * (dataChecks.ts) comes after, in a pause, and sends the diagnostics again with its problems.
 */
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  DidChangeWatchedFilesNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  WatchKind,
  type Diagnostic as LspDiagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../src/core/pipeline/index';
import { codeActions } from './actions';
import { complete } from './completion';
import { DataChecks } from './dataChecks';
import { baseDir, PipelineDocuments } from './documents';
import { definition, documentSymbols, hover } from './navigation';
import { SET_DATA_CHECK, type ServerOptions, type SetDataCheckParams } from './protocol';

/** Where each diagnostic code is explained. */
const CODES_URL = 'https://github.com/slipway-ml/slipway/blob/main/docs/slipway-yaml.md#diagnostic-codes';
const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information } as const;

export function toLsp(d: Diagnostic): LspDiagnostic {
  return {
    range: d.range,
    severity: SEVERITY[d.severity],
    code: d.code,
    codeDescription: { href: CODES_URL },
    source: 'slipway',
    message: d.message,
    ...(d.data ? { data: d.data } : {}),
  };
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const pipelines = new PipelineDocuments();
const timers = new Map<string, NodeJS.Timeout>();
/** the document version whose diagnostics were last sent, so opening a file validates it once */
const sent = new Map<string, number>();
let debounceMs = 75;
let watchFiles = false;
/** the data check; made again on initialize with the client's options */
let data: DataChecks = createDataChecks({});

function createDataChecks(options: ServerOptions): DataChecks {
  return new DataChecks(
    {
      current(uri) {
        const doc = documents.get(uri);
        return doc && { version: doc.version, parsed: pipelines.parsed(doc), diagnostics: pipelines.diagnostics(doc) };
      },
      publish: (uri, version, diagnostics) => void connection.sendDiagnostics({ uri, version, diagnostics: diagnostics.map(toLsp) }),
      log: (message) => connection.console.warn(message),
    },
    {
      enabled: options.dataCheck !== false,
      ...(typeof options.dataDebounceMs === 'number' && options.dataDebounceMs >= 0 ? { delayMs: options.dataDebounceMs } : {}),
    },
  );
}

connection.onInitialize((params): InitializeResult => {
  const options = (params.initializationOptions ?? {}) as ServerOptions;
  if (typeof options.debounceMs === 'number' && options.debounceMs >= 0) debounceMs = options.debounceMs;
  data = createDataChecks(options);
  watchFiles = Boolean(params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      completionProvider: { triggerCharacters: [':', '/', ' ', '-'], resolveProvider: false },
      hoverProvider: true,
      definitionProvider: true,
      documentSymbolProvider: { label: 'Slipway' },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    },
    serverInfo: { name: 'slipway-language-server', version: typeof SLIPWAY_VERSION === 'string' ? SLIPWAY_VERSION : 'dev' },
  };
});

declare const SLIPWAY_VERSION: string | undefined;

connection.onInitialized(() => {
  // files named in the pipeline may appear or vanish without an edit to it
  if (watchFiles) {
    void connection.client.register(DidChangeWatchedFilesNotification.type, {
      watchers: [
        { globPattern: '**/*', kind: WatchKind.Create | WatchKind.Delete },
        // rewritten data files change their columns' types without a create or delete
        { globPattern: '**/*.{parquet,pq,csv,csv.gz,jsonl,ndjson,json}', kind: WatchKind.Change },
      ],
    });
  }
});

connection.onNotification(SET_DATA_CHECK, (p: SetDataCheckParams) => {
  data.setEnabled(Boolean(p?.enabled));
  for (const doc of documents.all()) schedule(doc.uri, 0);
});

connection.onShutdown(() => data.dispose());

function publish(uri: string) {
  timers.delete(uri);
  const doc = documents.get(uri);
  if (!doc) return;
  try {
    const pipeline = pipelines.diagnostics(doc);
    // at once, with the last data check's problems while what it read is unchanged; the data check follows
    const diagnostics = [...pipeline, ...data.carried(uri, pipelines.parsed(doc), pipeline)].map(toLsp);
    sent.set(uri, doc.version);
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
    data.schedule(uri, doc.version);
  } catch (e) {
    connection.console.error(`slipway: validating ${uri} failed: ${(e as Error).stack ?? e}`);
  }
}

function schedule(uri: string, delay: number) {
  const pending = timers.get(uri);
  if (pending) clearTimeout(pending);
  if (delay <= 0) {
    publish(uri);
    return;
  }
  timers.set(uri, setTimeout(() => publish(uri), delay));
}

documents.onDidOpen((e) => schedule(e.document.uri, 0));
documents.onDidChangeContent((e) => {
  // also fired on open, right after onDidOpen validated that version
  if (sent.get(e.document.uri) === e.document.version) return;
  data.cancel(e.document.uri);
  schedule(e.document.uri, debounceMs);
});
documents.onDidClose((e) => {
  const pending = timers.get(e.document.uri);
  if (pending) clearTimeout(pending);
  timers.delete(e.document.uri);
  sent.delete(e.document.uri);
  pipelines.forget(e.document.uri);
  data.forget(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onDidChangeWatchedFiles(() => {
  for (const doc of documents.all()) schedule(doc.uri, debounceMs);
});

/** Runs a request on the document's current parse; a failure answers empty instead of killing the server. */
function withDoc<T>(uri: string, empty: T, f: (doc: TextDocument) => T): T {
  const doc = documents.get(uri);
  if (!doc) return empty;
  try {
    return f(doc);
  } catch (e) {
    connection.console.error(`slipway: request on ${uri} failed: ${(e as Error).stack ?? e}`);
    return empty;
  }
}

connection.onCompletion((p) => withDoc(p.textDocument.uri, null, (doc) => complete(pipelines.parsed(doc), p.position, baseDir(doc.uri))));
connection.onHover((p) => withDoc(p.textDocument.uri, null, (doc) => hover(pipelines.parsed(doc), p.position)));
connection.onDefinition((p) => withDoc(p.textDocument.uri, [], (doc) => definition(pipelines.parsed(doc), doc.uri, p.position, baseDir(doc.uri))));
connection.onDocumentSymbol((p) => withDoc(p.textDocument.uri, [], (doc) => documentSymbols(pipelines.parsed(doc))));
connection.onCodeAction((p) => withDoc(p.textDocument.uri, [], (doc) => codeActions(pipelines.parsed(doc), doc.uri, p.context.diagnostics, baseDir(doc.uri))));

documents.listen(connection);
connection.listen();
