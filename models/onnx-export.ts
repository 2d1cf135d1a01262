/**
 * Writes a {@link TreeEnsemble} as an ONNX model that onnxruntime scores with the same result as
 * the TypeScript evaluator, and reads back the model card stored in it.
 *
 * Graph: `features` float32 [N, D] → Cast(double) → ai.onnx.ml TreeEnsembleRegressor (regression,
 * output [N, 1]) or TreeEnsembleClassifier (binary: `label` int64 [N] and `probabilities`
 * float32 [N, 2], column 1 = P(positive)).
 *
 * Why the Cast: onnxruntime picks the tree kernel's threshold and accumulator type from the
 * input type. With float32 input it sums the leaf values in float32, one rounding per tree (on a
 * 300-tree regressor scoring ~60: max error 4.5e-5 against the TypeScript sum); with float64
 * input it compares and sums in double and rounds once, into the float32 output (3.8e-6, half
 * an ulp), for ~7% more time at batch 256. A float32 value widened to double compares with a
 * float32 threshold exactly as the two float32 values do, so the split decisions match
 * `leafIndex` bit for bit, NaN included. Thresholds, leaf values and the base score travel as
 * double tensors (`*_as_tensor`, ai.onnx.ml opset 3), so nothing is rounded on the way either.
 */
import { z } from 'zod';
import { PrognosError } from '../platform/errors.ts';
import {
  AttributeType,
  DataType,
  decodeModelHeader,
  encodeModel,
  type Attribute,
  type Node,
  type ValueInfo,
} from './onnx-proto.ts';
import type { Tree, TreeEnsemble } from './tree-ensemble.ts';

/** IR 8 is the IR version released with ai.onnx opset 17 (onnx 1.12). */
export const IR_VERSION = 8;
export const ONNX_OPSET = 17;
/** The first ai.onnx.ml opset with the `*_as_tensor` (double) tree attributes. */
export const ONNX_ML_OPSET = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

export const INPUT_NAME = 'features';
export const PROBABILITIES_OUTPUT = 'probabilities';
export const LABEL_OUTPUT = 'label';
/** Name of the symbolic batch dimension. */
const BATCH_DIM = 'N';

/**
 * The smallest negative normal double. onnxruntime reads a binary classifier whose class weights
 * are all >= 0 as voting probabilities: its `label` becomes `score > 0.5` instead of
 * `score > 0` (seen on 1.30, which still applies the sigmoid to `probabilities`; the
 * `write_binary_scores` we read in the onnxruntime source skips the sigmoid there too and writes
 * [1 - s, s]). One extra vote of this size on one leaf keeps the margin reading. It changes no
 * sum: it is below half an ulp of any score that is not itself ~0, and σ(±1e-308) = 0.5.
 */
const NEGATIVE_NUDGE = -2.2250738585072014e-308;

export interface OnnxExportMeta {
  /** Model name, also the graph name, e.g. `pump-rul`. */
  name: string;
  /** The released model version, e.g. `2026.11.24-1`; kept as text in the model card. */
  version: string;
  /** What produced the model (trainer and its version); stored as ModelProto `producer_version`. */
  producer?: string;
  /** Free text for the ModelProto `doc_string`. */
  docString?: string;
  /** Name of the regression output. Default `score`; the binary outputs are always `label` and `probabilities`. */
  outputName?: string;
}

/** The model card: what a scorer needs to know about a model, stored in `metadata_props`. */
export interface ModelCard {
  name: string;
  version: string;
  objective: TreeEnsemble['objective'];
  featureNames: string[];
  /** The output that carries the score: the regression value, or the [N, 2] probabilities. */
  output: string;
  trees: number;
  baseScore: number;
  producer: string;
}

/** `metadata_props` keys, one per card field. Stable: models in the field carry them. */
const CARD_KEYS = {
  name: 'name',
  version: 'version',
  objective: 'objective',
  featureNames: 'feature_names',
  output: 'output',
  trees: 'n_trees',
  baseScore: 'base_score',
} as const;

const cardSchema = z.object({
  [CARD_KEYS.name]: z.string(),
  [CARD_KEYS.version]: z.string(),
  [CARD_KEYS.objective]: z.enum(['regression', 'binary']),
  [CARD_KEYS.featureNames]: z.string().transform((s, ctx) => {
    const parsed = z.array(z.string()).min(1).safeParse(safeJson(s));
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'feature_names is not a JSON array of strings' });
      return z.NEVER;
    }
    return parsed.data;
  }),
  [CARD_KEYS.output]: z.string().min(1),
  [CARD_KEYS.trees]: z.coerce.number().int().nonnegative(),
  [CARD_KEYS.baseScore]: z.coerce.number(),
});

