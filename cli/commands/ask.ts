import { type Command, InvalidArgumentError } from 'commander';
import type { AskResult } from '../../assistant/assistant.ts';
import { loadConfig } from '../../platform/config.ts';
import { PrognosError } from '../../platform/errors.ts';

function asUser(v: string): string {
  if (!/^(engineer|customer):[A-Za-z0-9._@-]{1,128}$/.test(v)) throw new InvalidArgumentError('must be engineer:<id> or customer:<id>');
  return v;
}

/**
 * `prognos ask` asks the running service's assistant (POST /api/v1/assistant/ask) with the
 * PROGNOS_TOKEN bearer token; `--as` needs that token to be an admin's. It never opens the data
 * directory itself: PGlite serves one process.
 */
export function registerAsk(program: Command): void {
  program
    .command('ask <question>')
    .description('Ask the assistant as a user; confirm a proposal with a follow-up "yes" in the same --conversation.')
    .option('--as <who>', 'engineer:<id> or customer:<id> (default: the token\'s own user)', asUser)
    .option('--conversation <id>', 'continue this conversation')
    .option('--json', 'print the answer, its sources and the tool calls as JSON')
    .action(async (question: string, opts: { as?: string; conversation?: string; json?: boolean }) => {
      const config = loadConfig();
      const url = new URL('/api/v1/assistant/ask', config.http.serviceUrl);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(config.api.token ? { authorization: `Bearer ${config.api.token}` } : {}) },
          body: JSON.stringify({ message: question, conversationId: opts.conversation, as: opts.as }),
          signal: AbortSignal.timeout(180_000),
        });
      } catch (err) {
        throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${config.http.serviceUrl} (is \`prognos start\` running? set PROGNOS_URL to point elsewhere)`, { cause: err });
      }
      const body = (await res.json().catch(() => ({}))) as Partial<AskResult> & { error?: { code?: string; message?: string } };
      if (!res.ok || typeof body.answer !== 'string') {
        const code = body.error?.code;
        if (code === 'PRG_UNAUTHENTICATED' || code === 'PRG_FORBIDDEN' || code === 'PRG_NOT_FOUND' || code === 'PRG_BAD_REQUEST') throw new PrognosError(code, body.error?.message);
        throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${res.status} ${body.error?.message ?? ''}`);
      }
      const r = body as AskResult;
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ conversationId: r.conversationId, mode: r.mode, answer: r.answer, sources: r.sources, toolCalls: r.toolCalls, proposals: r.proposals, handOff: r.handOff, grounding: r.grounding }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(`${r.answer}\n`);
      for (const p of r.proposals.filter((p) => p.status === 'pending')) process.stdout.write(`\n[proposal] ${p.summary}\n`);
      process.stdout.write(`\n(conversation ${r.conversationId}${r.proposals.some((p) => p.status === 'pending') ? ': reply "yes" with --conversation to confirm' : ''})\n`);
    });
}
