import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrognosError } from '../../platform/errors.ts';
import { formatSimReport } from '../../models/sim-report.ts';
import { readFleet } from '../../models/sim-history.ts';
import { trainSimModels } from '../../models/sim-trainer.ts';

/** Offline training; it touches no running service. */
export function registerTrain(program: Command): void {
  const train = program.command('train').description('Train failure-prediction models offline.');
  train
    .command('sim')
    .description(
      'The simulated fleet\'s default models: one bundle per equipment type (RUL regressor + one failure-within-horizon classifier per mode) ' +
        'from simulator histories (prognos simulate --history), thresholds on held-out devices, evaluated on histories of unseen seeds. ' +
        'The same histories and seed reproduce the same ONNX and trees bytes.',
    )
    .requiredOption('--history <dirs>', 'comma-separated history folders to train on')
    .requiredOption('--eval <dirs>', 'comma-separated history folders of other seeds to evaluate on')
    .requiredOption('--out <dir>', 'folder for <equipment_type>/ bundles and README.md (created)')
    .option('--seed <n>', 'seed of the validation split and the trainer', '1')
    .option('--horizon <hours>', 'classification horizon, operating hours', '72')
    .option('--rul-cap <hours>', 'RUL cap, operating hours', '500')
    .option('--trees <n>', 'most trees per model', '200')
    .option('--depth <n>', 'tree depth', '5')
    .option('--types <list>', 'equipment types (default: all in the first history)')
    .option('--model-version <v>', 'bundle version', '1.0.0')
    .action(async (opts: Record<string, string | undefined>) => {
      const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
      const int = (name: string) => {
        const n = Number(opts[name]);
        if (!Number.isInteger(n) || n < 0) throw new PrognosError('PRG_BAD_REQUEST', `--${name} must be a non-negative integer, got ${opts[name]}`);
        return n;
      };
      const command = [
        'prognos train sim',
        `--history ${opts.history}`,
        `--eval ${opts.eval}`,
        `--out ${opts.out}`,
        `--seed ${opts.seed}`,
        ...(opts.horizon !== '72' ? [`--horizon ${opts.horizon}`] : []),
        ...(opts.rulCap !== '500' ? [`--rul-cap ${opts.rulCap}`] : []),
        ...(opts.trees !== '200' ? [`--trees ${opts.trees}`] : []),
        ...(opts.depth !== '5' ? [`--depth ${opts.depth}`] : []),
        ...(opts.types ? [`--types ${opts.types}`] : []),
        ...(opts.modelVersion !== '1.0.0' ? [`--model-version ${opts.modelVersion}`] : []),
      ].join(' ');
      const reports = await trainSimModels({
        historyDirs: list(opts.history!),
        evalDirs: list(opts.eval!),
        outDir: opts.out!,
        seed: int('seed'),
        horizonHours: int('horizon'),
        rulCapHours: int('rulCap'),
        nEstimators: int('trees'),
        maxDepth: int('depth'),
        types: opts.types ? list(opts.types) : undefined,
        version: opts.modelVersion,
        createdAt: new Date().toISOString(),
        command,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const histories = [...list(opts.history!), ...list(opts.eval!)].map((dir) => {
        const f = readFleet(dir);
        const days = Math.round((f.endMs - f.startMs) / 86_400_000);
        return `prognos simulate --history --out ${dir} --devices ${f.devices.length} --days ${days} --seed ${f.seed}`;
      });
      const report = formatSimReport(reports, command, histories);
      writeFileSync(join(opts.out!, 'README.md'), report);
      process.stdout.write(report);
    });
}
