import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { untilSignal } from '../signals.ts';

interface StartOptions {
  simulate: string;
  seed: string;
  speed: string;
  summaryEvery: string;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run every role in one process on embedded defaults (embedded MQTT broker, PGlite), optionally with the fleet simulator feeding it.')
    .option('--simulate <devices>', 'also run a simulated fleet of this many machines against the broker (0 = none)', '0')
    .option('--seed <n>', 'simulator seed', '1')
    .option('--speed <x>', 'with --simulate: clock ms per real ms for the whole product (3600 = a simulated hour per second)', '3600')
    .option('--summary-every <s>', 'print a one-line summary this often (seconds, 0 = never)', '10')
    .addHelpText('after', `\nNeeds InfluxDB (run \`prognos services up\` first, or \`npm run demo\` for everything).`)
    .action(async (opts: StartOptions) => {
      // The product is loaded when the command runs: every prognos command imports this file to register it.
      const [{ formatSummary }, { startProduct }] = await Promise.all([import('../demo-summary.ts'), import('../product.ts')]);
      const config = loadConfig();
      const out = (s: string) => process.stdout.write(`${s}\n`);
      const devices = Number(opts.simulate);
      const product = await startProduct(config, {
        devices,
        seed: Number(opts.seed),
        speed: Number(opts.speed),
        onSimulatorEvent: (unit, e) => out(`  simulator: ${unit.device} (${unit.type}) ${e.kind} ${e.failureModes.join(', ')}`),
      });
      const rt = product.runtime;
      for (const u of rt.apiServices.bootstrapped) {
        out(`  first start: user ${u.username} (${u.role}${u.tenant ? ` of ${u.tenant}` : ''}) password ${u.password}   (shown once)`);
      }
      out(`prognos is running`);
      out(`  dashboard     ${config.notify.publicUrl}/   (API docs: /docs)`);
      out(`  MQTT broker   ${rt.ingest.brokerUrl}   (publish to prognos/<tenant>/<device>/telemetry)`);
      out(`  HTTP          ${rt.httpUrl}   (/api/v1/status, /metrics, /api/v1/rejects)`);
      out(`  InfluxDB      ${config.influx.url}   database ${config.influx.database}, measurements telemetry, predictions`);
      out(`  data          ${config.dataDir}`);
      if (product.smtp) out(`  mail          ${product.smtp.url}   (embedded sink; messages in ${product.smtp.mailDir})`);
      if (product.fleet) out(`  simulator     ${devices} machines, seed ${opts.seed}, clock ×${opts.speed} (tenant demo)`);
      out(`  rejected payloads: npx prognos rejects`);
      const every = Number(opts.summaryEvery) * 1000;
      const print = async () => out(formatSummary(await product.summary()));
      const timer = every > 0 ? setInterval(() => void print().catch((err) => rt.logger.warn({ err }, 'summary failed')), every) : null;
      await untilSignal();
      if (timer) clearInterval(timer);
      out('stopping…');
      const last = await product.summary();
      await product.stop();
      out(formatSummary(last));
    });
}
