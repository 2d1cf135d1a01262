import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Argument, type Command } from 'commander';
import { projectPath } from '../../platform/project-paths.ts';

/** The script behind `prognos services`, found beside this module (not through the cwd). */
export const SERVICES_SCRIPT = projectPath('scripts', 'services.sh');

export const SERVICES_ACTIONS = ['up', 'down', 'status'] as const;
export type ServicesAction = (typeof SERVICES_ACTIONS)[number];

/**
 * Runs `scripts/services.sh <action>` with this process's environment, its output streamed to
 * ours. Resolves with the script's exit code (128 + signal number when a signal ended it).
 */
export function runServicesScript(action: ServicesAction, o: { outputToStderr?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    // `--json` commands keep stdout for their JSON: the script's lines then go to stderr.
    const child = spawn('bash', [SERVICES_SCRIPT, action], { stdio: o.outputToStderr ? ['ignore', 2, 2] : 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

export function registerServices(program: Command): void {
  program
    .command('services')
    .description('Make sure the local services are up (InfluxDB started on loopback, Redis), stop them, or show their state.')
    .addArgument(new Argument('[action]', 'what to do').choices(SERVICES_ACTIONS).default('up'))
    .addHelpText(
      'after',
      `
  up      install Debian's influxdb if influxd is missing, start a project-owned InfluxDB on
          127.0.0.1:$INFLUX_PORT (default: the port of INFLUX_URL, 8086) with its data in
          $PROGNOS_DATA_DIR/influxdb, or reuse whatever answers /ping there; create
          $INFLUX_DATABASE; start a local Redis if REDIS_URL does not answer; report the MQTT broker
  down    stop the InfluxDB instance that \`up\` started (by its pidfile); nothing else
  status  one line per service

Idempotent. Reads the same environment as the product (INFLUX_URL, INFLUX_DATABASE,
REDIS_URL, MQTT_URL, PROGNOS_DATA_DIR, …). Runs ${SERVICES_SCRIPT}.`,
    )
    .action(async (action: ServicesAction) => {
      process.exitCode = await runServicesScript(action);
    });
}
