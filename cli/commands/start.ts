import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { startServiceRuntime, untilSignal } from '../service-runtime.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run every role in one process on embedded defaults (embedded MQTT broker, PGlite), optionally with the fleet simulator feeding it.')
    .option('--summary-every <s>', 'print a one-line summary this often (seconds, 0 = never)', '10')
    .addHelpText('after', `\nNeeds InfluxDB (run \`prognos services up\` first, or \`npm run demo\` for everything).`)
    .action(async (opts: { summaryEvery: string }) => {
      const config = loadConfig();
      const rt = await startServiceRuntime(config);
      const out = (s: string) => process.stdout.write(`${s}\n`);
      out(`prognos is running`);
      out(`  MQTT broker   ${rt.ingest.brokerUrl}   (publish to prognos/<tenant>/<device>/telemetry)`);
      out(`  HTTP          ${rt.httpUrl}   (/api/v1/status, /metrics, /api/v1/rejects)`);
      out(`  InfluxDB      ${config.influx.url}   database ${config.influx.database}, measurement telemetry`);
      out(`  data          ${config.dataDir}`);
      const every = Number(opts.summaryEvery) * 1000;
      const timer = every > 0 ? setInterval(() => out(summaryLine(rt.ingest.metrics.snapshot())), every) : null;
      await untilSignal();
      if (timer) clearInterval(timer);
      out('stopping…');
      await rt.stop();
      out(summaryLine(rt.ingest.metrics.snapshot()));
    });
}

export function summaryLine(s: { readingsReceived: number; written: number; spooled: number; rejectedTotal: number; seqGaps: number; dataGaps: number }): string {
  return `[${new Date().toISOString()}] readings ${s.readingsReceived}  written ${s.written}  spooled ${s.spooled}  rejected ${s.rejectedTotal}  seq gaps ${s.seqGaps}  data gaps ${s.dataGaps}`;
}
