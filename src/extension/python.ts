import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';

/** The interpreter selected in the Python extension for `resource`, or undefined when it is not installed. */
export async function selectedPython(resource: vscode.Uri | undefined, log: vscode.LogOutputChannel): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  try {
    const api = await PythonExtension.api();
    const active = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch (e) {
    log.warn(`cannot ask the Python extension for the interpreter: ${(e as Error).message}`);
    return undefined;
  }
}
