import * as vscode from 'vscode';
import type { S3CredentialsProvider } from '../core/artifacts/index';

const KEY = 'slipway.artifacts.s3-credentials';

interface Stored {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * S3 / MinIO credentials for the artifact store, kept in SecretStorage (never in slipway.yaml or
 * settings). Without them the AWS default chain applies (environment, AWS_PROFILE, ~/.aws).
 */
export class ArtifactCredentials implements vscode.Disposable {
  private current: Stored | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: vscode.LogOutputChannel) {
    this.subscription = secrets.onDidChange((e) => e.key === KEY && void this.load());
  }

  async load(): Promise<void> {
    try {
      const raw = await this.secrets.get(KEY);
      this.current = raw ? (JSON.parse(raw) as Stored) : undefined;
    } catch {
      this.current = undefined;
    }
  }

  /** For the artifact store: asked on every request, so a change applies at once. */
  readonly provider: S3CredentialsProvider = () => (this.current ? { ...this.current } : undefined);

  async prompt(): Promise<void> {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Set access key and secret', value: 'set' },
        { label: 'Remove stored credentials (use the environment / AWS profile)', value: 'clear' },
      ],
      { title: 'S3 / MinIO credentials for the artifact store (kept in VS Code secret storage)' },
    );
    if (!pick) return;
    if (pick.value === 'clear') {
      await this.secrets.delete(KEY);
    } else {
      const accessKeyId = await vscode.window.showInputBox({ title: 'Access key ID', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Enter the access key ID') });
      if (!accessKeyId) return;
      const secretAccessKey = await vscode.window.showInputBox({ title: 'Secret access key', password: true, ignoreFocusOut: true, validateInput: (v) => (v ? undefined : 'Enter the secret') });
      if (!secretAccessKey) return;
      await this.secrets.store(KEY, JSON.stringify({ accessKeyId: accessKeyId.trim(), secretAccessKey }));
    }
    await this.load();
    this.log.info(`artifact store credentials ${pick.value === 'clear' ? 'removed' : 'stored in secret storage'}`);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
