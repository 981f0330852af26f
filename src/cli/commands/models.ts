import { userInfo } from 'node:os';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import { openTracking } from './runs';
import { MlflowClient } from '../../core/tracking';
import { RegistryClient, evaluateGates, formatGate, type GateEvaluation, type ModelVersion, type RegisteredModel } from '../../core/registry';

/** the model-version tag that records a promotion past failing gates */
export const GATE_OVERRIDE_TAG = 'slipway.gate_override';

function versionRecord(m: RegisteredModel, v: ModelVersion): Record<string, unknown> {
  return {
    version: v.version,
    run_id: v.runId ?? null,
    status: v.status ?? null,
    aliases: m.aliases.filter((a) => a.version === v.version).map((a) => a.alias),
    tags: v.tags,
  };
}

function modelText(m: RegisteredModel, versions: readonly ModelVersion[]): string {
  const lines = [m.name + (m.description ? `  — ${m.description}` : '')];
  for (const v of versions) {
    const aliases = m.aliases.filter((a) => a.version === v.version).map((a) => `@${a.alias}`);
    const tags = Object.entries(v.tags).map(([k, x]) => `${k}=${x}`);
    lines.push(`  v${v.version.padEnd(4)} ${(v.status ?? '').padEnd(6)} run ${v.runId ?? '-'}${aliases.length ? `  ${aliases.join(' ')}` : ''}${tags.length ? `  ${tags.join(' ')}` : ''}`);
  }
  if (!versions.length) lines.push('  (no versions)');
  return `${lines.join('\n')}\n`;
}

function who(io: CliIo): string {
  if (io.env.USER || io.env.USERNAME) return (io.env.USER || io.env.USERNAME)!;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' }, format: { type: 'string' }, 'tracking-uri': { type: 'string' } });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const fmt = values.format ?? 'json';
  if (fmt !== 'json' && fmt !== 'text') throw new UsageError(`--format must be json or text, not ${JSON.stringify(fmt)}`);
  const { http } = await openTracking(io, values['tracking-uri']);
  const registry = new RegistryClient(http);
  async function* models(): AsyncGenerator<RegisteredModel> {
    if (values.name) {
      yield await registry.getRegisteredModel(values.name);
      return;
    }
    for await (const page of registry.searchRegisteredModelsPages({ maxResults: 100, orderBy: ['name ASC'] })) yield* page.items;
  }
  let count = 0;
  if (fmt === 'json') io.out('[');
  for await (const m of models()) {
    const versions = await registry.versionsOf(m.name);
    if (fmt === 'json') io.out(`${count ? ',' : ''}\n${JSON.stringify({ name: m.name, versions: versions.map((v) => versionRecord(m, v)) })}`);
    else io.out(modelText(m, versions));
    count++;
  }
  if (fmt === 'json') io.out(count ? '\n]\n' : ']\n');
  else if (!count) io.out('(no registered models)\n');
  return EXIT.ok;
}

function report(io: CliIo, evaluation: GateEvaluation): void {
  for (const r of evaluation.results) io.err(`  ${r.passed ? 'pass' : 'FAIL'}  ${formatGate(r.gate)}: ${r.reason}\n`);
}

async function alias(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean' }, 'tracking-uri': { type: 'string' } });
  if (positionals.length !== 3) throw new UsageError('expected NAME ALIAS VERSION');
  const [name, aliasName, versionArg] = positionals as [string, string, string];
  const version = versionArg.replace(/^v/i, '');
  if (!/^\d+$/.test(version)) throw new UsageError(`VERSION must be a version number, not ${JSON.stringify(versionArg)}`);
  const { http, settings } = await openTracking(io, values['tracking-uri']);
  const gateProblems = settings.problems.filter((p) => p.startsWith('model.gates') || p.startsWith('slipway.yaml:'));
  if (gateProblems.length) throw new UsageError(`cannot check the promotion gates of ${settings.file}: ${gateProblems.join('; ')}`);
  const registry = new RegistryClient(http);
  const model = await registry.getRegisteredModel(name);
  const mv = await registry.getModelVersion(name, version);
  const gates = !settings.modelName || settings.modelName === name ? settings.gates : [];
  if (settings.modelName && settings.modelName !== name && settings.gates.length) {
    io.err(`note: the gates in ${settings.file} are for model ${settings.modelName}; none apply to ${name}\n`);
  }
  let evaluation: GateEvaluation = { passed: true, results: [] };
  if (gates.length) {
    if (!mv.runId) {
      evaluation = { passed: false, results: gates.map((gate) => ({ gate, passed: false, reason: `${name} v${version} has no source run, so ${gate.metric} cannot be checked` })) };
    } else {
      const run = await new MlflowClient(http).getRun(mv.runId);
      evaluation = evaluateGates(gates, run.metrics);
    }
    io.err(`gates for ${name} v${version} (run ${mv.runId ?? '-'}):\n`);
    report(io, evaluation);
  }
  const failed = evaluation.results.filter((r) => !r.passed);
  if (failed.length && !values.force) {
    io.err(
      `refused: ${name} v${version} fails ${failed.length === 1 ? 'gate' : 'gates'} ${failed.map((r) => `${formatGate(r.gate)} (${r.reason})`).join('; ')}. ` +
        `Pass --force to set @${aliasName} anyway; the override is recorded as tag ${GATE_OVERRIDE_TAG} on the version.\n`,
    );
    return EXIT.failed;
  }
  if (failed.length) {
    // recorded before the alias moves: an override is never left unrecorded
    const override = {
      user: who(io),
      time: new Date().toISOString(),
      alias: aliasName,
      failed_gates: failed.map((r) => ({ metric: r.gate.metric, op: r.gate.op, value: r.gate.value, actual: r.actual ?? null, reason: r.reason })),
    };
    await registry.setModelVersionTag(name, version, GATE_OVERRIDE_TAG, JSON.stringify(override));
  }
  const previous = model.aliases.find((a) => a.alias === aliasName)?.version;
  await registry.setAlias(name, aliasName, version);
  const moved = previous && previous !== version ? ` (was v${previous})` : previous === version ? ' (unchanged)' : '';
  io.out(`${name}@${aliasName} → v${version}${moved}${failed.length ? `; gates overridden (tag ${GATE_OVERRIDE_TAG})` : ''}\n`);
  return EXIT.ok;
}

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'list registered models and versions; move an alias after checking model.gates',
  usage:
    'slipway models list [--name NAME] [--format json|text] [--tracking-uri URL]\n' +
    '       slipway models alias NAME ALIAS VERSION [--force] [--tracking-uri URL]\n\n' +
    '  list   JSON: [{name, versions: [{version, run_id, status, aliases, tags}]}], newest version first\n' +
    "  alias  checks model.gates of ./slipway.yaml against the version's run metrics; refuses (exit 1)\n" +
    `         when one fails, unless --force, which sets the alias and records tag ${GATE_OVERRIDE_TAG}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'list') return list(rest, io);
    if (sub === 'alias') return alias(rest, io);
    throw new UsageError(sub ? `unknown subcommand '${sub}' (expected: list, alias)` : 'missing subcommand: list or alias');
  },
};
