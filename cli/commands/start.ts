import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { type SimulatedFleet, startSimulatedFleet } from '../../simulators/simulated-fleet.ts';
import { startServiceRuntime, untilSignal } from '../service-runtime.ts';

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
    .option('--speed <x>', 'simulated seconds of equipment physics per real second', '3600')
    .option('--summary-every <s>', 'print a one-line summary this often (seconds, 0 = never)', '10')
    .addHelpText('after', `\nNeeds InfluxDB (run \`prognos services up\` first, or \`npm run demo\` for everything).`)
    .action(async (opts: StartOptions) => {
      const config = loadConfig();
      let fleet: SimulatedFleet | null = null;
      const rt = await startServiceRuntime(config, () => (fleet ? { simulator: fleet.stats() } : {}));
      const out = (s: string) => process.stdout.write(`${s}\n`);
      for (const u of rt.apiServices.bootstrapped) {
        out(`  first start: user ${u.username} (${u.role}${u.tenant ? ` of ${u.tenant}` : ''}) password ${u.password}   (shown once)`);
      }
      const devices = Number(opts.simulate);
      if (devices > 0) {
        // With device authentication on, the simulator connects as the demo tenant's gateway.
        const gateway = rt.apiServices.brokerAuth ? await rt.apiServices.credentials.issue('demo', '*') : null;
        fleet = await startSimulatedFleet({
          mqttUrl: rt.ingest.brokerUrl,
          username: gateway?.username,
          password: gateway?.secret,
          devices,
          seed: Number(opts.seed),
          speed: Number(opts.speed),
          protocolVersion: config.mqtt.url ? config.mqtt.protocolVersion : 4,
          onEvent: (unit, e) => out(`  simulator: ${unit.device} (${unit.type}) ${e.kind} ${e.failureModes.join(", ")}`),
          onError: (err) => rt.logger.warn({ err }, 'simulator error'),
        });
      }
      out(`prognos is running`);
      out(`  MQTT broker   ${rt.ingest.brokerUrl}   (publish to prognos/<tenant>/<device>/telemetry)`);
      out(`  HTTP          ${rt.httpUrl}   (/api/v1/status, /metrics, /api/v1/rejects)`);
      out(`  InfluxDB      ${config.influx.url}   database ${config.influx.database}, measurement telemetry`);
      out(`  data          ${config.dataDir}`);
      if (fleet) out(`  simulator     ${devices} machines, seed ${opts.seed}, ${opts.speed}× equipment time (tenant demo)`);
      out(`  rejected payloads: npx prognos rejects`);
      const every = Number(opts.summaryEvery) * 1000;
      const line = () => {
        const sim = (fleet as SimulatedFleet | null)?.stats();
        return summaryLine(rt.ingest.metrics.snapshot()) + (sim ? `  | simulator: failures ${sim.failures}, maintenance ${sim.maintenance}, repairs ${sim.repairs}` : '');
      };
      const timer = every > 0 ? setInterval(() => out(line()), every) : null;
      await untilSignal();
      if (timer) clearInterval(timer);
      out('stopping…');
      await (fleet as SimulatedFleet | null)?.stop();
      await rt.stop();
      out(line());
    });
}

export function summaryLine(s: { readingsReceived: number; written: number; spooled: number; rejectedTotal: number; seqGaps: number; dataGaps: number }): string {
  return `[${new Date().toISOString()}] readings ${s.readingsReceived}  written ${s.written}  spooled ${s.spooled}  rejected ${s.rejectedTotal}  seq gaps ${s.seqGaps}  data gaps ${s.dataGaps}`;
}
