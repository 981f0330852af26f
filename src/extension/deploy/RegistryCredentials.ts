import * as vscode from 'vscode';
import type { RegistryAuth } from '../../core/deploy/image';

const KEY = (server: string) => `slipway.registry/${server}`;

/** Container registry credentials per registry host, in SecretStorage only (never settings or logs). */
export class RegistryCredentials {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async get(server: string): Promise<RegistryAuth | undefined> {
    const raw = await this.secrets.get(KEY(server));
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as { username?: unknown; password?: unknown };
      if (typeof v.username === 'string' && typeof v.password === 'string') return { username: v.username, password: v.password, serveraddress: server };
    } catch {
      // unreadable: asked again
    }
    this.log.warn(`the stored credentials for ${server} are unreadable; set them again (Slipway: Set Container Registry Credentials)`);
    return undefined;
  }

  async set(server: string, auth: { username: string; password: string }): Promise<void> {
    await this.secrets.store(KEY(server), JSON.stringify({ username: auth.username, password: auth.password }));
    this.log.info(`stored credentials for the container registry ${server} (user ${auth.username}) in secret storage`);
  }

  async clear(server: string): Promise<void> {
    await this.secrets.delete(KEY(server));
  }

  /** Asks for the registry host (pre-filled), user name and password or token. */
  async prompt(defaultServer?: string): Promise<string | undefined> {
    const server = await vscode.window.showInputBox({
      title: 'Container registry credentials (1/3)',
      prompt: 'Registry host the serving image is pushed to',
      value: defaultServer ?? '',
      placeHolder: 'registry.example.com or 127.0.0.1:5000',
      ignoreFocusOut: true,
      validateInput: (v) => (/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(v.trim()) ? undefined : 'a host name, optionally with :port (no scheme, no path)'),
    });
    if (!server) return undefined;
    const username = await vscode.window.showInputBox({ title: `Container registry credentials (2/3): ${server}`, prompt: 'User name', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'required') });
    if (!username) return undefined;
    const password = await vscode.window.showInputBox({ title: `Container registry credentials (3/3): ${server}`, prompt: 'Password or access token (kept in VS Code secret storage)', password: true, ignoreFocusOut: true, validateInput: (v) => (v ? undefined : 'required') });
    if (!password) return undefined;
    await this.set(server.trim(), { username: username.trim(), password });
    void vscode.window.showInformationMessage(`Slipway stored the credentials for ${server.trim()} in secret storage.`);
    return server.trim();
  }
}
