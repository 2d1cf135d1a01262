import type { ScriptedTurn } from '../eval-scenario.ts';
import { EvalWorld } from '../eval-world.ts';

/** The scripted model asks for tools. */
export function call(...calls: (string | Record<string, unknown>)[]): ScriptedTurn {
  const toolCalls: { name: string; arguments: Record<string, unknown> }[] = [];
  for (let i = 0; i < calls.length; i += 2) toolCalls.push({ name: calls[i] as string, arguments: (calls[i + 1] ?? {}) as Record<string, unknown> });
  return { toolCalls };
}

/** The scripted model answers. */
export function say(content: string): ScriptedTurn {
  return { content };
}

/** The first slot the evaluation world offers. */
export const SLOT0 = { ...EvalWorld.SLOTS[0]! };
