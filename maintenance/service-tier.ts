import type { Criticality } from './fleet-schema.ts';

/**
 * The layered service: `ai` (the system schedules and notifies on its own), `assisted` (the
 * system proposes, an engineer approves), `human` (a person owns the ticket). Pure: the first
 * rule that applies decides, and its reason code is stored on the ticket.
 */

export const TIERS = ['ai', 'assisted', 'human'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * Failure modes a machine must not handle alone, and why. Others (bearing_wear, seal_wear,
 * valve_wear, cooler_fouling, gear_wear) degrade gradually and are routine to schedule.
 */
export const SAFETY_CRITICAL_MODES: Readonly<Record<string, string>> = {
  winding_insulation: 'electrical insulation breakdown: shock and fire hazard; the motor must be isolated by a qualified electrician',
  gear_tooth_crack: 'a cracked tooth can break suddenly with little warning: the drive may need to stop now, a person decides',
};

/** Actions that must never be taken by the system on its own. */
export const SECURITY_SENSITIVE_ACTIONS = ['change_device_credentials', 'remote_shutdown', 'firmware_update', 'change_contact_details'] as const;
export type SecuritySensitiveAction = (typeof SECURITY_SENSITIVE_ACTIONS)[number];

/**
 * Risk under which a prediction counts as low confidence, unless it is well past the model's
 * own decision threshold (≥ 1.5 × threshold): a classifier for a rare event can be sure at 0.15
 * when its threshold is 0.08, so an absolute 0.6 alone would send every such ticket to an engineer.
 */
export const LOW_CONFIDENCE_RISK = 0.6;
export const CONFIDENT_THRESHOLD_MULTIPLE = 1.5;

export type TierReason =
  | `safety_critical_mode:${string}`
  | 'device_critical'
  | 'customer_needs_human'
  | `security_sensitive:${string}`
  | 'device_high_criticality'
  | 'low_confidence'
  | 'routine';

export interface TierInput {
  mode: string;
  deviceCriticality: Criticality;
  customerNeedsHuman: boolean;
  /** Probability of failure from the prediction, 0..1. */
  risk: number;
  /** The model's decision threshold for this mode (from its card), when known. */
  threshold?: number;
  /** An action the ticket involves that is security-sensitive, if any. */
  securitySensitiveAction?: SecuritySensitiveAction;
}

export interface TierDecision {
  tier: Tier;
  reason: TierReason;
}

export function decideTier(i: TierInput): TierDecision {
  if (SAFETY_CRITICAL_MODES[i.mode] !== undefined) return { tier: 'human', reason: `safety_critical_mode:${i.mode}` };
  if (i.deviceCriticality === 'critical') return { tier: 'human', reason: 'device_critical' };
  if (i.customerNeedsHuman) return { tier: 'human', reason: 'customer_needs_human' };
  if (i.securitySensitiveAction) return { tier: 'human', reason: `security_sensitive:${i.securitySensitiveAction}` };
  if (i.deviceCriticality === 'high') return { tier: 'assisted', reason: 'device_high_criticality' };
  const confidentAt = i.threshold === undefined ? LOW_CONFIDENCE_RISK : Math.min(LOW_CONFIDENCE_RISK, CONFIDENT_THRESHOLD_MULTIPLE * i.threshold);
  if (i.risk < confidentAt) return { tier: 'assisted', reason: 'low_confidence' };
  return { tier: 'ai', reason: 'routine' };
}
