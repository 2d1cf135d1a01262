import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { PrognosError } from '../../platform/errors.ts';
import type { StoredDeadLetter } from '../../ingest/dead-letter-store.ts';

/**
 * Lists rejected payloads. It asks the running service over HTTP and never opens the data
 * directory itself: PGlite serves one process.
 */
export function registerRejects(program: Command): void {
  program
    .command('rejects')
    .description('List rejected (dead-lettered) payloads from the running service, newest first.')
    .option('--reason <reason>', 'only this reason (e.g. malformed_json, non_finite_number)')
    .option('--device <id>', 'only this device')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'one JSON object per line: topic, reason, time, payload excerpt')
    .action(async (opts: { reason?: string; device?: string; limit: string; json?: boolean }) => {
      const config = loadConfig();
      const url = new URL('/api/v1/rejects', config.http.serviceUrl);
      if (opts.reason) url.searchParams.set('reason', opts.reason);
      if (opts.device) url.searchParams.set('device', opts.device);
      url.searchParams.set('limit', opts.limit);
      let res: Response;
      try {
        res = await fetch(url, { headers: config.api.token ? { authorization: `Bearer ${config.api.token}` } : {}, signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${config.http.serviceUrl} (is \`prognos start\` running? set PROGNOS_URL to point elsewhere)`, { cause: err });
      }
      const body = (await res.json()) as { items?: StoredDeadLetter[]; countsByReason?: Record<string, number>; error?: { code: string; message: string } };
      if (!res.ok || !body.items) throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}${res.status === 401 ? ' (set PROGNOS_TOKEN to an admin token)' : ''}`);
      if (opts.json) {
        for (const r of body.items) {
          process.stdout.write(
            `${JSON.stringify({ time: r.receivedAt, topic: r.topic, reason: r.reason, detail: r.detail, tenant: r.tenant, device: r.device, payloadBytes: r.payloadBytes, payloadExcerpt: r.payloadExcerpt })}\n`,
          );
        }
        return;
      }
      const counts = Object.entries(body.countsByReason ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      process.stdout.write(`rejections by reason: ${counts || 'none'}\n`);
      for (const r of body.items) {
        const excerpt = r.payloadExcerpt.replace(/\s+/g, ' ').slice(0, 80);
        process.stdout.write(`${r.receivedAt}  ${r.reason.padEnd(20)} ${r.topic}  ${r.detail}\n    ${excerpt}${r.payloadBytes > 80 ? '…' : ''}\n`);
      }
    });
}
