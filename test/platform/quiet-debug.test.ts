import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * In a fresh process (the patch works on the module cache, once): loads platform/quiet-debug.ts,
 * then mqtt-packet, parses one PUBLISH, and reports what `debug` hands out.
 */
function probe(env: Record<string, string | undefined>): { out: { enabled: boolean; quiet: boolean; parsed: string }; stderr: string } {
  const script = `
    import '../platform/quiet-debug.ts';
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const mqttPacket = require('mqtt-packet');
    const log = require('debug')('mqtt-packet:parser');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let parsed = '';
    parser.on('packet', (p) => (parsed = p.topic + ' ' + p.payload.toString()));
    parser.parse(mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 1, messageId: 7, retain: false, dup: false }));
    console.log(JSON.stringify({ enabled: log.enabled, quiet: require('debug').__prognosQuiet === true, parsed }));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: `${root}test`,
    encoding: 'utf8',
    env: { ...process.env, DEBUG: undefined, DEBUG_COLORS: 'no', ...env },
  });
  assert.equal(run.status, 0, run.stderr);
  return { out: JSON.parse(run.stdout.trim().split('\n').at(-1)!), stderr: run.stderr };
}

test('without DEBUG, libraries loaded after quiet-debug get no-op loggers and still work', () => {
  const { out, stderr } = probe({});
  assert.equal(out.quiet, true);
  assert.equal(out.enabled, false);
  assert.equal(out.parsed, 'a/b hi');
  assert.doesNotMatch(stderr, /mqtt-packet:parser/);
});

test('a namespace enabled by DEBUG at start still gets the real logger', () => {
  const { out, stderr } = probe({ DEBUG: 'mqtt-packet:*' });
  assert.equal(out.enabled, true);
  assert.equal(out.parsed, 'a/b hi');
  assert.match(stderr, /mqtt-packet:parser/);
});
