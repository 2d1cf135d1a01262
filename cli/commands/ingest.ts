import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { untilSignal } from '../signals.ts';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('Run the ingest role: MQTT telemetry → validation → InfluxDB (spool while it is down), with online scoring and the alert policy on the same stream (--no-scoring: ingest alone), metrics on HTTP.')
    .addHelpText(
      'after',
      `
Environment: MQTT_URL (unset: embedded broker on MQTT_PORT), MQTT_CLIENT_ID, MQTT_SHARE_GROUP,
INFLUX_URL, INFLUX_DATABASE, INFLUX_TOKEN, DATABASE_URL, PROGNOS_DATA_DIR, PROGNOS_HTTP_PORT.
Metrics: GET /metrics (Prometheus text). Rejections: prognos rejects.`,
    )
    .option('--no-scoring', 'ingest only: no online scoring or alert policy in this process (nor their code: less memory)')
    .action(async (opts: { scoring: boolean }) => {
      const config = loadConfig();
      // Loaded when the command runs, and only the runtime it needs: every prognos command imports this file to register it.
      const rt = opts.scoring
        ? await (await import('../service-runtime.ts')).startServiceRuntime(config)
        : await (await import('../ingest-runtime.ts')).startIngestRuntime(config);
      rt.logger.info({ broker: rt.ingest.brokerUrl, http: rt.httpUrl }, 'ingest running');
      process.stdout.write(`prognos ingest: broker ${rt.ingest.brokerUrl}, metrics ${rt.httpUrl}/metrics\n`);
      await untilSignal();
      await rt.stop();
    });
}
