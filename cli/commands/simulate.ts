import { type Command, InvalidArgumentError, Option } from 'commander';
import { SAFE_ID } from '../../ingest/topics.ts';
import { EQUIPMENT_CATALOGUE } from '../../simulators/equipment-catalogue.ts';
import { EQUIPMENT_TYPES, type EquipmentType } from '../../simulators/equipment-model.ts';
import { DEFAULT_HISTORY_START_MS, writeHistory } from '../../simulators/history-writer.ts';
import { seedFrom } from '../../simulators/prng.ts';
import { type SimulatedFleet, startSimulatedFleet } from '../../simulators/simulated-fleet.ts';

interface SimulateOptions {
  devices: number;
  seed: number;
  tenant: string;
  types?: EquipmentType[];
  dropoutRate: number;
  // live
  mqttUrl: string;
  protocol: '4' | '5';
  speed: number;
  interval: number;
  duration?: number;
  connections?: number;
  badRate: number;
  maxInFlight: number;
  summaryEvery: number;
  quiet?: boolean;
  // history
  history?: boolean;
  out?: string;
  days: number;
  sampleMinutes: number;
  start: number;
}

export function registerSimulate(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('The fleet simulator: pumps, compressors and motor-gearbox drives that wear, fail and get maintained. Publishes telemetry over MQTT like real equipment, or writes a labelled run-to-failure history (--history).')
    .option('--devices <n>', 'number of devices', int(1, 100_000), 10)
    .option('--seed <s>', 'seed: the same seed gives the same fleet and the same readings', (v: string) => seedFrom(v), 1)
    .option('--tenant <id>', 'tenant of every device (topic prognos/<tenant>/<device>/telemetry)', safeId, 'demo')
    .option('--types <list>', `equipment types to cycle through, comma-separated (${EQUIPMENT_TYPES.join(', ')}; or pump, compressor, drive)`, typeList)
    .option('--dropout-rate <p>', 'share of readings lost before sending (seq gaps)', fraction, 0.005)
    .option('--mqtt-url <url>', 'MQTT broker', 'mqtt://127.0.0.1:1884')
    .addOption(new Option('--protocol <v>', 'MQTT protocol version').choices(['4', '5']).default('4'))
    .option('--speed <x>', 'simulated seconds of equipment physics per real second (3600: an hour per second)', number(0, 1e7), 1)
    .option('--interval <ms>', 'real milliseconds between two readings of one device', int(10, 86_400_000), 1000)
    .option('--duration <s>', 'stop after this many real seconds (default: until SIGINT/SIGTERM)', number(0, 1e9))
    .option('--connections <k>', 'MQTT connections the devices share (default: min(devices, 50))', int(1, 10_000))
    .option('--bad-rate <p>', 'share of readings sent deliberately bad (NaN as text, missing ts, malformed JSON, bad metric name)', fraction, 0.001)
    .option('--max-in-flight <n>', 'unacknowledged QoS 1 publishes per connection before devices wait', int(1, 65_535), 64)
    .option('--summary-every <s>', 'print a summary line this often (seconds, 0 = never)', number(0, 1e6), 10)
    .option('--quiet', 'do not print failures, repairs and maintenance as they happen')
    .option('--history', 'write a run-to-failure history to files instead of publishing')
    .option('--out <dir>', 'directory for --history files')
    .option('--days <d>', 'simulated days of --history', number(0, 36_500), 30)
    .option('--sample-minutes <m>', 'minutes between readings in --history', number(1 / 60, 1440), 10)
    .addOption(new Option('--start <iso>', 'simulated start of --history').argParser(isoTime).default(DEFAULT_HISTORY_START_MS, new Date(DEFAULT_HISTORY_START_MS).toISOString()))
    .addHelpText(
      'after',
      `
Live:     prognos simulate --devices 50 --speed 3600          (failures within minutes)
History:  prognos simulate --history --out data/history --devices 30 --days 180
Files and physics: simulators/README.md.`,
    );
  cmd.action(async (opts: SimulateOptions) => {
    if (opts.history) {
      if (!opts.out) cmd.error('error: --history needs --out <dir>');
      await runHistory(opts, opts.out!);
    } else {
      await runLive(opts);
    }
  });
}

