import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotebookError, notebookToScript, pointTrainingScriptAt } from '../../src/core/training/notebook';
import { detectTrainingScript } from '../../src/core/training/scriptDetection';

const nb = (cells: object[]) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
const code = (source: string, tags?: string[]) => ({ cell_type: 'code', source, metadata: tags ? { tags } : {}, outputs: [], execution_count: null });

test('the parameters cell becomes typed argparse options', () => {
  const r = notebookToScript(
    nb([code('data = "d.csv"\nn = 3\nlr = 0.5\nsmall = 1e-3\nflag = True\nitems = [1, 2]  # not a literal we take', ['parameters']), code('print(data, n)')]),
    { notebookPath: 'notebooks/x.ipynb', scriptPath: 'src/train.py' },
  );
  assert.deepEqual(r.params.map((p) => `${p.name}:${p.type}=${p.default}`), ['data:str="d.csv"', 'n:int=3', 'lr:float=0.5', 'small:float=1e-3', 'flag:bool=True']);
  assert.match(r.script, /PARSER\.add_argument\("--n", type=int, default=3\)/);
  assert.match(r.script, /^n = ARGS\.n {2}# was: n = 3$/m);
  assert.match(r.script, /^items = \[1, 2\]/m, 'non-literal assignments stay as code');
  assert.match(r.script, /os\.path\.join\(os\.path\.dirname\(os\.path\.abspath\(__file__\)\), "\.\.\/notebooks"\)/);
});

test('magics and shell escapes are removed with a comment', () => {
  const r = notebookToScript(
    nb([code('%matplotlib inline\nimport os\n!pip install x\nfiles = !ls\nprint(1)'), code('%%bash\necho hi'), { cell_type: 'markdown', source: '# t' }]),
    { notebookPath: 'a.ipynb', scriptPath: 'train.py' },
  );
  assert.deepEqual(r.removed.map((x) => x.line), ['%matplotlib inline', '!pip install x', 'files = !ls', '%%bash']);
  assert.match(r.script, /# slipway: removed \(IPython only\): %matplotlib inline/);
  assert.match(r.script, /# slipway: removed \(IPython cell magic\): echo hi/);
  assert.ok(!/^\s*[%!]/m.test(r.script));
  assert.match(r.script, /"\."\)\)/, 'same folder');
});

test('bad notebooks get a clear error', () => {
  assert.throws(() => notebookToScript('{', { notebookPath: 'a.ipynb', scriptPath: 't.py' }), NotebookError);
  assert.throws(() => notebookToScript('{}', { notebookPath: 'a.ipynb', scriptPath: 't.py' }), /no cells/);
  assert.throws(() => notebookToScript(nb([{ cell_type: 'markdown', source: 'x' }]), { notebookPath: 'a.ipynb', scriptPath: 't.py' }), /no code cells/);
});

test('the example notebook converts to a script Python compiles, whose options work', { skip: !process.env.SLIPWAY_PYTHON && 'SLIPWAY_PYTHON is not set: run npm test' }, () => {
  const r = notebookToScript(readFileSync('examples/churn/notebooks/explore.ipynb', 'utf8'), { notebookPath: 'notebooks/explore.ipynb', scriptPath: 'src/train_explore.py' });
  assert.deepEqual(r.params.map((p) => p.name), ['data_dir', 'n_estimators', 'seed']);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-nb-'));
  try {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/train_explore.py'), r.script);
    const compiled = spawnSync(process.env.SLIPWAY_PYTHON!, ['-m', 'py_compile', join(dir, 'src/train_explore.py')], { encoding: 'utf8' });
    assert.equal(compiled.status, 0, compiled.stderr);
    const help = spawnSync(process.env.SLIPWAY_PYTHON!, [join(dir, 'src/train_explore.py'), '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--n_estimators N_ESTIMATORS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a converted script runs with its options and the notebook folder as working directory', { skip: !process.env.SLIPWAY_PYTHON && 'SLIPWAY_PYTHON is not set: run npm test' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-nb-'));
  try {
    mkdirSync(join(dir, 'notebooks'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'notebooks/data.txt'), 'hello');
    const r = notebookToScript(nb([code('path = "data.txt"\ntimes = 2\nloud = False', ['parameters']), code('%time x = 1\ntext = open(path).read()\nprint((text.upper() if loud else text) * times)')]), {
      notebookPath: 'notebooks/n.ipynb',
      scriptPath: 'src/train.py',
    });
    writeFileSync(join(dir, 'src/train.py'), r.script);
    const run = spawnSync(process.env.SLIPWAY_PYTHON!, ['src/train.py', '--times', '3', '--loud', 'true'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'HELLOHELLOHELLO');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pointTrainingScriptAt sets training.script, drops notebook and keeps comments', () => {
  const text = '# top\nversion: 1\nname: x\ntraining:\n  notebook: n.ipynb  # the notebook\n  params: { a: 1 }\n';
  const out = pointTrainingScriptAt(text, 'src/train.py');
  assert.match(out, /^# top/);
  assert.match(out, /script: src\/train\.py/);
  assert.doesNotMatch(out, /notebook:/);
  assert.match(out, /params: \{ a: 1 \}/);
  assert.match(pointTrainingScriptAt('version: 1\nname: x\n', 't.py'), /training:\n {2}script: t\.py/);
  assert.throws(() => pointTrainingScriptAt('a: [', 't.py'), /does not parse/);
});

test('training script detection: the pipeline script, mlflow.start_run or a __main__ guard', () => {
  assert.deepEqual(detectTrainingScript('x = 1\n', true), { line: 0, reason: 'training.script' });
  assert.deepEqual(detectTrainingScript('import mlflow\nwith mlflow.start_run():\n  pass\n', false), { line: 0, reason: 'mlflow.start_run' });
  assert.deepEqual(detectTrainingScript('def f():\n  pass\n\nif __name__ == "__main__":\n  f()\n', false), { line: 3, reason: '__main__' });
  assert.equal(detectTrainingScript('import os\n', false), undefined);
  assert.equal(detectTrainingScript('# if __name__ == "__main__":\n', false), undefined);
});
