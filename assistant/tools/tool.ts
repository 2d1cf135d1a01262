import { z } from 'zod';
import type { Caller } from '../../platform/caller.ts';
import type { AssistantPorts, Language, ServiceTier } from '../assistant-ports.ts';
import type { KnowledgeBase } from '../knowledge-base.ts';

/** What every tool runs with: the caller it acts as, never anyone the model names. */
export interface ToolContext {
  caller: Caller;
  ports: AssistantPorts;
  knowledge: KnowledgeBase;
  conversationId: string;
  language: Language;
  /** Epoch ms now (from the injected clock). */
  now: number;
  /** The conversation so far (for a hand-off). */
  transcript(): Promise<{ role: 'user' | 'assistant'; text: string }[]>;
  /**
   * Whether text from devices, tickets or customers seen in this conversation reads like
   * instructions. Then even an `ai`-tier change waits for the user's confirmation.
   */
  injectionSeen(): Promise<boolean>;
  /** Extra context a hand-off carries (e.g. the detector's findings). */
  handOffContext?: Record<string, unknown>;
}

export type Role = 'engineer' | 'customer';

interface ToolBase<S extends z.ZodObject> {
  name: string;
  description: string;
  /** Validates the model's arguments and is the JSON schema the model sees. */
  parameters: S;
  /** Who may use it; a tool outside the caller's role is neither offered nor run. */
  roles: readonly Role[];
}

export interface ReadTool<S extends z.ZodObject = z.ZodObject> extends ToolBase<S> {
  effect: 'read';
  run(ctx: ToolContext, args: z.infer<S>): Promise<unknown>;
}

/** What a change would do, checked against the caller's authority before anything is proposed. */
export interface ChangePlan {
  summary: string;
  /** The ticket's service tier: `ai` lets the system act without a confirmation. */
  tier: ServiceTier;
  ticketId: string;
}

/**
 * A tool that changes the world. `prepare` checks and describes; `execute` acts, and runs
 * only after the user confirmed (or at once when the ticket's tier is `ai`).
 */
export interface ChangeTool<S extends z.ZodObject = z.ZodObject> extends ToolBase<S> {
  effect: 'change';
  prepare(ctx: ToolContext, args: z.infer<S>): Promise<ChangePlan>;
  execute(ctx: ToolContext, args: z.infer<S>): Promise<unknown>;
}

export type Tool = ReadTool<any> | ChangeTool<any>;

export function readTool<S extends z.ZodObject>(t: Omit<ReadTool<S>, 'effect'>): ReadTool<S> {
  return { ...t, effect: 'read' };
}

export function changeTool<S extends z.ZodObject>(t: Omit<ChangeTool<S>, 'effect'>): ChangeTool<S> {
  return { ...t, effect: 'change' };
}

/** The OpenAI `tools` entry, its parameters produced from the same zod schema that validates. */
export function toOpenAiTool(t: Tool): { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } } {
  const schema = z.toJSONSchema(t.parameters, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return { type: 'function', function: { name: t.name, description: t.description, parameters: schema } };
}

export function roleOf(c: Caller): Role {
  return c.kind === 'customer' ? 'customer' : 'engineer';
}
