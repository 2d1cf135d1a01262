import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RetrainingLabel, TrainingDevice } from '../../maintenance/retraining-labels.ts';
import { fieldExportCommand, writeFieldHistory } from '../../models/field-history.ts';
import { formatSimReport } from '../../models/sim-report.ts';
import { readFleet } from '../../models/sim-history.ts';
import { trainSimModels } from '../../models/sim-trainer.ts';
import { loadConfig } from '../../platform/config.ts';
import { PrognosError } from '../../platform/errors.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { EQUIPMENT_TYPES } from '../../simulators/equipment-model.ts';
import { equipmentTypeDescription } from '../../simulators/history-writer.ts';
import { callService } from '../service-client.ts';

/**
 * Offline training (`train sim` touches no running service) and the field export that feeds it:
 * `train export-field` reads the verified close-outs and the device list from the running
 * service over HTTP (PGlite serves one process) and the telemetry from InfluxDB directly.
 */
export function registerTrain(program: Command): void {
  const train = program.command('train').description('Train failure-prediction models offline, on simulator histories and exported field data.');
  train
    .command('sim')
    .description(
      'The simulated fleet\'s default models: one bundle per equipment type (RUL regressor + one failure-within-horizon classifier per mode) ' +
        'from simulator histories (prognos simulate --history), thresholds on held-out devices, evaluated on histories of unseen seeds. ' +
        'The same histories and seed reproduce the same ONNX and trees bytes.',
    )
    .requiredOption('--history <dirs>', 'comma-separated history folders to train on')
    .requiredOption('--eval <dirs>', 'comma-separated history folders of other seeds to evaluate on')
    .requiredOption('--out <dir>', 'folder for <equipment_type>/ bundles and README.md (created)')
    .option('--seed <n>', 'seed of the validation split and the trainer', '1')
    .option('--horizon <hours>', 'classification horizon, operating hours', '72')
    .option('--rul-cap <hours>', 'RUL cap, operating hours', '500')
    .option('--trees <n>', 'most trees per model', '200')
    .option('--depth <n>', 'tree depth', '5')
    .option('--types <list>', 'equipment types (default: all in the first history)')
    .option('--model-version <v>', 'bundle version', '1.0.0')
    .action(async (opts: Record<string, string | undefined>) => {
      const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
      const int = (name: string) => {
        const n = Number(opts[name]);
        if (!Number.isInteger(n) || n < 0) throw new PrognosError('PRG_BAD_REQUEST', `--${name} must be a non-negative integer, got ${opts[name]}`);
        return n;
      };
      const command = [
        'prognos train sim',
        `--history ${opts.history}`,
        `--eval ${opts.eval}`,
        `--out ${opts.out}`,
        `--seed ${opts.seed}`,
        ...(opts.horizon !== '72' ? [`--horizon ${opts.horizon}`] : []),
        ...(opts.rulCap !== '500' ? [`--rul-cap ${opts.rulCap}`] : []),
        ...(opts.trees !== '200' ? [`--trees ${opts.trees}`] : []),
        ...(opts.depth !== '5' ? [`--depth ${opts.depth}`] : []),
        ...(opts.types ? [`--types ${opts.types}`] : []),
        ...(opts.modelVersion !== '1.0.0' ? [`--model-version ${opts.modelVersion}`] : []),
      ].join(' ');
      const reports = await trainSimModels({
        historyDirs: list(opts.history!),
        evalDirs: list(opts.eval!),
        outDir: opts.out!,
        seed: int('seed'),
        horizonHours: int('horizon'),
        rulCapHours: int('rulCap'),
        nEstimators: int('trees'),
        maxDepth: int('depth'),
        types: opts.types ? list(opts.types) : undefined,
        version: opts.modelVersion,
        createdAt: new Date().toISOString(),
        command,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const histories = [...list(opts.history!), ...list(opts.eval!)].map((dir) => {
        const field = fieldExportCommand(dir);
        if (field) return field;
        const f = readFleet(dir);
        const days = Math.round((f.endMs - f.startMs) / 86_400_000);
        return `prognos simulate --history --out ${dir} --devices ${f.devices.length} --days ${days} --seed ${f.seed}`;
      });
      const report = formatSimReport(reports, command, histories);
      writeFileSync(join(opts.out!, 'README.md'), report);
      process.stdout.write(report);
    });

  train
    .command('export-field')
    .description(
      'Exports the field fleet as a training history in the simulator\'s format, for `train sim --history <sim dirs>,<out>`: ' +
        'verified ticket close-outs (resolved_verified, no_fault_found) and the devices from the running service (PROGNOS_URL, ' +
        'PROGNOS_TOKEN of an admin or an engineer), the telemetry from InfluxDB (INFLUX_URL, INFLUX_DATABASE). ' +
        'A mode found becomes a failure of that mode at the close-out plus a maintenance (lead times to it are lower bounds); nothing found, a maintenance alone.',
    )
    .requiredOption('--out <dir>', 'folder for fleet.json, events.csv and readings-<type>.csv (created; files replaced)')
    .option('--since <iso>', 'start of the history: readings and close-outs at or after it; start weeks before the first close-out wanted (default: everything)')
    .option('--until <iso>', 'end of the history: readings and close-outs before it (default: now)')
    .option('--tenant <id>', 'only this tenant (admins; an engineer gets their own)')
    .addHelpText(
      'after',
      `
The retraining loop:
  close-out (technician) → ticket closed resolved_verified / no_fault_found
  prognos train export-field --out data/field --since 2025-10-01T00:00:00Z
  prognos train sim --history data/h1,data/h2,data/field --eval data/h9 --out data/bundles
  prognos models register data/bundles/<type> && prognos models activate <type> <version>`,
    )
    .action(async (opts: { out: string; since?: string; until?: string; tenant?: string }) => {
      const time = (name: string, v: string) => {
        const ms = Date.parse(v);
        if (!Number.isFinite(ms)) throw new PrognosError('PRG_BAD_REQUEST', `--${name} must be an ISO 8601 time, got ${v}`);
        return ms;
      };
      const sinceMs = opts.since === undefined ? undefined : time('since', opts.since);
      const untilMs = opts.until === undefined ? Date.now() : time('until', opts.until);
      const query = new URLSearchParams({ until: new Date(untilMs).toISOString() });
      if (sinceMs !== undefined) query.set('since', new Date(sinceMs).toISOString());
      if (opts.tenant) query.set('tenant', opts.tenant);
      const body = await callService<{ labels?: RetrainingLabel[]; devices?: TrainingDevice[] }>('GET', `/api/v1/models/retraining-labels?${query}`, undefined, 'an admin or engineer');
      if (!Array.isArray(body.labels) || !Array.isArray(body.devices)) throw new PrognosError('PRG_SERVICE_UNREACHABLE', 'the service answered without labels and devices (an older version?)');

      const command = [
        'prognos train export-field',
        `--out ${opts.out}`,
        ...(sinceMs !== undefined ? [`--since ${new Date(sinceMs).toISOString()}`] : []),
        `--until ${new Date(untilMs).toISOString()}`,
        ...(opts.tenant ? [`--tenant ${opts.tenant}`] : []),
      ].join(' ');
      const tenants = [...new Set(body.devices.map((d) => d.tenant))].sort();
      const config = loadConfig();
      const summary = await writeFieldHistory({
        outDir: opts.out,
        influx: new InfluxHttp(config.influx, 60_000),
        devices: body.devices,
        labels: body.labels,
        equipmentTypes: Object.fromEntries(EQUIPMENT_TYPES.map((t) => [t, equipmentTypeDescription(t)])),
        scope: opts.tenant ?? (tenants.length === 1 ? tenants[0]! : 'all'),
        sinceMs,
        untilMs,
        command,
        onDevice: (d, n, done, total) => process.stderr.write(`  ${done}/${total} ${d.id}: ${n} readings\n`),
      });
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const skipped = Object.entries(summary.labelsSkipped).map(([why, n]) => `${why} ${n}`);
      out(`wrote ${opts.out}: ${summary.files.join(', ')} (field seed ${summary.seed})`);
      const left = [
        ...(summary.devicesWithoutReadings ? [`${summary.devicesWithoutReadings} without readings`] : []),
        ...(summary.devicesOfUnknownType ? [`${summary.devicesOfUnknownType} of an equipment type with no features`] : []),
      ];
      out(`  devices: ${summary.devices} with readings${left.length ? ` (left out: ${left.join(', ')})` : ''}`);
      out(`  readings: ${Object.entries(summary.readings).map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}`);
      out(`  events: failure ${summary.events.failure}, maintenance ${summary.events.maintenance} from ${summary.labelsUsed} verified close-outs${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}`);
      out(`next: prognos train sim --history <simulator dirs>,${opts.out} --eval <simulator dirs of other seeds> --out <bundles>`);
    });
}
