/**
 * The trained model's shape, shared by the trainer, the TypeScript evaluator, TreeSHAP and the
 * ONNX exporter: an additive ensemble of binary decision trees over a fixed feature vector.
 *
 * Comparison semantics follow ONNX-ML's TreeEnsemble operators with `BRANCH_LEQ`, evaluated the
 * way onnxruntime does it: the input and the threshold are float32. A row goes left when
 * `fround(x[feature]) <= threshold` (thresholds are stored already rounded to float32), and a
 * missing value (NaN) goes left when `missingLeft` is set (ONNX `nodes_missing_value_tracks_true`),
 * else right.
 */
export interface Tree {
  /** Per node: the feature index it splits on, or -1 for a leaf. */
  readonly feature: Int32Array;
  /** Per node: the split threshold, a float32 value (`Math.fround`). Unused for leaves. */
  readonly threshold: Float64Array;
  /** Per node: child indices (the "true" branch is left). -1 for leaves. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Per node: where a NaN goes. */
  readonly missingLeft: Uint8Array;
  /** Per node: the leaf's output (already multiplied by the learning rate); 0 for inner nodes. */
  readonly value: Float64Array;
  /** Per node: training weight (hessian sum, or row count) that reached it. TreeSHAP needs it. */
  readonly cover: Float64Array;
}

export interface TreeEnsemble {
  /** `regression`: output = base + Σ trees. `binary`: probability = sigmoid(base + Σ trees). */
  readonly objective: 'regression' | 'binary';
  readonly baseScore: number;
  readonly trees: readonly Tree[];
  readonly featureNames: readonly string[];
}

/** The raw additive score of one row (the margin, before any sigmoid). */
export function rawScore(model: TreeEnsemble, row: ArrayLike<number>): number {
  let sum = model.baseScore;
  for (const tree of model.trees) sum += tree.value[leafIndex(tree, row)]!;
  return sum;
}

/** The model's output for one row: a value for regression, a probability for binary. */
export function predict(model: TreeEnsemble, row: ArrayLike<number>): number {
  const raw = rawScore(model, row);
  return model.objective === 'binary' ? sigmoid(raw) : raw;
}

export function leafIndex(tree: Tree, row: ArrayLike<number>): number {
  let node = 0;
  for (;;) {
    const f = tree.feature[node]!;
    if (f < 0) return node;
    const x = row[f]!;
    const goLeft = Number.isNaN(x) ? tree.missingLeft[node] === 1 : Math.fround(x) <= tree.threshold[node]!;
    node = goLeft ? tree.left[node]! : tree.right[node]!;
  }
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
