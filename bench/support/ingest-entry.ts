import { Command } from 'commander';
import { registerIngest } from '../../cli/commands/ingest.ts';

/**
 * `prognos ingest` exactly as the CLI registers it, without the CLI's other commands. The
 * benchmark uses it only when `bin/prognos.mjs` cannot load (a command module being written
 * elsewhere is missing); the ingest code path is the same.
 */
const program = new Command('prognos');
registerIngest(program);
await program.parseAsync(['node', 'prognos', ...process.argv.slice(2)]);
