import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/** The pipeline files the language server checks, whatever language mode the editor gave them. */
export const PIPELINE_SELECTOR = [
  { scheme: 'file', pattern: '**/slipway.yaml' },
  { scheme: 'file', pattern: '**/slipway.yml' },
  { scheme: 'file', pattern: '**/*.slipway.yaml' },
];

/** Starts language-server.js (bundled next to extension.js) over IPC for pipeline files. */
export async function startPipelineLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<LanguageClient> {
  const module = vscode.Uri.joinPath(context.extensionUri, 'out', 'language-server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: PIPELINE_SELECTOR,
    outputChannel: log,
    // the server watches the files a pipeline points at itself (dynamic registration of **/*)
    diagnosticCollectionName: 'slipway',
  };
  const client = new LanguageClient('slipway.pipeline', 'Slipway Pipeline', serverOptions, clientOptions);
  await client.start();
  log.info('pipeline language server started');
  return client;
}
