import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerSimulate } from '../../cli/commands/simulate.ts';

/** The `prognos` program with only this command, its output captured. */
function program() {
  const out: string[] = [];
  const p = new Command('prognos').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
  registerSimulate(p);
  p.commands.forEach((c) => c.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) }));
  return { p, out };
}

test('simulate --help describes the live and history options', async () => {
  const { p, out } = program();
  await assert.rejects(p.parseAsync(['simulate', '--help'], { from: 'user' }), (e: CommanderError) => e.code === 'commander.helpDisplayed');
  const help = out.join('');
  for (const flag of ['--devices', '--seed', '--speed', '--mqtt-url', '--tenant', '--interval', '--duration', '--protocol', '--connections', '--bad-rate', '--history', '--out', '--days', '--sample-minutes']) {
    assert.ok(help.includes(flag), flag);
  }
  assert.match(help, /mqtt:\/\/127\.0\.0\.1:1884/);
});

test('bad option values are refused with a message', async () => {
  for (const args of [['--devices', '0'], ['--bad-rate', '2'], ['--protocol', '3'], ['--tenant', 'a/b'], ['--types', 'boiler'], ['--history']]) {
    const { p, out } = program();
    await assert.rejects(p.parseAsync(['simulate', ...args], { from: 'user' }), CommanderError, args.join(' '));
    assert.ok(out.join('').length > 0);
  }
});

test('simulate --history --out writes the history files', async () => {
  const dir = join(tmpdir(), `prognos-sim-cli-${randomUUID()}`);
  try {
    const { p } = program();
    await p.parseAsync(['simulate', '--history', '--out', dir, '--devices', '3', '--days', '2', '--seed', 'plant-a', '--types', 'pump,drive'], { from: 'user' });
    assert.deepEqual((await readdir(dir)).sort(), ['events.csv', 'fleet.json', 'readings-centrifugal_pump.csv', 'readings-motor_gearbox.csv']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