export function exportOnnx(model: TreeEnsemble, meta: OnnxExportMeta): Uint8Array {
  const width = model.featureNames.length;
  if (width === 0) throw new PrognosError('PRG_MODEL_INVALID', 'cannot export a model without features');
  const nodes = flattenTrees(model, width);
  const binary = model.objective === 'binary';
  const output = binary ? PROBABILITIES_OUTPUT : (meta.outputName ?? 'score');

  const cast: Node = {
    input: [INPUT_NAME],
    output: ['features_f64'],
    name: 'to_double',
    op_type: 'Cast',
    domain: '',
    attribute: [intAttr('to', DataType.DOUBLE)],
    doc_string: 'Widen to double so the tree kernel compares and sums in double (see models/onnx-export.ts).',
  };
  const common: Attribute[] = [
    intsAttr('nodes_treeids', nodes.treeIds),
    intsAttr('nodes_nodeids', nodes.nodeIds),
    intsAttr('nodes_featureids', nodes.featureIds),
    stringsAttr('nodes_modes', nodes.modes),
    doublesAttr('nodes_values_as_tensor', nodes.thresholds),
    intsAttr('nodes_truenodeids', nodes.trueIds),
    intsAttr('nodes_falsenodeids', nodes.falseIds),
    intsAttr('nodes_missing_value_tracks_true', nodes.missingTrue),
    doublesAttr('base_values_as_tensor', [model.baseScore]),
  ];

  let trees: Node;
  let outputs: ValueInfo[];
  if (binary) {
    if (!nodes.leafWeights.some((w) => w < 0)) {
      nodes.leafTreeIds.push(nodes.leafTreeIds[0]!);
      nodes.leafNodeIds.push(nodes.leafNodeIds[0]!);
      nodes.leafWeights.push(NEGATIVE_NUDGE);
    }
    // Every vote on class id 0, two labels and one base value is the layout onnxruntime 1.30
    // scores as a binary margin: z = base + Σ leaves, probabilities = [σ(-z), σ(z)], label = z > 0.
    // The alternatives are wrong there: votes on class id 1 drop a one-value base ([0.5, σ(Σ)]),
    // and base values [b, b] on class id 0 give [σ(z), 0.5].
    trees = {
      input: ['features_f64'],
      output: [LABEL_OUTPUT, PROBABILITIES_OUTPUT],
      name: 'trees',
      op_type: 'TreeEnsembleClassifier',
      domain: ML_DOMAIN,
      attribute: [
        ...common,
        intsAttr('class_treeids', nodes.leafTreeIds),
        intsAttr('class_nodeids', nodes.leafNodeIds),
        intsAttr('class_ids', nodes.leafTreeIds.map(() => 0)),
        doublesAttr('class_weights_as_tensor', nodes.leafWeights),
        intsAttr('classlabels_int64s', [0, 1]),
        stringAttr('post_transform', 'LOGISTIC'),
      ],
    };
    outputs = [tensorInfo(LABEL_OUTPUT, DataType.INT64, [BATCH_DIM]), tensorInfo(output, DataType.FLOAT, [BATCH_DIM, 2])];
  } else {
    trees = {
      input: ['features_f64'],
      output: [output],
      name: 'trees',
      op_type: 'TreeEnsembleRegressor',
      domain: ML_DOMAIN,
      attribute: [
        ...common,
        intsAttr('target_treeids', nodes.leafTreeIds),
        intsAttr('target_nodeids', nodes.leafNodeIds),
        intsAttr('target_ids', nodes.leafTreeIds.map(() => 0)),
        doublesAttr('target_weights_as_tensor', nodes.leafWeights),
        intAttr('n_targets', 1),
        stringAttr('aggregate_function', 'SUM'),
        stringAttr('post_transform', 'NONE'),
      ],
    };
    outputs = [tensorInfo(output, DataType.FLOAT, [BATCH_DIM, 1])];
  }

  const card: Record<string, string> = {
    [CARD_KEYS.name]: meta.name,
    [CARD_KEYS.version]: meta.version,
    [CARD_KEYS.objective]: model.objective,
    [CARD_KEYS.featureNames]: JSON.stringify(model.featureNames),
    [CARD_KEYS.output]: output,
    [CARD_KEYS.trees]: String(model.trees.length),
    [CARD_KEYS.baseScore]: String(model.baseScore),
  };
  const modelVersion = /^\d{1,15}$/.test(meta.version) ? Number(meta.version) : undefined;

  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [
      { domain: '', version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: ONNX_ML_OPSET },
    ],
    producer_name: 'prognos',
    ...(meta.producer !== undefined ? { producer_version: meta.producer } : {}),
    ...(modelVersion !== undefined ? { model_version: modelVersion } : {}),
    ...(meta.docString !== undefined ? { doc_string: meta.docString } : {}),
    graph: {
      node: [cast, trees],
      name: meta.name,
      input: [tensorInfo(INPUT_NAME, DataType.FLOAT, [BATCH_DIM, width])],
      output: outputs,
    },
    metadata_props: Object.entries(card).map(([key, value]) => ({ key, value })),
  });
}

