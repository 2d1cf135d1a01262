import { type EvalScenario, EvalScenarioSchema } from './eval-scenario.ts';
import { ADVERSARIAL_SCENARIOS } from './scenarios/adversarial.ts';
import { CUSTOMER_SCENARIOS } from './scenarios/customer.ts';
import { ENGINEER_SCENARIOS } from './scenarios/engineer.ts';

/** Every evaluation scenario, validated, ids unique. */
export function loadEvalScenarios(): EvalScenario[] {
  const all = [...ENGINEER_SCENARIOS, ...CUSTOMER_SCENARIOS, ...ADVERSARIAL_SCENARIOS].map((s) => EvalScenarioSchema.parse(s));
  const seen = new Set<string>();
  for (const s of all) {
    if (seen.has(s.id)) throw new Error(`duplicate evaluation scenario id ${s.id}`);
    seen.add(s.id);
  }
  return all;
}
