import * as vscode from 'vscode';
import { loadProject, type LoadedProject } from '../../core/project/loadProject';
import { checkFeatureTypes, FeatureInputError, viewFreshness, type FeatureProblem, type FeatureStats, type FetchToLocal, type ViewFreshness } from '../../core/features/index';
import type { ProjectStore } from '../project/ProjectStore';
import { errorDescription, freshnessText, freshnessTooltip, shapeFeatures, statsSummary, type EntityGroup, type ViewInfo } from './model';
import type { FeatureSession } from './session';

/** per view: how long its freshness may take (the source's files are scanned for max(timestamp)) */
export const FRESHNESS_TIMEOUT_MS = 60_000;
const CHECK_TIMEOUT_MS = 60_000;

export type Freshness = { readonly state: 'pending' } | { readonly state: 'ok'; readonly freshness: ViewFreshness } | { readonly state: 'error'; readonly message: string };

export type FeatureNode =
  | { readonly kind: 'message'; readonly text: string; readonly detail?: string; readonly severity: 'info' | 'warning' | 'error'; readonly command?: vscode.Command }
  | { readonly kind: 'entity'; readonly group: EntityGroup }
  | { readonly kind: 'view'; readonly view: ViewInfo }
  | { readonly kind: 'feature'; readonly view: ViewInfo; readonly name: string; readonly type: string };

/** What the tree was built from: one load of the active project. */
interface Loaded {
  /** undefined when slipway.yaml could not be read */
  readonly project?: LoadedProject;
  readonly roots: FeatureNode[];
  readonly viewNodes: Map<string, Extract<FeatureNode, { kind: 'view' }>>;
  readonly featureNodes: Map<string, Extract<FeatureNode, { kind: 'feature' }>>;
  readonly freshness: Map<string, Freshness>;
  /** type problems of the data, by view and feature */
  readonly problems: Map<string, FeatureProblem[]>;
  /** the freshness pass: done when every view has its answer */
  readonly computed: Promise<void>;
}

export interface FeaturesTreeDeps {
  readonly projects: ProjectStore;
  readonly session: FeatureSession;
  readonly log: vscode.LogOutputChannel;
  /** reads s3:// sources (the artifact store), for a project */
  readonly fetchToLocal?: (project: LoadedProject) => FetchToLocal | undefined;
}

const featureKey = (view: string, feature: string) => `${view}\u0000${feature}`;

const TYPE_ICONS: Record<string, string> = { int64: 'symbol-number', float64: 'symbol-number', string: 'symbol-string', bool: 'symbol-boolean', timestamp: 'calendar' };

/**
 * The Features view: entities (join keys) → feature views (freshness: latest event against the
 * ttl) → features (type, and statistics once computed). Freshness is computed for every view when
 * the tree loads, one view at a time on the shared DuckDB session, each under a deadline.
 */
