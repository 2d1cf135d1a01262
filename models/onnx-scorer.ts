/**
 * Scores rows with an exported tree model in onnxruntime (CPU), either in bulk or one row at a
 * time through a micro-batcher: single-row callers are queued and scored together in one
 * `session.run`, because a run's fixed cost (feeds, output tensors, the native call) is most of
 * the cost of scoring one row.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { systemClock, type Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import { INPUT_NAME, readModelCard, type ModelCard } from './onnx-export.ts';

export interface OnnxScorerOptions {
  /** Queued rows that make a full micro-batch: reaching it runs the batch at once. Default 256. */
  maxBatch?: number;
  /** Longest a queued row waits for company before its batch runs, in ms. Default 2. */
  maxDelayMs?: number;
  /**
   * onnxruntime intra-op threads. Default 1: scoring shares the host with ingest, and a tree
   * ensemble on a few hundred rows gains little from more.
   */
  threads?: number;
  /** Default: the system clock. */
  clock?: Clock;
}

interface QueuedRow {
  /** A copy: the caller may reuse its array as soon as scoreOne returns. */
  row: Float32Array;
  /** When it was queued (clock ms): its batch runs by `at + maxDelayMs`. */
  at: number;
  resolve: (score: number) => void;
  reject: (err: unknown) => void;
}

