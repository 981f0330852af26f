import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SET_DATA_CHECK, type ServerOptions as SlipwayServerOptions, type SetDataCheckParams } from '../../../language-server/protocol';

/** The pipeline files the language server checks, whatever language mode the editor gave them. */
export const PIPELINE_SELECTOR = [
  { scheme: 'file', pattern: '**/slipway.yaml' },
  { scheme: 'file', pattern: '**/slipway.yml' },
  { scheme: 'file', pattern: '**/*.slipway.yaml' },
];

/**
 * Starts language-server.js (bundled next to extension.js) over IPC for pipeline files. The server
 * reads the data files `features` names (DuckDB) only in a trusted workspace, as the drift panel does.
 */
export async function startPipelineLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<LanguageClient> {
  const module = vscode.Uri.joinPath(context.extensionUri, 'out', 'language-server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const initializationOptions: SlipwayServerOptions = { dataCheck: vscode.workspace.isTrusted };
  const clientOptions: LanguageClientOptions = {
    documentSelector: PIPELINE_SELECTOR,
    outputChannel: log,
    // the server watches the files a pipeline points at itself (dynamic registration of **/* and data files)
    diagnosticCollectionName: 'slipway',
    initializationOptions,
  };
  const client = new LanguageClient('slipway.pipeline', 'Slipway Pipeline', serverOptions, clientOptions);
  await client.start();
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      const params: SetDataCheckParams = { enabled: true };
      void client.sendNotification(SET_DATA_CHECK, params).catch((e: unknown) => log.warn(`could not turn on the data check of slipway.yaml: ${(e as Error).message}`));
    }),
  );
  log.info(`pipeline language server started (data check ${initializationOptions.dataCheck ? 'on' : 'off until the workspace is trusted'})`);
  return client;
}
