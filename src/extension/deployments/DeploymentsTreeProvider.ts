import * as vscode from 'vscode';
import { loadKube, type Kube } from '../../core/kube/load';
import { loadProject } from '../../core/project/loadProject';
import { statusTargets, type TargetProblem } from '../../core/deploy/targets';
import type { ServingStatus } from '../../core/deploy/types';
import type { StatusGroup } from '../../core/deploy/operate';
import type { ProjectStore } from '../project/ProjectStore';

export type DeploymentsNode =
  | { kind: 'group'; group: StatusGroup }
  | { kind: 'workload'; status: ServingStatus; group: StatusGroup }
  | { kind: 'message'; text: string; detail?: string; error?: boolean; id?: string };

/** What one refresh found: the project, where it looked, and what is deployed there. */
export interface DeploymentsSnapshot {
  readonly project?: string;
  readonly groups: readonly StatusGroup[];
  readonly problems: readonly TargetProblem[];
  /** the project cannot be read, or the Kubernetes client cannot load */
  readonly error?: string;
  readonly loadedAt: number;
}

/** while the view is visible and a rollout is under way, it reloads this often */
export const POLL_MS = 3000;

const ICONS: Record<ServingStatus['status'], vscode.ThemeIcon> = {
  Ready: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  Progressing: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  Failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  Unknown: new vscode.ThemeIcon('question'),
};

/** A version as shown: registry versions as they are, content hashes shortened. */
export function shortVersion(v: string): string {
  return v.length > 12 ? `${v.slice(0, 8)}…` : v;
}

