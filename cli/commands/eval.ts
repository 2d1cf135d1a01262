import type { Command } from 'commander';
import { PrognosError } from '../../platform/errors.ts';
import { CMAPSS_SUBSETS, formatSummaryTable, runCmapssEval, type CmapssSubset } from '../../models/cmapss-eval.ts';
import type { GbdtOptions } from '../../models/gbdt-trainer.ts';
import { registerEvalAssistant } from './eval-assistant.ts';

interface CmapssCliOptions {
  data: string;
  out: string;
  subsets: string;
  folds?: string;
  draws?: string;
  seed: string;
  ensemble?: string;
  maxDepth?: string;
  learningRate?: string;
  rulCap?: string;
  quick?: boolean;
  joint: boolean;
}

/** Offline model evaluation on public benchmarks; it touches no running service. */
export function registerEval(program: Command): void {
  const evalCmd = program.command('eval').description('Evaluate the models on public benchmark data (cmapss) and the assistant on its scenarios (assistant).');
  registerEvalAssistant(evalCmd);
  evalCmd
    .command('cmapss')
    .description(
      'NASA C-MAPSS: unit-wise K-fold CV on each training file, then a model on the full training file predicting each test unit at its last cycle ' +
        '(target min(RUL, 125) single-condition, min(RUL, 175) multi-condition; each subset also trains on the other three training files). Writes predictions_FD00x.txt and summary.json; scores the test set too if RUL_FD00x.txt is in --data.',
    )
    .requiredOption('--data <dir>', 'folder with train_FD00x.txt and test_FD00x.txt')
    .requiredOption('--out <dir>', 'folder for predictions_FD00x.txt and summary.json (created)')
    .option('--subsets <list>', 'comma-separated subsets', CMAPSS_SUBSETS.join(','))
    .option('--folds <n>', 'cross-validation folds of whole units, 0 skips CV (default 5, --quick 2)')
    .option('--draws <n>', 'truncation points per held-out unit in CV (default 10, --quick 2)')
    .option('--seed <n>', 'seed for folds, CV truncation points and the first model', '1')
    .option('--ensemble <n>', 'models averaged, seeds seed..seed+n−1 (default 3, --quick 1)')
    .option('--rul-cap <n>', 'piecewise-linear target cap for every subset (default 125 single-condition, 175 multi-condition)')
    .option('--max-depth <n>', 'tree depth (default 5)')
    .option('--learning-rate <x>', 'shrinkage (default 0.05)')
    .option('--no-joint', "train each subset on its own training file only (default: also on the other three training files)")
    .option('--quick', 'few shallow trees, one model, 2 folds × 2 draws: a smoke run')
    .action(async (opts: CmapssCliOptions) => {
      const subsets = opts.subsets.split(',').map((s) => s.trim().toUpperCase());
      for (const s of subsets) {
        if (!(CMAPSS_SUBSETS as readonly string[]).includes(s)) throw new PrognosError('PRG_BAD_REQUEST', `unknown subset ${s} (expected ${CMAPSS_SUBSETS.join(', ')})`);
      }
      const gbdt: Partial<GbdtOptions> = {
        ...(opts.maxDepth !== undefined && { maxDepth: integer(opts.maxDepth, '--max-depth') }),
        ...(opts.learningRate !== undefined && { learningRate: positive(opts.learningRate, '--learning-rate') }),
      };
      const summary = await runCmapssEval({
        dataDir: opts.data,
        outDir: opts.out,
        subsets: subsets as CmapssSubset[],
        ...(opts.folds !== undefined && { folds: integer(opts.folds, '--folds') }),
        ...(opts.draws !== undefined && { cvDraws: integer(opts.draws, '--draws') }),
        ...(opts.ensemble !== undefined && { ensembleSize: integer(opts.ensemble, '--ensemble') }),
        ...(opts.rulCap !== undefined && { rulCap: integer(opts.rulCap, '--rul-cap') }),
        seed: integer(opts.seed, '--seed'),
        quick: opts.quick ?? false,
        joint: opts.joint,
        gbdt,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(`${formatSummaryTable(summary)}\n`);
      process.stdout.write(`training: ${summary.protocol.training}\ntarget ${summary.protocol.target}\nCV: ${summary.protocol.cv}\nalarm: ${summary.protocol.classification}\nsummary: ${opts.out}/summary.json\n`);
    });
}

function integer(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new PrognosError('PRG_BAD_REQUEST', `${name} must be an integer, got ${value}`);
  return n;
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new PrognosError('PRG_BAD_REQUEST', `${name} must be a positive number, got ${value}`);
  return n;
}
