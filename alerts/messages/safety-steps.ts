/**
 * Safety steps per failure mode. The ids are shared; each language's catalogue holds the one
 * sentence of each step, and both message versions (standard and plain) print that sentence
 * verbatim, so fact-preservation.ts can find it in both.
 */
export const SAFETY_STEP_IDS = [
  'grinding_noise_switch_off',
  'leak_switch_off',
  'hot_smell_switch_off',
  'smoke_power_off_call',
  'keep_clear_of_moving_parts',
  'do_not_open_covers',
  'pressure_do_not_open',
  'knocking_switch_off',
] as const;
export type SafetyStepId = (typeof SAFETY_STEP_IDS)[number];

const BY_MODE: Readonly<Record<string, readonly SafetyStepId[]>> = {
  bearing_wear: ['grinding_noise_switch_off', 'keep_clear_of_moving_parts'],
  seal_wear: ['leak_switch_off', 'do_not_open_covers'],
  valve_wear: ['knocking_switch_off', 'pressure_do_not_open'],
  cooler_fouling: ['hot_smell_switch_off', 'pressure_do_not_open'],
  winding_insulation: ['smoke_power_off_call', 'hot_smell_switch_off', 'do_not_open_covers'],
  gear_wear: ['grinding_noise_switch_off', 'keep_clear_of_moving_parts'],
  gear_tooth_crack: ['knocking_switch_off', 'keep_clear_of_moving_parts'],
};

/** Unknown failure modes still get the step that is always right. */
const DEFAULT_STEPS: readonly SafetyStepId[] = ['smoke_power_off_call'];

export function safetyStepsFor(mode: string): readonly SafetyStepId[] {
  return BY_MODE[mode] ?? DEFAULT_STEPS;
}
