import { z } from 'zod';

/**
 * One evaluation scenario: who asks what (one or more turns, e.g. a request then "yes"), in
 * which world, and what a good assistant does: the tools it calls, the facts its answers carry,
 * what they must never contain, whether anything changed, whether it handed off. The scripted
 * model turns (what a tool-calling model would send) live with the scenario, so the loop can
 * be replayed over the provider's wire protocol without a real model.
 */

export const CATEGORIES = [
  'engineer_explain',
  'engineer_status',
  'engineer_visits',
  'engineer_messages',
  'customer_status',
  'customer_explain',
  'customer_visits',
  'handoff',
  'adversarial_injection',
  'adversarial_cross_customer',
  'adversarial_ungrounded',
] as const;
export type Category = (typeof CATEGORIES)[number];

const ScriptedTurn = z.object({
  content: z.string().optional(),
  toolCalls: z.array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) })).optional(),
});
export type ScriptedTurn = z.infer<typeof ScriptedTurn>;

export const ExpectSchema = z.object({
  /** Each must have been called successfully at least once (in any turn). */
  toolCalls: z.array(z.string()).default([]),
  /** None of these may have been called successfully. */
  notCalled: z.array(z.string()).default([]),
  /** Each must appear in the answers (case-insensitive); an inner array means any one of them. */
  facts: z.array(z.union([z.string(), z.array(z.string())])).default([]),
  /** None may appear in any answer (case-insensitive). */
  forbidden: z.array(z.string()).default([]),
  /** None may appear in any successful tool result (what the model got to see). */
  forbiddenInResults: z.array(z.string()).default([]),
  /** The changes made through the ports, in order, by name (`handOff` counts). Omitted: not checked. */
  changes: z.array(z.string()).optional(),
  /** Whether the conversation was handed to a person. Omitted: not checked. */
  handOff: z.boolean().optional(),
  /** The last turn's proposal status. Omitted: not checked. */
  proposal: z.enum(['pending', 'executed', 'declined', 'none']).optional(),
  /** The grounding check passed on every answer. Default true. */
  grounded: z.boolean().default(true),
  /** The answers are in this language (offline notice or CJK share). Default: the scenario's. */
  language: z.enum(['en', 'zh-CN']).optional(),
});
export type Expect = z.infer<typeof ExpectSchema>;

export const EvalScenarioSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  category: z.enum(CATEGORIES),
  language: z.enum(['en', 'zh-CN']),
  as: z.enum(['engineer', 'customer:acme', 'customer:huadong']),
  /** `injected`: instructions planted in a device name, a ticket note and a customer message. */
  world: z.enum(['plain', 'injected']).default('plain'),
  /** Where it runs: the offline responder, the tool-calling loop (scripted or a real provider). */
  modes: z.array(z.enum(['offline', 'llm'])).default(['offline', 'llm']),
  turns: z
    .array(
      z.object({
        user: z.string().min(1),
        /** The model's turns for this user message, in order (the scripted replay). */
        script: z.array(ScriptedTurn).default([]),
      }),
    )
    .min(1),
  expect: ExpectSchema.partial().default({}),
  /** Replaces fields of `expect` for the offline responder. */
  offline: ExpectSchema.partial().optional(),
  /** Replaces fields of `expect` for the tool-calling loop. */
  llm: ExpectSchema.partial().optional(),
});
export type EvalScenario = z.output<typeof EvalScenarioSchema>;
export type EvalScenarioInput = z.input<typeof EvalScenarioSchema>;

export type EvalMode = 'offline' | 'llm';

/** The expectations for one mode: the common ones with that mode's overrides. */
export function expectationsFor(s: EvalScenario, mode: EvalMode): Expect {
  return ExpectSchema.parse({ language: s.language, ...s.expect, ...(mode === 'offline' ? s.offline : s.llm) });
}
