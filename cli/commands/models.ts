import { resolve } from 'node:path';
import type { Command } from 'commander';
import { callService } from '../service-client.ts';

interface ModelVersionView {
  equipmentType: string;
  version: string;
  dir: string;
  status: string;
  registeredAt: string;
  activatedAt: string | null;
  activatedBy: string | null;
}

interface DriftView {
  equipmentType: string;
  modelVersion: string;
  sampleSize: number;
  level: string;
  top: { feature: string; psi: number | null }[];
}

/** One call to the running service's model routes with PROGNOS_TOKEN (an admin's). */
const call = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => callService<T>(method, path, body, 'an admin');

const line = (m: ModelVersionView) => `${m.equipmentType.padEnd(22)} ${m.version.padEnd(24)} ${m.status.padEnd(10)} ${m.activatedAt ?? '-'}  ${m.activatedBy ?? ''}\n`;

/**
 * `prognos models list|register|activate|rollback|drift`: the model registry of the running
 * service, over HTTP (PGlite serves one process, so the CLI never opens the data directory).
 */
export function registerModels(program: Command): void {
  const models = program.command('models').description('Model versions of the running service: list, register, activate, roll back, drift (admin token in PROGNOS_TOKEN).');

  models
    .command('list')
    .description('Registered model versions, newest first.')
    .option('--type <equipmentType>', 'only this equipment type')
    .option('--json', 'the versions as one JSON array')
    .action(async (opts: { type?: string; json?: boolean }) => {
      const { models: list } = await call<{ models: ModelVersionView[] }>('GET', `/api/v1/models${opts.type ? `?type=${encodeURIComponent(opts.type)}` : ''}`);
      if (opts.json) return void process.stdout.write(`${JSON.stringify(list)}\n`);
      process.stdout.write(`${'type'.padEnd(22)} ${'version'.padEnd(24)} ${'status'.padEnd(10)} activated\n`);
      for (const m of list) process.stdout.write(line(m));
    });

  models
    .command('register <dir>')
    .description("Registers the bundle in <dir> as a candidate (the path is read by the service: it must be on the service's disk).")
    .action(async (dir: string) => {
      const { model } = await call<{ model: ModelVersionView }>('POST', '/api/v1/models/register', { dir: resolve(dir) });
      process.stdout.write(`registered ${model.equipmentType} ${model.version} (${model.status})\n`);
    });

  models
    .command('activate <equipmentType> <version>')
    .description('Makes <version> the active model of <equipmentType>; scoring picks it up without a restart.')
    .action(async (type: string, version: string) => {
      const { model } = await call<{ model: ModelVersionView }>('POST', `/api/v1/models/${encodeURIComponent(type)}/activate`, { version });
      process.stdout.write(`active: ${model.equipmentType} ${model.version}\n`);
    });

  models
    .command('rollback <equipmentType>')
    .description('Re-activates the version that was active before the current one.')
    .action(async (type: string) => {
      const { model } = await call<{ model: ModelVersionView }>('POST', `/api/v1/models/${encodeURIComponent(type)}/rollback`);
      process.stdout.write(`active: ${model.equipmentType} ${model.version} (rolled back)\n`);
    });

  models
    .command('drift')
    .description('Feature drift (PSI) of the live sample per equipment type.')
    .option('--json', 'the reports as one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const body = await call<{ monitored: boolean; reports: DriftView[] }>('GET', '/api/v1/models/drift');
      if (opts.json) return void process.stdout.write(`${JSON.stringify(body)}\n`);
      if (!body.monitored) return void process.stdout.write('this service scores nothing: no drift sample\n');
      if (body.reports.length === 0) process.stdout.write('no live vectors scored yet\n');
      for (const r of body.reports) {
        const worst = r.top.slice(0, 3).map((t) => `${t.feature}=${t.psi === null ? 'n/a' : t.psi.toFixed(3)}`).join(', ');
        process.stdout.write(`${r.equipmentType.padEnd(22)} ${r.modelVersion.padEnd(24)} ${r.level.padEnd(12)} n=${r.sampleSize}  ${worst}\n`);
      }
    });
}