export class FeaturesTreeProvider implements vscode.TreeDataProvider<FeatureNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FeatureNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private loaded: Promise<Loaded | undefined> | undefined;
  private cancel = new AbortController();
  /** one-line statistics summaries, by view and feature */
  private readonly stats = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** the loaded state once loading finished (getTreeItem is synchronous) */
  private settled: Loaded | undefined;

  constructor(private readonly deps: FeaturesTreeDeps) {}

  /** Forgets what was loaded (stopping a running freshness pass) and loads again when the tree asks. */
  refresh(): void {
    this.cancel.abort(new Error('refreshed'));
    this.cancel = new AbortController();
    this.loaded = undefined;
    this.settled = undefined;
    this.stats.clear();
    this.changed.fire(undefined);
  }

  /** Loads the tree if needed and waits until every view's freshness is known (tests, commands). */
  async whenLoaded(): Promise<void> {
    const loaded = await this.load();
    await loaded?.computed;
  }

  /** A view's freshness, as the tree shows it (undefined: no such view, or not loaded). */
  async freshnessOf(view: string): Promise<Freshness | undefined> {
    return (await this.load())?.freshness.get(view);
  }

  /** Finds the node of a view, or of a view's feature (commands called with names). */
  async nodeOf(view: string, feature?: string): Promise<FeatureNode | undefined> {
    const loaded = await this.load();
    return feature === undefined ? loaded?.viewNodes.get(view) : loaded?.featureNodes.get(featureKey(view, feature));
  }

  /** Puts a feature's statistics on its item (description and tooltip). */
  setStats(stats: FeatureStats): void {
    const key = featureKey(stats.view, stats.feature);
    this.stats.set(key, statsSummary(stats));
    void this.loaded?.then((l) => {
      const node = l?.featureNodes.get(key);
      if (node) this.changed.fire(node);
    });
  }

  private load(): Promise<Loaded | undefined> {
    const signal = this.cancel.signal;
    this.loaded ??= this.read(signal).then((l) => {
      if (!signal.aborted) this.settled = l;
      return l;
    });
    return this.loaded;
  }

  private async read(signal: AbortSignal): Promise<Loaded | undefined> {
    const active = this.deps.projects.active;
    if (!active) return undefined;
    let project: LoadedProject;
    try {
      project = await loadProject(active.uri.fsPath);
    } catch (e) {
      const message: FeatureNode = { kind: 'message', text: (e as Error).message, severity: 'error', command: { command: 'slipway.features.refresh', title: 'Retry' } };
      return { roots: [message], viewNodes: new Map(), featureNodes: new Map(), freshness: new Map(), problems: new Map(), computed: Promise.resolve() };
    }
    const groups = shapeFeatures(project.pipeline.features);
    const roots: FeatureNode[] = [];
    const errors = project.errors;
    if (errors.length) {
      roots.push({
        kind: 'message',
        text: `${active.relativePath} has ${errors.length} error${errors.length > 1 ? 's' : ''}: the tree may be incomplete`,
        detail: errors.slice(0, 5).map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join('\n') + (errors.length > 5 ? `\n… and ${errors.length - 5} more` : ''),
        severity: 'error',
        command: { command: 'workbench.actions.view.problems', title: 'Show Problems' },
      });
    }
    const viewNodes = new Map<string, Extract<FeatureNode, { kind: 'view' }>>();
    const featureNodes = new Map<string, Extract<FeatureNode, { kind: 'feature' }>>();
    for (const group of groups) {
      roots.push({ kind: 'entity', group });
      for (const view of group.views) {
        viewNodes.set(view.name, { kind: 'view', view });
        for (const f of view.features) featureNodes.set(featureKey(view.name, f.name), { kind: 'feature', view, name: f.name, type: f.type });
      }
    }
    if (!groups.length && Object.keys(project.pipeline.features.sources).length) {
      roots.push({ kind: 'message', text: 'features declares sources but no entity or view yet', severity: 'info', command: { command: 'slipway.project.reveal', title: 'Open', arguments: ['features'] } });
    }
    const freshness = new Map<string, Freshness>([...viewNodes.keys()].map((v) => [v, { state: 'pending' } as const]));
    const problems = new Map<string, FeatureProblem[]>();
    const loaded = { project, roots, viewNodes, featureNodes, freshness, problems, computed: Promise.resolve() };
    // shown before the freshness pass repaints it view by view
    if (!signal.aborted) this.settled = loaded;
    if (viewNodes.size) loaded.computed = this.compute(loaded, signal);
    return loaded;
  }

  /** The data's type problems, then each view's freshness; every answer repaints its node. */
  private async compute(loaded: Loaded & { project: LoadedProject }, signal: AbortSignal): Promise<void> {
    const { project } = loaded;
    const fetchToLocal = this.deps.fetchToLocal?.(project);
    await vscode.window.withProgress({ location: { viewId: 'slipway.features' } }, async () => {
      try {
        const found = await this.deps.session.run('checking the feature types', CHECK_TIMEOUT_MS, signal, (db, s) => checkFeatureTypes(project, { db, signal: s, ...(fetchToLocal ? { fetchToLocal } : {}) }));
        if (signal.aborted) return;
        for (const p of found) {
          if (!p.view || !p.feature) continue;
          const key = featureKey(p.view, p.feature);
          loaded.problems.set(key, [...(loaded.problems.get(key) ?? []), p]);
          const node = loaded.featureNodes.get(key);
          if (node) this.changed.fire(node);
        }
      } catch (e) {
        if (signal.aborted) return;
        // the freshness pass below reports unreadable sources view by view
        this.deps.log.warn(`features: type check: ${(e as Error).message}`);
      }
      for (const [name, node] of loaded.viewNodes) {
        if (signal.aborted) return;
        let answer: Freshness;
        try {
          const freshness = await this.deps.session.run(`freshness of ${name}`, FRESHNESS_TIMEOUT_MS, signal, (db, s) => viewFreshness(project, name, new Date(), { db, signal: s, ...(fetchToLocal ? { fetchToLocal } : {}) }));
          answer = { state: 'ok', freshness };
        } catch (e) {
          if (signal.aborted) return;
          const message = (e as Error).message;
          if (!(e instanceof FeatureInputError)) this.deps.log.error(`features: freshness of ${name}: ${(e as Error).stack ?? message}`);
          answer = { state: 'error', message };
        }
        loaded.freshness.set(name, answer);
        this.changed.fire(node);
      }
    });
  }

  getTreeItem(node: FeatureNode): vscode.TreeItem {
    switch (node.kind) {
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.severity);
        item.tooltip = node.detail ?? node.text;
        if (node.command) item.command = node.command;
        item.contextValue = 'slipway.feature.message';
        return item;
      }
      case 'entity':
        return this.entityItem(node.group);
      case 'view':
        return this.viewItem(node);
      case 'feature':
        return this.featureItem(node);
    }
  }

  private entityItem(g: EntityGroup): vscode.TreeItem {
    const declared = g.joinKeys !== undefined;
    const item = new vscode.TreeItem(declared ? g.name : `(unknown entity ${g.name})`, g.views.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = `${declared ? 'entity' : 'unknown-entity'}:${g.name}`;
    const views = `${g.views.length} view${g.views.length === 1 ? '' : 's'}`;
    if (declared) {
      item.iconPath = new vscode.ThemeIcon('symbol-class');
      item.description = g.views.length ? g.joinKeys!.join(', ') : `${g.joinKeys!.join(', ')} · no views`;
      item.tooltip = new vscode.MarkdownString(`**${g.name}** · join keys: ${g.joinKeys!.map((k) => `\`${k}\``).join(', ') || 'none'} · ${views}`);
      item.contextValue = 'slipway.feature.entity';
    } else {
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.description = `not in features.entities · ${views}`;
      item.tooltip = new vscode.MarkdownString(`The entity \`${g.name}\` is used by ${g.views.map((v) => `\`${v.name}\``).join(', ')} but not declared under \`features.entities\`: declare it with its join keys.`);
      item.contextValue = 'slipway.feature.entity.unknown';
    }
    return item;
  }

  private viewItem(node: Extract<FeatureNode, { kind: 'view' }>): vscode.TreeItem {
    const v = node.view;
    const item = new vscode.TreeItem(v.name, v.features.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `view:${v.name}`;
    const f = this.settled?.freshness.get(v.name) ?? { state: 'pending' };
    const head = `**${v.name}** · entity \`${v.entity}\` · source \`${v.source}\` (${v.sourcePath ?? 'not declared'})`;
    if (f.state === 'pending') {
      item.iconPath = new vscode.ThemeIcon('loading~spin');
      item.description = 'computing freshness…';
      item.tooltip = new vscode.MarkdownString(head);
      item.contextValue = 'slipway.feature.view';
    } else if (f.state === 'error') {
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      item.description = errorDescription(f.message);
      const md = new vscode.MarkdownString(`${head}\n\n`);
      md.appendText(f.message);
      item.tooltip = md;
      item.contextValue = 'slipway.feature.view.error';
    } else {
      const fr = f.freshness;
      item.iconPath = fr.stale ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('table');
      item.description = freshnessText(fr, v.ttl);
      item.tooltip = new vscode.MarkdownString(freshnessTooltip(v, fr).join('\n\n'));
      item.contextValue = fr.stale ? 'slipway.feature.view.stale' : 'slipway.feature.view';
    }
    item.command = { command: 'slipway.features.goToDefinition', title: 'Go to Definition', arguments: [node] };
    return item;
  }

  private featureItem(node: Extract<FeatureNode, { kind: 'feature' }>): vscode.TreeItem {
    const key = featureKey(node.view.name, node.name);
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.id = `feature:${node.view.name}:${node.name}`;
    const problems = this.settled?.problems.get(key) ?? [];
    const worst = problems.find((p) => p.severity === 'error') ?? problems[0];
    const stats = this.stats.get(key);
    item.iconPath = worst
      ? new vscode.ThemeIcon(worst.severity === 'error' ? 'error' : 'warning', new vscode.ThemeColor(worst.severity === 'error' ? 'list.errorForeground' : 'list.warningForeground'))
      : new vscode.ThemeIcon(TYPE_ICONS[node.type] ?? 'symbol-field');
    item.description = [node.type, worst ? (worst.code === 'missing-column' ? 'no such column' : `column is ${worst.actual ?? '?'}`) : '', stats ?? ''].filter(Boolean).join(' · ');
    const md = new vscode.MarkdownString(`**${node.view.name}:${node.name}** · ${node.type}`);
    for (const p of problems) md.appendMarkdown('\n\n').appendText(`${p.severity}: ${p.message}`);
    md.appendMarkdown('\n\n').appendText(stats ? `statistics: ${stats}` : 'Show Statistics computes rows, nulls, distinct values, range and a histogram.');
    item.tooltip = md;
    item.contextValue = 'slipway.feature.feature';
    item.command = { command: 'slipway.features.goToDefinition', title: 'Go to Definition', arguments: [node] };
    return item;
  }

  async getChildren(node?: FeatureNode): Promise<FeatureNode[]> {
    const loaded = await this.load();
    if (!loaded) return [];
    if (!node) return loaded.roots;
    if (node.kind === 'entity') return node.group.views.map((v) => loaded.viewNodes.get(v.name) ?? { kind: 'view', view: v });
    if (node.kind === 'view') return node.view.features.map((f) => loaded.featureNodes.get(featureKey(node.view.name, f.name)) ?? { kind: 'feature', view: node.view, name: f.name, type: f.type });
    return [];
  }

  dispose(): void {
    this.cancel.abort(new Error('the Features view was closed'));
    for (const d of this.disposables) d.dispose();
  }
}