/** Reads the model card from a model written by {@link exportOnnx}, without decoding the graph. */
export function readModelCard(bytes: Uint8Array): ModelCard {
  let header;
  try {
    header = decodeModelHeader(bytes);
  } catch (cause) {
    throw new PrognosError('PRG_MODEL_INVALID', 'the model file is not an ONNX ModelProto', { cause });
  }
  const parsed = cardSchema.safeParse(Object.fromEntries(header.metadata));
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new PrognosError('PRG_MODEL_INVALID', `the model card in the ONNX metadata is invalid at ${where}`, {
      cause: parsed.error,
    });
  }
  const c = parsed.data;
  return {
    name: c[CARD_KEYS.name],
    version: c[CARD_KEYS.version],
    objective: c[CARD_KEYS.objective],
    featureNames: c[CARD_KEYS.featureNames],
    output: c[CARD_KEYS.output],
    trees: c[CARD_KEYS.trees],
    baseScore: c[CARD_KEYS.baseScore],
    producer: header.producerVersion ? `${header.producerName} ${header.producerVersion}` : header.producerName,
  };
}

interface FlatNodes {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  thresholds: number[];
  trueIds: number[];
  falseIds: number[];
  missingTrue: number[];
  leafTreeIds: number[];
  leafNodeIds: number[];
  leafWeights: number[];
}

/** A one-leaf tree worth 0: the operators need at least one node. */
const EMPTY_TREE: Tree = {
  feature: Int32Array.of(-1),
  threshold: Float64Array.of(0),
  left: Int32Array.of(-1),
  right: Int32Array.of(-1),
  missingLeft: Uint8Array.of(0),
  value: Float64Array.of(0),
  cover: Float64Array.of(0),
};

/** The ONNX node tuple: node ids are our array indices, the "true" branch is `left`. */
function flattenTrees(model: TreeEnsemble, width: number): FlatNodes {
  const out: FlatNodes = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    modes: [],
    thresholds: [],
    trueIds: [],
    falseIds: [],
    missingTrue: [],
    leafTreeIds: [],
    leafNodeIds: [],
    leafWeights: [],
  };
  const trees = model.trees.length > 0 ? model.trees : [EMPTY_TREE];
  trees.forEach((tree, t) => {
    const n = tree.feature.length;
    for (let i = 0; i < n; i++) {
      const f = tree.feature[i]!;
      out.treeIds.push(t);
      out.nodeIds.push(i);
      if (f < 0) {
        out.featureIds.push(0);
        out.modes.push('LEAF');
        out.thresholds.push(0);
        out.trueIds.push(0);
        out.falseIds.push(0);
        out.missingTrue.push(0);
        out.leafTreeIds.push(t);
        out.leafNodeIds.push(i);
        out.leafWeights.push(tree.value[i]!);
        continue;
      }
      const th = tree.threshold[i]!;
      const l = tree.left[i]!;
      const r = tree.right[i]!;
      if (f >= width) throw badTree(t, i, `feature ${f} is outside the ${width} features`);
      if (Math.fround(th) !== th) throw badTree(t, i, `threshold ${th} is not a float32 value`);
      if (!(l > 0 && l < n && r > 0 && r < n)) throw badTree(t, i, `child index out of range (${l}, ${r})`);
      out.featureIds.push(f);
      out.modes.push('BRANCH_LEQ');
      out.thresholds.push(th);
      out.trueIds.push(l);
      out.falseIds.push(r);
      out.missingTrue.push(tree.missingLeft[i] ? 1 : 0);
    }
  });
  return out;
}

function badTree(tree: number, node: number, why: string): PrognosError {
  return new PrognosError('PRG_MODEL_INVALID', `tree ${tree} node ${node}: ${why}`);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function tensorInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

const utf8 = new TextEncoder();

function intAttr(name: string, i: number): Attribute {
  return { name, type: AttributeType.INT, i };
}
function intsAttr(name: string, ints: number[]): Attribute {
  return { name, type: AttributeType.INTS, ints };
}
function stringAttr(name: string, s: string): Attribute {
  return { name, type: AttributeType.STRING, s: utf8.encode(s) };
}
function stringsAttr(name: string, strings: string[]): Attribute {
  return { name, type: AttributeType.STRINGS, strings: strings.map((s) => utf8.encode(s)) };
}
function doublesAttr(name: string, values: number[]): Attribute {
  return { name, type: AttributeType.TENSOR, t: { dims: [values.length], data_type: DataType.DOUBLE, double_data: values } };
}