/** "v3 · 2/2 ready · canary 10%", plus the state when it is not Ready. */
export function describeStatus(s: ServingStatus): string {
  return [
    s.modelVersion ? `v${shortVersion(s.modelVersion)}` : '',
    `${s.ready}/${s.desired} ready`,
    s.canaryPercent !== undefined ? `canary ${s.canaryPercent}%` : '',
    s.status !== 'Ready' ? s.status.toLowerCase() : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The contextValue menus key on: kind, and whether a canary can be promoted. */
export function contextValueOf(s: ServingStatus): string {
  const canary = s.kind === 'InferenceService' && s.canaryPercent !== undefined && s.canaryPercent < 100;
  return `slipway.deployment.${s.kind === 'InferenceService' ? 'isvc' : 'deployment'}${canary ? '.canary' : ''}`;
}

/**
 * The Deployments view: one group per "context · namespace" (the project's deploy target and
 * those of `slipway.deployments.namespaces`), then the project's Deployments and
 * InferenceServices there with version, replicas, canary and state. Errors are items, never
 * thrown. The Kubernetes client loads on the first listing, i.e. when the view is opened.
 */
export class DeploymentsTreeProvider implements vscode.TreeDataProvider<DeploymentsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DeploymentsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly loadedEmitter = new vscode.EventEmitter<DeploymentsSnapshot>();
  /** fires after each listing (tests and commands wait on it) */
  readonly onDidLoad = this.loadedEmitter.event;
  private loading: Promise<DeploymentsSnapshot> | undefined;
  private latest: DeploymentsSnapshot | undefined;
  private cancel = new AbortController();
  private poller: NodeJS.Timeout | undefined;
  private visible = false;

  constructor(
    private readonly projects: ProjectStore,
    private readonly log: vscode.LogOutputChannel,
    private readonly kube: () => Kube = loadKube,
  ) {}

  /** The last listing, if any. */
  get snapshot(): DeploymentsSnapshot | undefined {
    return this.latest;
  }

  /** Every workload of the last listing. */
  get workloads(): readonly Extract<DeploymentsNode, { kind: 'workload' }>[] {
    return (this.latest?.groups ?? []).flatMap((group) => group.items.map((status) => ({ kind: 'workload' as const, status, group })));
  }

  /** Drops the listing and asks the view to list again (what `slipway.deployments.refresh` does). */
  refresh(): void {
    this.cancel.abort();
    this.cancel = new AbortController();
    this.loading = undefined;
    this.stopPolling();
    this.changed.fire(undefined);
  }

  /** The view shows or hides: polling runs only while it is visible. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (!visible) return this.stopPolling();
    // shown again: what it shows may be old
    if (this.latest && (Date.now() - this.latest.loadedAt > 30_000 || this.progressing(this.latest))) this.refresh();
  }

  private progressing(s: DeploymentsSnapshot): boolean {
    return s.groups.some((g) => g.items.some((i) => i.status === 'Progressing'));
  }

  private stopPolling(): void {
    if (this.poller) clearTimeout(this.poller);
    this.poller = undefined;
  }

  /** The current listing: the one under way, else a new one. */
  load(): Promise<DeploymentsSnapshot> {
    if (!this.loading) {
      const signal = this.cancel.signal;
      const loading = this.fetch(signal).then((s) => {
        if (this.loading === loading) {
          this.latest = s;
          this.loadedEmitter.fire(s);
          this.stopPolling();
          if (this.visible && this.progressing(s)) this.poller = setTimeout(() => this.refresh(), POLL_MS);
        }
        return s;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  private async fetch(signal: AbortSignal): Promise<DeploymentsSnapshot> {
    const loadedAt = Date.now();
    const active = this.projects.active;
    if (!active) return { groups: [], problems: [], loadedAt };
    let project;
    try {
      project = await loadProject(active.uri.fsPath);
    } catch (e) {
      return { groups: [], problems: [], error: (e as Error).message, loadedAt };
    }
    const entries = vscode.workspace.getConfiguration('slipway', active.uri).get<unknown>('deployments.namespaces', []);
    const { targets, problems } = statusTargets(project.pipeline.deploy, Array.isArray(entries) ? entries : [entries]);
    const name = project.pipeline.name;
    if (targets.length === 0) return { project: name, groups: [], problems, loadedAt };
    let kube: Kube;
    try {
      kube = this.kube();
    } catch (e) {
      this.log.error(`the Kubernetes client did not load: ${(e as Error).message}`);
      return { project: name, groups: [], problems, error: `the Kubernetes client did not load: ${(e as Error).message}`, loadedAt };
    }
    const groups = await kube.statusAll(name, targets, { signal, timeoutMs: 15_000 });
    for (const g of groups) if (g.error && g.errorKind !== 'cancelled') this.log.warn(`deployments: ${g.context} · ${g.namespace}: ${g.error}`);
    return { project: name, groups, problems, loadedAt };
  }

  async getChildren(node?: DeploymentsNode): Promise<DeploymentsNode[]> {
    if (!node) {
      const s = await this.load();
      const nodes: DeploymentsNode[] = [];
      if (s.error) nodes.push({ kind: 'message', text: s.error.split('\n')[0]!, detail: s.error, error: true });
      for (const p of s.problems) nodes.push({ kind: 'message', text: p.message, error: true, id: `problem:${p.entry}` });
      for (const group of s.groups) nodes.push({ kind: 'group', group });
      return nodes;
    }
    if (node.kind !== 'group') return [];
    const g = node.group;
    if (g.error) return [{ kind: 'message', text: g.error.split('\n')[0]!, detail: g.error, error: true, id: `error:${g.context}/${g.namespace}` }];
    if (!g.items.length) return [{ kind: 'message', text: `Nothing of ${this.latest?.project ?? 'this project'} is deployed here`, id: `empty:${g.context}/${g.namespace}` }];
    return g.items.map((status) => ({ kind: 'workload', status, group: g }));
  }

  getTreeItem(node: DeploymentsNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      if (node.id) item.id = node.id;
      item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'info');
      item.tooltip = node.detail ?? node.text;
      if (node.error) {
        item.description = 'click to retry';
        item.command = { command: 'slipway.deployments.refresh', title: 'Retry' };
      }
      item.contextValue = node.error ? 'slipway.deployments.error' : 'slipway.deployments.message';
      return item;
    }
    if (node.kind === 'group') {
      const g = node.group;
      const item = new vscode.TreeItem(`${g.context} · ${g.namespace}`, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${g.context}/${g.namespace}`;
      item.iconPath = new vscode.ThemeIcon(g.error ? 'warning' : 'server-environment');
      item.description = g.error ? 'unavailable' : g.items.length ? `${g.items.length} deployed` : '';
      item.tooltip = new vscode.MarkdownString(
        `Kubernetes context **${g.context}**, namespace **${g.namespace}**\n\n${g.source === 'slipway.yaml' ? 'the `deploy` target of slipway.yaml' : 'from the setting `slipway.deployments.namespaces`'}`,
      );
      item.contextValue = 'slipway.deployments.group';
      return item;
    }
    const s = node.status;
    const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.None);
    item.id = `workload:${s.context}/${s.namespace}/${s.kind}/${s.name}`;
    item.iconPath = ICONS[s.status];
    item.description = describeStatus(s);
    const lines = [
      `**${s.name}** — ${s.kind} in ${s.namespace} (context ${s.context})`,
      `status: **${s.status}**${s.message ? ` — ${s.message}` : ''}`,
      s.model && `model: ${s.model}${s.modelVersion ? ` version \`${s.modelVersion}\`` : ''}`,
      !s.model && s.modelVersion && `version \`${s.modelVersion}\``,
      s.image && `image: \`${s.image}\``,
      `replicas: ${s.ready} of ${s.desired} ready`,
      s.canaryPercent !== undefined && `canary: ${s.canaryPercent}% of the traffic to the newest version`,
      s.gateOverride && `$(warning) gate override: ${s.gateOverride}`,
    ];
    item.tooltip = new vscode.MarkdownString(lines.filter(Boolean).join('\n\n'), true);
    item.contextValue = contextValueOf(s);
    return item;
  }

  dispose(): void {
    this.cancel.abort();
    this.stopPolling();
    this.changed.dispose();
    this.loadedEmitter.dispose();
  }
}
