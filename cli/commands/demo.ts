import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.ts';
import { PrognosError } from '../../platform/errors.ts';
import { untilSignal } from '../signals.ts';
import { runServicesScript } from './services.ts';

interface DemoOptions {
  devices: string;
  seed: string;
  speed: string;
  duration?: string;
  json?: boolean;
  services: boolean;
  summaryEvery: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('The whole product on embedded defaults with a simulated fleet on an accelerated clock: readings, predictions, episodes, tickets, visits, customer messages, outcomes.')
    .option('--devices <n>', 'simulated machines', '50')
    .option('--seed <n>', 'simulator seed', '1')
    .option('--speed <x>', 'clock ms per real ms (7200: two simulated hours per second, a month in 6 minutes)', '7200')
    .option('--duration <seconds>', 'stop after this many real seconds and print the final summary (default: until Ctrl-C)')
    .option('--json', 'print only the final summary, as one JSON object, on stdout')
    .option('--no-services', 'do not run `prognos services up` first')
    .option('--summary-every <s>', 'print a live summary line this often (seconds, 0 = never)', '10')
    .action(async (opts: DemoOptions) => {
      // The product is loaded when the command runs: every prognos command imports this file to register it.
      const [{ formatSummary }, { startProduct }] = await Promise.all([import('../demo-summary.ts'), import('../product.ts')]);
      const config = loadConfig();
      // With --json, stdout carries only the final object; everything else goes to stderr.
      const say = (s: string) => (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
      const devices = Number(opts.devices);
      const speed = Number(opts.speed);
      const duration = opts.duration === undefined ? null : Number(opts.duration);
      if (!(devices >= 1) || !(speed > 0) || (duration !== null && !(duration > 0))) {
        throw new PrognosError('PRG_BAD_REQUEST', '--devices must be ≥ 1, --speed > 0 and --duration > 0');
      }
      if (opts.services) {
        const code = await runServicesScript('up', { outputToStderr: true });
        if (code !== 0) throw new PrognosError('PRG_SERVICE_UNREACHABLE', `prognos services up failed (exit ${code})`);
      }
      const product = await startProduct(config, {
        devices,
        seed: Number(opts.seed),
        speed,
        onSimulatorEvent: (unit, e) => say(`  simulator: ${unit.device} (${unit.type}) ${e.kind} ${e.failureModes.join(', ')}`),
      });
      const rt = product.runtime;
      for (const u of rt.apiServices.bootstrapped) say(`  first start: user ${u.username} (${u.role}${u.tenant ? ` of ${u.tenant}` : ''}) password ${u.password}   (shown once)`);
      say(`prognos demo: ${devices} simulated machines (tenant demo), clock ×${speed}`);
      say(`  dashboard     ${config.notify.publicUrl}/   (log in as demo-engineer or demo-customer)`);
      say(`  API docs      ${config.notify.publicUrl}/docs`);
      say(`  MQTT broker   ${rt.ingest.brokerUrl}`);
      if (product.smtp) say(`  mail          ${product.smtp.mailDir}   (what customers receive, as .eml files)`);
      say(duration === null ? '  Ctrl-C stops it and prints the final summary.' : `  stops in ${duration} s.`);
      const every = Number(opts.summaryEvery) * 1000;
      const timer = every > 0 ? setInterval(() => void product.summary().then((s) => say(formatSummary(s)), (err) => rt.logger.warn({ err }, 'summary failed')), every) : null;
      await (duration === null ? untilSignal() : Promise.race([untilSignal(), new Promise((r) => setTimeout(r, duration * 1000))]));
      if (timer) clearInterval(timer);
      const summary = await product.summary();
      await product.stop();
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else say(`final: ${formatSummary(summary)}`);
    });
}
