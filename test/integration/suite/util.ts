import * as vscode from 'vscode';
import type { SlipwayApi } from '../../../src/extension/activate';

export const EXTENSION_ID = 'slipway.slipway';

/** Waits until `probe` returns a truthy value, or fails with `what` after `ms`. */
export async function eventually<T>(probe: () => T | Promise<T>, what: string, ms = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The extension's API once VS Code activated it by itself (workspaceContains), never forced. */
export async function slipway(): Promise<SlipwayApi> {
  const ext = vscode.extensions.getExtension<SlipwayApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  await eventually(() => ext.isActive, 'the extension to activate on the workspace');
  return ext.exports;
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder');
  return folder.uri;
}
