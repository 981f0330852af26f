import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, slipway, workspaceRoot } from './util';

const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? d.code.value : d.code);

describe('Pipeline file: the language server in real VS Code', () => {
  let uri: vscode.Uri;
  before(async () => {
    await slipway();
    uri = vscode.Uri.joinPath(workspaceRoot(), 'slipway.yaml');
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('reports nothing on the example, then the exact problem when it is broken', async () => {
    const editor = await vscode.window.showTextDocument(uri);
    await eventually(() => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'slipway' || codeOf(d)).length === 0 || undefined, 'a clean example');
    const line = editor.document.getText().split('\n').findIndex((l) => /^\s+ttl: 30d/.test(l));
    assert.ok(line > 0, 'the example has a 30d ttl');
    const col = editor.document.lineAt(line).text.indexOf('30d');
    await editor.edit((e) => e.replace(new vscode.Range(line, col, line, col + 3), '30days'));
    const diag = await eventually(() => vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'bad-duration'), 'a bad-duration diagnostic');
    assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
    assert.deepEqual([diag.range.start.line, diag.range.start.character, diag.range.end.character], [line, col, col + 6]);
    assert.match(diag.message, /30days/);
    // the Problems view lists what getDiagnostics returns; open it as a user would
    await vscode.commands.executeCommand('workbench.actions.view.problems');
  });

  it('reports a broken reference and offers the did-you-mean fix', async () => {
    const editor = await vscode.window.showTextDocument(uri);
    const text = editor.document.getText();
    const at = text.indexOf('entity: customer\n');
    const start = editor.document.positionAt(at + 'entity: '.length);
    await editor.edit((e) => e.replace(new vscode.Range(start, start.translate(0, 'customer'.length)), 'custmer'));
    const diag = await eventually(() => vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'bad-reference'), 'a bad-reference diagnostic');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range);
    const fix = actions.find((a) => /customer/.test(a.title));
    assert.ok(fix, `a quick fix naming "customer" among: ${actions.map((a) => a.title).join(', ')}`);
    await vscode.workspace.applyEdit(fix.edit!);
    await eventually(() => !vscode.languages.getDiagnostics(uri).some((d) => codeOf(d) === 'bad-reference') || undefined, 'the fix to clear the diagnostic');
  });

  it('checks the data: a feature declared with the wrong type is a type-mismatch at its type, with a quick fix', async () => {
    const editor = await vscode.window.showTextDocument(uri);
    const text = editor.document.getText();
    const at = text.indexOf('sessions: int64');
    assert.ok(at > 0, 'the example declares sessions: int64');
    const start = editor.document.positionAt(at + 'sessions: '.length);
    const range = new vscode.Range(start, start.translate(0, 'int64'.length));
    await editor.edit((e) => e.replace(range, 'string'));
    const diag = await eventually(() => vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'type-mismatch'), 'a type-mismatch diagnostic from the data check');
    assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(diag.source, 'slipway');
    assert.deepEqual([diag.range.start.line, diag.range.start.character, diag.range.end.character], [start.line, start.character, start.character + 'string'.length]);
    assert.match(diag.message, /customer_activity\.sessions: declared string, but the column is BIGINT/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range);
    const fix = actions.find((a) => a.title === "Change to 'int64'");
    assert.ok(fix, `a quick fix declaring int64 among: ${actions.map((a) => a.title).join(', ')}`);
    await vscode.workspace.applyEdit(fix.edit!);
    assert.equal(editor.document.getText(), text);
    await eventually(() => !vscode.languages.getDiagnostics(uri).some((d) => codeOf(d) === 'type-mismatch') || undefined, 'the fix to clear the type-mismatch');
  });

  it('completes keys and shows documentation on hover', async () => {
    const editor = await vscode.window.showTextDocument(uri);
    const line = editor.document.getText().split('\n').findIndex((l) => l.startsWith('serving:'));
    const hover = await eventually(async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line + 1, 4));
      return h.length ? h : undefined;
    }, 'a hover');
    const text = hover.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.ok(text.length > 10, text);
    await editor.edit((e) => e.insert(new vscode.Position(line + 1, 0), '  \n'));
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(line + 1, 2));
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const key of ['image', 'port', 'log']) assert.ok(labels.some((l) => l.startsWith(key)), `completion offers ${key}: ${labels.join(', ')}`);
  });
});
