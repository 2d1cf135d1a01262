import { z } from 'zod';

/**
 * What the models tell the rest of the product about one device at one moment. This is the
 * contract between models/ (which produces it, writes it to InfluxDB's `predictions`
 * measurement and hands it on) and alerts/ (which turns a stream of them into episodes).
 */

/** One sensor-level share of a prediction's risk, from exact TreeSHAP on the model's trees. */
export const AttributionSchema = z.object({
  /** Sensor name as the device sends it, e.g. `vibration_rms_mm_s`. */
  sensor: z.string(),
  /** The strongest feature of that sensor, e.g. `vibration_rms_mm_s__slope_24h`. */
  feature: z.string(),
  /** Signed contribution to the raw score (log-odds for risk models). */
  contribution: z.number(),
  /** |contribution| as a share of the sum of |contributions| over all sensors, 0..1. */
  share: z.number().min(0).max(1),
  /** The feature's value in this prediction. */
  value: z.number().nullable(),
});
export type Attribution = z.infer<typeof AttributionSchema>;

export const FailureModeRiskSchema = z.object({
  /** Failure mode id as the simulator and the knowledge base name it, e.g. `bearing_wear`. */
  mode: z.string(),
  /** Probability of failure of this mode within the model's horizon, 0..1. */
  risk: z.number().min(0).max(1),
  /** Horizon the risk refers to, in hours of operation. */
  horizonHours: z.number().positive(),
  /** The model's decision threshold for this mode (from its card). */
  threshold: z.number().min(0).max(1),
  /** Top attributions for this mode's risk, strongest first (at most 5). */
  attributions: z.array(AttributionSchema),
});
export type FailureModeRisk = z.infer<typeof FailureModeRiskSchema>;

export const PredictionSchema = z.object({
  tenant: z.string(),
  device: z.string(),
  equipmentType: z.string(),
  /** Epoch ms of the newest reading the features were computed from. */
  at: z.number().int(),
  modelVersion: z.string(),
  /**
   * `ok`: risks and RUL are meaningful. `insufficient_data`: the feature windows had too many
   * gaps (or too little history); risks are empty and nobody may act on this prediction.
   */
  status: z.enum(['ok', 'insufficient_data']),
  /** Why the data was insufficient (only when status is insufficient_data). */
  insufficientReason: z.string().optional(),
  risks: z.array(FailureModeRiskSchema),
  /** Remaining useful life in operating hours: point estimate, and a conservative lower bound. */
  rulHours: z.number().nonnegative().nullable(),
  rulLowerHours: z.number().nonnegative().nullable(),
});
export type Prediction = z.infer<typeof PredictionSchema>;
