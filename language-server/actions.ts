import { basename, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { DiagnosticData, ParsedPipeline } from '../src/core/pipeline/index';
import { resolvePath } from '../src/core/pipeline/index';
import { suggestProjectName, trainScriptTemplate } from '../src/core/scaffold/templates';

/** An empty notebook with one cell that reads the params Slipway passes. */
export function notebookTemplate(name: string): string {
  const nb = {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: [`# Training notebook for ${name}\n`, '\n', 'Slipway runs this notebook top to bottom with the `training.params` of slipway.yaml.'] },
      { cell_type: 'code', execution_count: null, metadata: { tags: ['parameters'] }, outputs: [], source: ['n_estimators = 100\n', 'seed = 42'] },
    ],
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return `${JSON.stringify(nb, null, 1)}\n`;
}

/** Quick fixes for the diagnostics the client sends back: did-you-mean, create a missing file, add a required key. */
export function codeActions(parsed: ParsedPipeline, uri: string, diagnostics: readonly LspDiagnostic[], baseDir: string | undefined): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== 'slipway') continue;
    const data = (d.data ?? {}) as DiagnosticData;
    (data.suggestions ?? []).slice(0, 3).forEach((s, i) => {
      out.push({
        title: `Change to '${s}'`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: i === 0,
        edit: { changes: { [uri]: [{ range: d.range, newText: s }] } },
      });
    });
    if (data.createFile && baseDir) {
      const abs = resolvePath(baseDir, data.createFile.path);
      const target = pathToFileURL(abs).href;
      const name = parsed.model.name || basename(baseDir);
      const text = data.createFile.template === 'notebook' ? notebookTemplate(name) : trainScriptTemplate(name);
      out.push({
        title: `Create ${data.createFile.path} from template`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: true,
        edit: {
          documentChanges: [
            { kind: 'create', uri: target, options: { ignoreIfExists: true } },
            { textDocument: { uri: target, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: text }] },
          ],
        },
      });
    }
    if (d.code === 'missing-key' && data.path?.length === 1 && (data.path[0] === 'version' || data.path[0] === 'name')) {
      const line = firstKeyLine(parsed.text);
      const value = data.path[0] === 'version' ? '1' : suggestProjectName(basename(baseDir ?? dirname(parsed.path ?? 'project/x'))) || 'my-project';
      out.push({
        title: `Add '${data.path[0]}: ${value}'`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: { changes: { [uri]: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${data.path[0]}: ${value}\n` }] } },
      });
    }
  }
  return out;
}

/** The first line that is not a comment or blank: new top-level keys go above it. */
function firstKeyLine(text: string): number {
  const lines = text.split(/\r\n|\r|\n/);
  const i = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  return i < 0 ? lines.length - 1 : i;
}
