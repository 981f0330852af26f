import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// The domain runs in Node, the CLI and the language server: it must never reach for the editor.
test('nothing under src/core imports vscode or an outer layer', () => {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : n.endsWith('.ts') ? [join(d, n)] : []));
  const offenders: string[] = [];
  for (const file of walk('src/core')) {
    const text = readFileSync(file, 'utf8');
    if (/(from\s+|require\(\s*|import\(\s*)['"]vscode['"]/.test(text)) offenders.push(`${file}: vscode`);
    if (/from\s+['"](\.\.\/)+(extension|cli)\//.test(text) || /language-server/.test(text.match(/from\s+['"][^'"]+['"]/g)?.join() ?? '')) {
      offenders.push(`${file}: outer layer`);
    }
  }
  assert.deepEqual(offenders, []);
});
