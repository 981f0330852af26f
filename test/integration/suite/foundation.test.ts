import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { EXTENSION_ID, eventually, slipway, workspaceRoot } from './util';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string; name: string }[]>;
    viewsContainers: { activitybar: { id: string; title: string }[] };
    viewsWelcome: { view: string }[];
  };
}
const manifest = () => vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Manifest;

describe('Foundation: the extension in real VS Code', () => {
  it('activates by itself on the example workspace and finds its project', async () => {
    const api = await slipway();
    const active = await eventually(() => api.projects.active, 'the active project');
    assert.equal(active.name, 'churn');
    assert.equal(active.relativePath, 'slipway.yaml');
  });

  it('contributes the Slipway container with its five views, each with welcome content', async () => {
    const m = manifest();
    assert.deepEqual(m.contributes.viewsContainers.activitybar.map((c) => c.title), ['Slipway']);
    const views = m.contributes.views['slipway']!.map((v) => v.name);
    assert.deepEqual(views, ['Experiments', 'Models', 'Features', 'Jobs', 'Deployments']);
    for (const v of m.contributes.views['slipway']!) {
      assert.ok(m.contributes.viewsWelcome.some((w) => w.view === v.id), `${v.id} has welcome content`);
      // the workbench registers a focus command per view it knows; running it opens the container
      await vscode.commands.executeCommand(`${v.id}.focus`);
    }
    await vscode.commands.executeCommand('workbench.view.extension.slipway');
  });

  it('registers every command it declares, and declares every command it registers', async () => {
    await slipway();
    const declared = manifest().contributes.commands.map((c) => c.command).sort();
    // the workbench adds <view>.focus/.resetViewLocation/... for each view: those are not ours to declare
    const viewCommand = /^slipway\.(experiments|models|features|jobs|deployments)\.(focus|resetViewLocation|toggleVisibility|removeView|open)$/;
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('slipway.') && !viewCommand.test(c));
    for (const c of declared) assert.ok(registered.includes(c), `${c} is registered`);
    const undeclared = registered.filter((c) => !declared.includes(c));
    assert.deepEqual(undeclared, []);
  });

  it('slipway.project.reveal opens slipway.yaml at the asked section', async () => {
    await slipway();
    await vscode.commands.executeCommand('slipway.project.reveal', 'training');
    const editor = await eventually(() => vscode.window.activeTextEditor, 'an editor');
    assert.ok(editor.document.uri.path.endsWith('/slipway.yaml'));
    assert.equal(editor.document.getText(editor.selection), 'training');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('slipway.init writes slipway.yaml, src/train.py and .gitignore into a new folder', async () => {
    await slipway();
    const dir = mkdtempSync(join(tmpdir(), 'slipway-init-'));
    writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
    const result = (await vscode.commands.executeCommand('slipway.init', { folder: vscode.Uri.file(dir), name: 'fresh-model', open: false })) as {
      files: { path: string; outcome: string }[];
    };
    assert.deepEqual(result.files.map((f) => `${f.path}:${f.outcome}`), ['slipway.yaml:created', 'src/train.py:created', '.gitignore:merged']);
    assert.match(readFileSync(join(dir, 'slipway.yaml'), 'utf8'), /^name: fresh-model\b/m);
    assert.ok(existsSync(join(dir, 'src/train.py')));
    const gitignore = readFileSync(join(dir, '.gitignore'), 'utf8');
    assert.ok(gitignore.startsWith('node_modules\n') && gitignore.includes('mlruns/'));
  });

  it('slipway.init never overwrites an existing file unless told to', async () => {
    await slipway();
    const dir = mkdtempSync(join(tmpdir(), 'slipway-init-'));
    await vscode.commands.executeCommand('slipway.init', { folder: dir, name: 'one', open: false });
    writeFileSync(join(dir, 'slipway.yaml'), 'version: 1\nname: mine\n');
    const kept = (await vscode.commands.executeCommand('slipway.init', { folder: dir, name: 'two', overwrite: 'never', open: false })) as {
      files: { outcome: string }[];
    };
    assert.equal(kept.files[0]!.outcome, 'kept');
    assert.equal(readFileSync(join(dir, 'slipway.yaml'), 'utf8'), 'version: 1\nname: mine\n');
    await vscode.commands.executeCommand('slipway.init', { folder: dir, name: 'two', overwrite: 'always', open: false });
    assert.match(readFileSync(join(dir, 'slipway.yaml'), 'utf8'), /^name: two\b/m);
  });

  it('follows pipeline files appearing and disappearing in the workspace', async () => {
    const api = await slipway();
    const extra = vscode.Uri.joinPath(workspaceRoot(), 'extra.slipway.yaml');
    await vscode.workspace.fs.writeFile(extra, new TextEncoder().encode('version: 1\nname: extra\n'));
    await eventually(() => api.projects.all.some((u) => u.path.endsWith('/extra.slipway.yaml')), 'the new pipeline file to be seen');
    assert.equal(api.projects.active?.name, 'churn', 'slipway.yaml stays the active one');
    await vscode.workspace.fs.delete(extra);
    await eventually(() => !api.projects.all.some((u) => u.path.endsWith('/extra.slipway.yaml')), 'the deleted pipeline file to go');
  });
});
