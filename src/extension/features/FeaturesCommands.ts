import * as vscode from 'vscode';
import { parsePipeline } from '../../core/pipeline/index';
import { pythonSnippet, type FeatureStats } from '../../core/features/index';
import type { LoadedProject } from '../../core/project/loadProject';
import type { ProjectStore } from '../project/ProjectStore';
import type { FeatureNode, FeaturesTreeProvider } from './FeaturesTreeProvider';
import { FeaturesPanel, type FeaturesPanelDeps } from './FeaturesPanel';
import { definitionPath, type DefinitionTarget } from './model';

export interface FeaturesCommandDeps {
  readonly projects: ProjectStore;
  readonly tree: FeaturesTreeProvider;
  readonly panels: FeaturesPanelDeps;
  readonly log: vscode.LogOutputChannel;
}

/** What `slipway.features.showStats` did: the panel showing the statistics, and them (undefined when they could not be computed; the panel says why). */
export interface ShowStatsResult {
  readonly panel: FeaturesPanel;
  readonly stats?: FeatureStats;
}

const NO_PROJECT = 'This workspace has no slipway.yaml. Create one with "Slipway: New Project".';

/** A tree node, `{ view, feature }`, or "view:feature" (the palette and tests name things). */
type Arg = FeatureNode | { view: string; feature?: string; entity?: undefined } | { entity: string; view?: undefined } | string | undefined;

function targetOf(arg: Arg): DefinitionTarget | undefined {
  if (typeof arg === 'string') {
    const [view, feature] = arg.split(':', 2);
    if (!view) return undefined;
    return feature ? { kind: 'feature', view, feature } : { kind: 'view', view };
  }
  if (!arg || typeof arg !== 'object') return undefined;
  if ('kind' in arg) {
    switch (arg.kind) {
      case 'entity':
        return { kind: 'entity', entity: arg.group.name, declared: arg.group.joinKeys !== undefined, ...(arg.group.views[0] ? { firstView: arg.group.views[0].name } : {}) };
      case 'view':
        return { kind: 'view', view: arg.view.name };
      case 'feature':
        return { kind: 'feature', view: arg.view.name, feature: arg.name };
      default:
        return undefined;
    }
  }
  if (typeof arg.entity === 'string') return { kind: 'entity', entity: arg.entity, declared: true };
  if (typeof arg.view !== 'string') return undefined;
  return 'feature' in arg && typeof arg.feature === 'string' ? { kind: 'feature', view: arg.view, feature: arg.feature } : { kind: 'view', view: arg.view };
}

async function requireProject(deps: FeaturesCommandDeps): Promise<LoadedProject | undefined> {
  const project = await deps.panels.project();
  if (!project) {
    const pick = await vscode.window.showInformationMessage(NO_PROJECT, 'New Project');
    if (pick) await vscode.commands.executeCommand('slipway.init');
  }
  return project;
}

/** The view (and feature) to act on: from the argument, else picked from the project's views. */
async function pick(deps: FeaturesCommandDeps, arg: Arg, wantFeature: boolean): Promise<{ view: string; feature?: string } | undefined> {
  const t = targetOf(arg);
  if (t?.kind === 'feature') return wantFeature ? { view: t.view, feature: t.feature } : { view: t.view };
  if (t?.kind === 'view' && !wantFeature) return { view: t.view };
  const project = await requireProject(deps);
  if (!project) return undefined;
  const views = Object.entries(project.pipeline.features.views).filter(([name]) => t?.kind !== 'view' || name === t.view);
  const items = views.flatMap(([view, v]): (vscode.QuickPickItem & { view: string; feature?: string })[] =>
    wantFeature
      ? Object.entries(v.features).map(([feature, type]) => ({ label: `${view}:${feature}`, description: type, view, feature }))
      : [{ label: view, description: `entity ${v.entity} · source ${v.source}`, view }],
  );
  if (!items.length) {
    const go = await vscode.window.showInformationMessage(`${vscode.workspace.asRelativePath(project.path)} declares no feature view (features.views).`, 'Open slipway.yaml');
    if (go) await vscode.commands.executeCommand('slipway.project.reveal', 'features');
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(items, { title: wantFeature ? 'Statistics of which feature?' : 'Preview which feature view?' });
  return chosen && (chosen.feature ? { view: chosen.view, feature: chosen.feature } : { view: chosen.view });
}

/** slipway.features.*: refresh, statistics, preview, the Python snippet, go to definition. */
export function registerFeaturesCommands(deps: FeaturesCommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('slipway.features.refresh', async () => {
      deps.tree.refresh();
      await deps.tree.whenLoaded();
    }),

    vscode.commands.registerCommand('slipway.features.showStats', async (arg?: Arg): Promise<ShowStatsResult | undefined> => {
      const target = await pick(deps, arg, true);
      if (!target?.feature) return undefined;
      const panel = FeaturesPanel.show(deps.panels, target.view);
      const stats = await panel.showStats(target.feature);
      return { panel, ...(stats ? { stats } : {}) };
    }),

    vscode.commands.registerCommand('slipway.features.preview', async (arg?: Arg): Promise<FeaturesPanel | undefined> => {
      const target = await pick(deps, arg, false);
      if (!target) return undefined;
      const open = FeaturesPanel.panels.find((p) => p.view === target.view);
      const panel = FeaturesPanel.show(deps.panels, target.view);
      // an open panel is revealed and read again: the data may have changed
      if (open) void panel.loadPreview();
      return panel;
    }),

    vscode.commands.registerCommand('slipway.features.copySnippet', async (): Promise<string | undefined> => {
      const project = await requireProject(deps);
      if (!project) return undefined;
      const snippet = pythonSnippet(project);
      await vscode.env.clipboard.writeText(snippet);
      const what = project.pipeline.training?.dataset ? 'Python that loads the training set (slipway features build writes it)' : 'Python that loads the feature sources (slipway.yaml has no training.dataset yet)';
      void vscode.window.showInformationMessage(`Copied to the clipboard: ${what}.`);
      return snippet;
    }),

    vscode.commands.registerCommand('slipway.features.goToDefinition', async (arg?: Arg): Promise<vscode.Range | undefined> => {
      const active = deps.projects.active;
      if (!active) {
        void vscode.window.showInformationMessage(NO_PROJECT);
        return undefined;
      }
      const target = targetOf(arg);
      const where = target && definitionPath(target);
      const document = await vscode.workspace.openTextDocument(active.uri);
      // the document's text: with unsaved edits, the ranges are where the editor shows them
      const parsed = parsePipeline(document.getText(), { path: active.uri.fsPath });
      const range = where && parsed.rangeOf(where.path, where.part);
      const editor = await vscode.window.showTextDocument(document);
      if (!range) {
        const name = target ? (target.kind === 'entity' ? target.entity : target.kind === 'view' ? target.view : `${target.view}:${target.feature}`) : 'the item';
        deps.log.info(`features: ${name} is not in ${active.relativePath} anymore`);
        void vscode.window.showInformationMessage(`${active.relativePath} has no ${name} anymore: refresh the Features view.`);
        return undefined;
      }
      const r = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
      editor.selection = new vscode.Selection(r.start, r.end);
      editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return r;
    }),
  ];
}
