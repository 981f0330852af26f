import * as vscode from 'vscode';
import { loadKube, type Kube } from '../../core/kube/load';
import type { WorkloadRef } from '../../core/kube/bundle';
import type { ServingStatus } from '../../core/deploy/types';

export const DEPLOY_LOG_SCHEME = 'slipway-deploy-log';
/** the document keeps the newest text up to this size */
const MAX_SHOWN = 2 * 1024 * 1024;
/** lines of each pod's past shown when the stream starts */
const TAIL_LINES = 1000;

type Target = WorkloadRef & { readonly context: string };

export function deploymentLogUri(s: Pick<ServingStatus, 'kind' | 'name' | 'namespace' | 'context'>): vscode.Uri {
  const query = new URLSearchParams({ context: s.context, namespace: s.namespace, kind: s.kind, name: s.name }).toString();
  return vscode.Uri.from({ scheme: DEPLOY_LOG_SCHEME, path: `/${s.namespace}/${s.name}.log`, query });
}

function targetOf(uri: vscode.Uri): Target | undefined {
  const q = new URLSearchParams(uri.query);
  const kind = q.get('kind');
  const name = q.get('name');
  const namespace = q.get('namespace');
  if ((kind !== 'Deployment' && kind !== 'InferenceService') || !name || !namespace) return undefined;
  return { kind, name, namespace, context: q.get('context') ?? '' };
}

interface Stream {
  text: string;
  dropped: number;
  state: 'starting' | 'following' | 'ended' | 'failed' | 'stopped';
  message?: string;
  pods: readonly string[];
  abort: AbortController;
}

/**
 * A workload's pod logs as a read-only document that follows them live: the stream starts when
 * the document opens and stops when its editor closes (reopening starts it again).
 */
export class DeploymentLogProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly streams = new Map<string, Stream>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly kube: () => Kube = loadKube,
  ) {
    this.subscriptions = [
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === DEPLOY_LOG_SCHEME) this.stop(d.uri, true);
      }),
      // a closed editor keeps its document a while: stop on the tab, restart if it comes back
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        const shown = new Set(vscode.window.tabGroups.all.flatMap((g) => g.tabs).flatMap((t) => (t.input instanceof vscode.TabInputText ? [t.input.uri.toString()] : [])));
        for (const tab of e.closed) {
          if (tab.input instanceof vscode.TabInputText && tab.input.uri.scheme === DEPLOY_LOG_SCHEME && !shown.has(tab.input.uri.toString())) this.stop(tab.input.uri, false);
        }
        for (const tab of e.opened) {
          if (tab.input instanceof vscode.TabInputText && tab.input.uri.scheme === DEPLOY_LOG_SCHEME && this.streams.get(tab.input.uri.toString())?.state === 'stopped') {
            this.streams.delete(tab.input.uri.toString());
            this.changed.fire(tab.input.uri);
          }
        }
      }),
    ];
  }

  /** Whether the logs of `uri` are being followed now (tests). */
  isFollowing(uri: vscode.Uri): boolean {
    const s = this.streams.get(uri.toString());
    return s?.state === 'following' || s?.state === 'starting';
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const target = targetOf(uri);
    if (!target) return `Not a workload: ${uri.toString()}`;
    const s = this.streams.get(uri.toString()) ?? this.start(uri, target);
    const what = `${target.kind} ${target.namespace}/${target.name}`;
    const head = s.dropped ? `[… ${s.dropped} earlier characters not shown …]\n` : '';
    const pods = s.pods.length ? ` (${s.pods.length === 1 ? `pod ${s.pods[0]}` : `${s.pods.length} pods`})` : '';
    const footer =
      s.state === 'starting'
        ? `── connecting to ${what} in ${target.context}… ──`
        : s.state === 'following'
          ? `── following ${what}${pods} · close this editor to stop ──`
          : s.state === 'ended'
            ? `── the logs of ${what}${pods} ended: the pods stopped or were replaced; Show Logs again follows the new ones ──`
            : s.state === 'stopped'
              ? `── stopped following ${what} ──`
              : `── ${s.message} ──`;
    return `${head}${s.text}${s.text && !s.text.endsWith('\n') ? '\n' : ''}\n${footer}\n`;
  }

  private start(uri: vscode.Uri, target: Target): Stream {
    const s: Stream = { text: '', dropped: 0, state: 'starting', pods: [], abort: new AbortController() };
    const key = uri.toString();
    this.streams.set(key, s);
    void (async () => {
      try {
        const kube = this.kube();
        const client = new kube.DeployClient(target.context ? { context: target.context } : {});
        s.state = 'following';
        const r = await kube.streamLogs(client, target, {
          follow: true,
          tailLines: TAIL_LINES,
          signal: s.abort.signal,
          onPods: (pods) => {
            s.pods = pods;
            this.changed.fire(uri);
          },
          onText: (t) => {
            s.text += t;
            if (s.text.length > MAX_SHOWN) {
              const cut = s.text.length - MAX_SHOWN;
              s.dropped += cut;
              s.text = s.text.slice(cut);
            }
            this.fireSoon(uri);
          },
        });
        s.pods = r.pods;
        if (s.state === 'following') s.state = 'ended';
      } catch (e) {
        if (s.state !== 'stopped') {
          s.state = 'failed';
          s.message = `Slipway could not read the logs of ${target.kind} ${target.namespace}/${target.name}: ${(e as Error).message}`;
          this.log.warn(s.message);
        }
      }
      this.changed.fire(uri);
    })();
    return s;
  }

  /** Changes come in bursts: one refresh of the editor per 200 ms. */
  private fireSoon(uri: vscode.Uri): void {
    const key = uri.toString();
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.changed.fire(uri);
      }, 200),
    );
  }

  private stop(uri: vscode.Uri, forget: boolean): void {
    const key = uri.toString();
    const s = this.streams.get(key);
    if (!s) return;
    if (s.state === 'following' || s.state === 'starting') {
      s.state = 'stopped';
      s.abort.abort();
      this.log.info(`stopped following the logs of ${uri.path}`);
    }
    if (forget) this.streams.delete(key);
    // a document still in memory says it no longer follows
    else this.changed.fire(uri);
  }

  dispose(): void {
    for (const s of this.streams.values()) s.abort.abort();
    for (const t of this.pending.values()) clearTimeout(t);
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
