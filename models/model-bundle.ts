import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PrognosError } from '../platform/errors.ts';
import { exportOnnx } from './onnx-export.ts';
import type { Tree, TreeEnsemble } from './tree-ensemble.ts';

/**
 * A model bundle: everything one equipment type's predictions need, in one directory.
 *
 *     <dir>/card.json           the model card (schema below)
 *     <dir>/rul.onnx            remaining-useful-life regressor (operating hours)
 *     <dir>/risk_<mode>.onnx    one failure-within-horizon classifier per failure mode
 *     <dir>/trees.json          the same ensembles in the TypeScript format (TreeSHAP needs covers)
 *
 * ONNX files are what onnxruntime scores; trees.json is what explanations are computed on.
 * Both come from one training run; the card's `files` hashes tie them together.
 */

const FeatureReferenceSchema = z.object({
  /** Bin edges (ascending, length k-1 for k bins) from training-data quantiles. */
  edges: z.array(z.number()),
  /** Share of training rows per bin (length k; NaN rows are not counted). */
  shares: z.array(z.number()),
});
export type FeatureReference = z.infer<typeof FeatureReferenceSchema>;

export const ModelCardSchema = z.object({
  /** e.g. `centrifugal_pump-default`. */
  name: z.string(),
  /** Release version, e.g. `2026.11.24-1`. Unique per name. */
  version: z.string(),
  equipmentType: z.string(),
  createdAt: z.string(),
  /** Feature names in the exact order of the model's input vector. */
  featureNames: z.array(z.string()).min(1),
  /** Failure modes with a classifier, and the decision threshold chosen for each. */
  modes: z.array(z.object({ mode: z.string(), file: z.string(), threshold: z.number().min(0).max(1) })),
  /** Classification horizon in operating hours ("fails within H hours"). */
  horizonHours: z.number().positive(),
  /** RUL regressor file, and the factor turning the point estimate into a conservative lower bound. */
  rul: z.object({ file: z.string(), capHours: z.number().positive(), lowerBoundFactor: z.number().positive().max(1) }).nullable(),
  training: z.object({
    /** What the data was, e.g. `prognos simulate --history --seed 1,2,3 --devices 60 --days 240`. */
    data: z.string(),
    /** sha256 over the training files, in order. */
    dataHash: z.string(),
    rows: z.number().int().nonnegative(),
    seed: z.number().int(),
    /** The command that reproduces this bundle byte for byte (except createdAt). */
    command: z.string(),
  }),
  hyperParameters: z.record(z.string(), z.unknown()),
  /** Evaluation on held-out data (unseen seeds/units), per mode and for RUL. */
  metrics: z.record(z.string(), z.unknown()),
  /** Training-data distribution per feature, for input-drift (PSI) monitoring. */
  reference: z.record(z.string(), FeatureReferenceSchema),
  /** sha256 of each file in the bundle except card.json. */
  files: z.record(z.string(), z.string()),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

export interface ModelBundle {
  readonly dir: string;
  readonly card: ModelCard;
  readonly rul: TreeEnsemble | null;
  /** Per failure mode, in card order. */
  readonly risk: ReadonlyMap<string, TreeEnsemble>;
  /** ONNX bytes per file name (`rul.onnx`, `risk_<mode>.onnx`). */
  readonly onnx: ReadonlyMap<string, Uint8Array>;
}

interface SerialisedTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  missingLeft: number[];
  value: number[];
  cover: number[];
}

function serialiseEnsemble(model: TreeEnsemble) {
  return {
    objective: model.objective,
    baseScore: model.baseScore,
    featureNames: [...model.featureNames],
    trees: model.trees.map(
      (t): SerialisedTree => ({
        feature: [...t.feature],
        threshold: [...t.threshold],
        left: [...t.left],
        right: [...t.right],
        missingLeft: [...t.missingLeft],
        value: [...t.value],
        cover: [...t.cover],
      }),
    ),
  };
}

function deserialiseEnsemble(raw: ReturnType<typeof serialiseEnsemble>): TreeEnsemble {
  return {
    objective: raw.objective,
    baseScore: raw.baseScore,
    featureNames: raw.featureNames,
    trees: raw.trees.map(
      (t): Tree => ({
        feature: Int32Array.from(t.feature),
        threshold: Float64Array.from(t.threshold),
        left: Int32Array.from(t.left),
        right: Int32Array.from(t.right),
        missingLeft: Uint8Array.from(t.missingLeft),
        value: Float64Array.from(t.value),
        cover: Float64Array.from(t.cover),
      }),
    ),
  };
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

export interface SaveBundleInput {
  /** The card without `files`, `featureNames` and the `file` names: they are filled in here. */
  card: Omit<ModelCard, 'files' | 'featureNames' | 'modes' | 'rul'> & {
    modes: { mode: string; threshold: number }[];
    rul: { capHours: number; lowerBoundFactor: number } | null;
  };
  rul: TreeEnsemble | null;
  risk: ReadonlyMap<string, TreeEnsemble>;
}

/** Writes a bundle (ONNX files, trees.json, card.json) into `dir`, creating it. */
export function saveBundle(dir: string, input: SaveBundleInput): ModelCard {
  const models = [...(input.rul ? [input.rul] : []), ...input.risk.values()];
  if (models.length === 0) throw new PrognosError('PRG_MODEL_INVALID', 'a bundle needs at least one model');
  const featureNames = [...models[0]!.featureNames];
  for (const m of models) {
    if (m.featureNames.join('\n') !== featureNames.join('\n')) throw new PrognosError('PRG_MODEL_INVALID', 'all models of a bundle must share one feature vector');
  }
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {};
  const write = (name: string, bytes: Uint8Array | string) => {
    writeFileSync(join(dir, name), bytes);
    files[name] = sha256(bytes);
  };
  const { name, version } = input.card;
  if (input.rul) write('rul.onnx', exportOnnx(input.rul, { name: `${name}-rul`, version, outputName: 'rul_hours' }));
  const modes = input.card.modes.map(({ mode, threshold }) => {
    const model = input.risk.get(mode);
    if (!model) throw new PrognosError('PRG_MODEL_INVALID', `no classifier for failure mode ${mode}`);
    const file = `risk_${mode}.onnx`;
    write(file, exportOnnx(model, { name: `${name}-${mode}`, version }));
    return { mode, file, threshold };
  });
  const trees = {
    rul: input.rul ? serialiseEnsemble(input.rul) : null,
    risk: Object.fromEntries([...input.risk].map(([mode, m]) => [mode, serialiseEnsemble(m)])),
  };
  write('trees.json', JSON.stringify(trees));
  const card: ModelCard = ModelCardSchema.parse({
    ...input.card,
    featureNames,
    modes,
    rul: input.card.rul ? { file: 'rul.onnx', ...input.card.rul } : null,
    files,
  });
  writeFileSync(join(dir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  return card;
}

/** Reads and checks a bundle: the card parses and every file's hash matches the card. */
export function loadBundle(dir: string): ModelBundle {
  let card: ModelCard;
  try {
    card = ModelCardSchema.parse(JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')));
  } catch (cause) {
    throw new PrognosError('PRG_MODEL_INVALID', `${dir}/card.json is missing or invalid`, { cause });
  }
  const read = (file: string) => {
    const bytes = readFileSync(join(dir, file));
    if (sha256(bytes) !== card.files[file]) throw new PrognosError('PRG_MODEL_INVALID', `${dir}/${file} does not match the hash in its card`);
    return new Uint8Array(bytes);
  };
  const trees = JSON.parse(Buffer.from(read('trees.json')).toString('utf8'));
  const onnx = new Map<string, Uint8Array>();
  if (card.rul) onnx.set(card.rul.file, read(card.rul.file));
  const risk = new Map<string, TreeEnsemble>();
  for (const m of card.modes) {
    onnx.set(m.file, read(m.file));
    risk.set(m.mode, deserialiseEnsemble(trees.risk[m.mode]));
  }
  return { dir, card, rul: trees.rul ? deserialiseEnsemble(trees.rul) : null, risk, onnx };
}
