// First: libraries below create their `debug` loggers at load time.
import '../platform/quiet-debug.ts';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../platform/config.ts';
import { PrognosError } from '../platform/errors.ts';
import { sourceNewerThanBuild } from '../platform/project-paths.ts';
import { registerAsk } from './commands/ask.ts';
import { registerBrokerConfig } from './commands/broker-config.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEval } from './commands/eval.ts';
import { registerFleet } from './commands/fleet.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerModels } from './commands/models.ts';
import { registerRejects } from './commands/rejects.ts';
import { registerServices } from './commands/services.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStart } from './commands/start.ts';
import { registerTrain } from './commands/train.ts';

const stale = sourceNewerThanBuild();
if (stale) process.stderr.write(`prognos: warning: ${stale} changed after this compiled tree was built; run npm run build\n`);

const program = new Command('prognos')
  .description('Predictive-maintenance service assistant: telemetry in, visits before failures out.')
  .showHelpAfterError()
  .exitOverride();

registerStart(program);
registerDemo(program);
registerIngest(program);
registerSimulate(program);
registerRejects(program);
registerServices(program);
registerBrokerConfig(program);
registerEval(program);
registerFleet(program);
registerTrain(program);
registerModels(program);
registerAsk(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof ConfigError) {
    process.stderr.write(`prognos: configuration error: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof PrognosError) {
    process.stderr.write(`prognos: ${err.code}: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