async function runHistory(o: SimulateOptions, outDir: string): Promise<void> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  let lastShown = 0;
  const summary = await writeHistory({
    outDir,
    devices: o.devices,
    seed: o.seed,
    days: o.days,
    sampleMinutes: o.sampleMinutes,
    startMs: o.start,
    tenant: o.tenant,
    types: o.types,
    dropoutRate: o.dropoutRate,
    onDevice: (_unit, done, total) => {
      const tenth = Math.floor((done * 10) / total);
      if (tenth > lastShown || done === total) {
        lastShown = tenth;
        process.stderr.write(`  ${done}/${total} devices\n`);
      }
    },
  });
  const readings = Object.entries(summary.readings)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  out(`wrote ${outDir}: ${summary.files.join(', ')}`);
  out(`  readings: ${readings}`);
  out(`  events: failure ${summary.events.failure}, repair ${summary.events.repair}, maintenance ${summary.events.maintenance}`);
}

async function runLive(o: SimulateOptions): Promise<void> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  let lastError = '';
  const fleet = await startSimulatedFleet({
    mqttUrl: o.mqttUrl,
    tenant: o.tenant,
    devices: o.devices,
    seed: o.seed,
    speed: o.speed,
    intervalMs: o.interval,
    connections: o.connections,
    protocolVersion: o.protocol === '5' ? 5 : 4,
    badRate: o.badRate,
    dropoutRate: o.dropoutRate,
    maxInFlight: o.maxInFlight,
    types: o.types,
    onEvent: o.quiet
      ? undefined
      : (unit, e) => out(`[${new Date().toISOString()}] ${unit.device} ${e.kind}${e.failureModes.length ? ` ${e.failureModes.join(',')}` : ''} at ${e.runHours.toFixed(1)} run h: ${e.detail}`),
    onError: (err) => {
      // A broker that is down repeats the same error on every reconnect attempt.
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastError) process.stderr.write(`prognos simulate: ${message}\n`);
      lastError = message;
    },
  });
  const byType = EQUIPMENT_TYPES.map((t) => `${fleet.units.filter((u) => u.type === t).length} ${EQUIPMENT_CATALOGUE[t].idPrefix}`).join(', ');
  out(`prognos simulate: ${fleet.units.length} devices (${byType}) → ${o.mqttUrl} as tenant ${o.tenant}`);
  out(`  ${fleet.connections} connections, a reading every ${o.interval} ms per device, physics ×${o.speed}, bad-rate ${o.badRate}, dropout-rate ${o.dropoutRate}`);
  const every = o.summaryEvery * 1000;
  const timer = every > 0 ? setInterval(() => out(summaryLine(fleet)), every) : null;
  const why = await untilStopped(o.duration);
  if (timer) clearInterval(timer);
  out(why === 'duration' ? 'duration reached, stopping…' : `${why}, stopping…`);
  await fleet.stop();
  out(summaryLine(fleet));
}

function summaryLine(fleet: SimulatedFleet): string {
  const s = fleet.stats();
  const bad = Object.values(s.bad).reduce((a, b) => a + b, 0);
  return `[${new Date().toISOString()}] readings ${s.readings}  published ${s.mqtt.published}  acked ${s.mqtt.acked}  in flight ${s.inFlight}  dropped ${s.dropped}  bad ${bad}  failures ${s.failures}  repairs ${s.repairs}  maintenance ${s.maintenance}`;
}

/** Resolves on SIGINT/SIGTERM or after `durationS`; a second signal then takes the default path (exit). */
function untilStopped(durationS: number | undefined): Promise<'duration' | NodeJS.Signals> {
  return new Promise((resolve) => {
    const finish = (why: 'duration' | NodeJS.Signals) => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      resolve(why);
    };
    const timer = durationS !== undefined ? setTimeout(() => finish('duration'), durationS * 1000) : null;
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
}

function int(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

function number(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`must be a number from ${min} to ${max}`);
    return n;
  };
}

function fraction(v: string): number {
  return number(0, 1)(v);
}

function safeId(v: string): string {
  if (!SAFE_ID.test(v)) throw new InvalidArgumentError('must match [A-Za-z0-9._-]{1,64}');
  return v;
}

function isoTime(v: string): number {
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('must be an ISO-8601 time, e.g. 2025-01-01T00:00:00Z');
  return ms;
}

function typeList(v: string): EquipmentType[] {
  return v.split(',').map((raw) => {
    const name = raw.trim();
    const type = EQUIPMENT_TYPES.find((t) => t === name || EQUIPMENT_CATALOGUE[t].idPrefix === name);
    if (!type) throw new InvalidArgumentError(`unknown type "${name}"; one of ${EQUIPMENT_TYPES.join(', ')}`);
    return type;
  });
}