export class OnnxScorer {
  /** Features per row. */
  readonly width: number;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;
  private readonly binary: boolean;
  private queue: QueuedRow[] = [];
  private cancelTimer: (() => void) | undefined;
  /** The micro-batch being scored: at most one, so rows arriving meanwhile gather for the next. */
  private batchRun: Promise<void> | undefined;
  private readonly runs = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  private batches = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    /** The model card read from the model's metadata. */
    readonly card: ModelCard,
    options: OnnxScorerOptions,
  ) {
    this.width = card.featureNames.length;
    this.binary = card.objective === 'binary';
    this.maxBatch = options.maxBatch ?? 256;
    this.maxDelayMs = options.maxDelayMs ?? 2;
    this.clock = options.clock ?? systemClock;
  }

  /** Loads a model written by `exportOnnx`, from its bytes or a file path. */
  static async load(model: Uint8Array | string, options: OnnxScorerOptions = {}): Promise<OnnxScorer> {
    if (options.maxBatch !== undefined && !(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) {
      throw new PrognosError('PRG_INTERNAL', `maxBatch must be a positive integer, got ${options.maxBatch}`);
    }
    const bytes = typeof model === 'string' ? await readFile(model) : model;
    const card = readModelCard(bytes);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: options.threads ?? 1,
        interOpNumThreads: 1,
      });
    } catch (cause) {
      throw new PrognosError('PRG_MODEL_INVALID', `onnxruntime cannot load model ${card.name} ${card.version}`, { cause });
    }
    // The card and the graph are written together, but a hand-edited file could disagree.
    const input = session.inputMetadata.find((m) => m.name === INPUT_NAME);
    const problem = !input?.isTensor
      ? `it has no tensor input "${INPUT_NAME}"`
      : input.shape[1] !== card.featureNames.length
        ? `its input is ${JSON.stringify(input.shape)} but the card lists ${card.featureNames.length} features`
        : !session.outputNames.includes(card.output)
          ? `it has no output "${card.output}"`
          : undefined;
    if (problem) {
      await session.release();
      throw new PrognosError('PRG_MODEL_INVALID', `model ${card.name} ${card.version} is inconsistent: ${problem}`);
    }
    return new OnnxScorer(session, card, options);
  }

  /** Micro-batches run so far by {@link scoreOne}. */
  get batchesRun(): number {
    return this.batches;
  }

  /**
   * Scores many rows in one run: the regression value, or P(positive) for a binary model, per
   * row. `rows` is one array per row, or all rows row-major in one array (`n` rows; default
   * `rows.length / width`; it is read during the run, so leave it unchanged until the promise
   * settles). NaN means missing.
   */
  async score(rows: readonly ArrayLike<number>[] | Float32Array, n?: number): Promise<Float64Array> {
    this.assertOpen();
    let flat: Float32Array;
    let count: number;
    if (rows instanceof Float32Array) {
      count = n ?? rows.length / this.width;
      if (!Number.isInteger(count) || rows.length !== count * this.width) {
        throw badInput(`${rows.length} values are not ${n ?? 'whole'} rows of ${this.width} features`);
      }
      flat = rows;
    } else {
      count = rows.length;
      flat = new Float32Array(count * this.width);
      rows.forEach((row, i) => {
        if (row.length !== this.width) throw badInput(`row ${i} has ${row.length} values, the model takes ${this.width}`);
        flat.set(row, i * this.width);
      });
    }
    return this.run(flat, count);
  }

  /**
   * Scores one row together with other queued rows: a batch runs when `maxBatch` rows are
   * queued or when its oldest row has waited `maxDelayMs`, one batch at a time (rows that are due
   * while a batch runs go as soon as it ends). Each caller gets its own row's score.
   */
  scoreOne(row: ArrayLike<number>): Promise<number> {
    if (this.closing) return Promise.reject(closedError());
    if (row.length !== this.width) {
      return Promise.reject(badInput(`the row has ${row.length} values, the model takes ${this.width}`));
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ row: Float32Array.from(row), at: this.clock.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Scores what is queued, waits for runs in flight, then releases the session. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.batchRun || this.queue.length > 0) {
        if (!this.batchRun) this.startBatch();
        await this.batchRun;
      }
      await Promise.allSettled([...this.runs]);
      await this.session.release();
    })();
    return this.closing;
  }

  /** Starts the next batch if it is full or due, else sets the timer for when it is due. */
  private schedule(): void {
    if (this.batchRun || this.queue.length === 0) return; // re-checked when the batch ends
    if (this.queue.length >= this.maxBatch) return this.startBatch();
    const wait = this.queue[0]!.at + this.maxDelayMs - this.clock.now();
    if (wait <= 0) return this.startBatch();
    this.cancelTimer ??= this.clock.setTimer(() => {
      this.cancelTimer = undefined;
      this.schedule();
    }, wait);
  }

  private startBatch(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.batchRun || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.batches++;
    this.batchRun = this.runBatch(batch).finally(() => {
      this.batchRun = undefined;
      if (!this.closing) this.schedule();
    });
  }

  private async runBatch(batch: QueuedRow[]): Promise<void> {
    const flat = new Float32Array(batch.length * this.width);
    batch.forEach((q, i) => flat.set(q.row, i * this.width));
    try {
      const scores = await this.run(flat, batch.length);
      batch.forEach((q, i) => q.resolve(scores[i]!));
    } catch (err) {
      for (const q of batch) q.reject(err);
    }
  }

  private run(flat: Float32Array, n: number): Promise<Float64Array> {
    if (n === 0) return Promise.resolve(new Float64Array(0));
    const p = this.runSession(flat, n);
    this.runs.add(p);
    void p.finally(() => this.runs.delete(p)).catch(() => {});
    return p;
  }

  private async runSession(flat: Float32Array, n: number): Promise<Float64Array> {
    const feeds = { [INPUT_NAME]: new ort.Tensor('float32', flat, [n, this.width]) };
    const out = (await this.session.run(feeds, [this.card.output]))[this.card.output];
    if (!out) throw new PrognosError('PRG_INTERNAL', `onnxruntime returned no "${this.card.output}"`);
    const data = out.data as Float32Array;
    const scores = new Float64Array(n);
    // A binary model's output is [N, 2] = [P(negative), P(positive)].
    if (this.binary) for (let i = 0; i < n; i++) scores[i] = data[2 * i + 1]!;
    else for (let i = 0; i < n; i++) scores[i] = data[i]!;
    return scores;
  }

  private assertOpen(): void {
    if (this.closing) throw closedError();
  }
}

function badInput(detail: string): PrognosError {
  return new PrognosError('PRG_BAD_REQUEST', detail);
}

function closedError(): PrognosError {
  return new PrognosError('PRG_INTERNAL', 'the ONNX scorer is closed');
}
