/**
 * How much of a backlog does Mosquitto keep for a disconnected persistent session?
 *
 *   node --import tsx bench/mosquitto-backlog.ts [--messages 20000] [--payload-bytes 120] [--restart none|stop|kill]
 *
 * For Mosquitto's own defaults and for scripts/mosquitto/prognos.conf, each over MQTT 3.1.1 and
 * MQTT 5: a throwaway broker (scripts/mosquitto.sh) on a free loopback port; a subscriber with a
 * fixed client id and a persistent session (clean: false; MQTT 5: session expiry 1 h) subscribes
 * at QoS 1 and disconnects; a publisher sends N QoS 1 messages (each acknowledged by the
 * broker); the subscriber reconnects and counts distinct messages until it has all of them or
 * none arrived for 2 s. `--restart stop|kill` restarts the broker (SIGTERM, or SIGKILL = a crash)
 * between publishing and reconnecting. Results are recorded in docs/operations.md.
 */
import { freePort } from '../test/support/free-port.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt, { type IClientOptions } from 'mqtt';

const SCRIPT = fileURLToPath(new URL('../scripts/mosquitto.sh', import.meta.url));
const TOPIC = 'bench/backlog';
const IDLE_MS = 2_000;
const PUBLISH_WINDOW = 500;

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    'payload-bytes': { type: 'string', default: '120' },
    restart: { type: 'string', default: 'none' },
  },
});
const RESTART = values.restart;
if (RESTART !== 'none' && RESTART !== 'stop' && RESTART !== 'kill') throw new Error(`--restart must be none, stop or kill, not ${RESTART}`);
const N = Number(values.messages);
const PAYLOAD_BYTES = Number(values['payload-bytes']);

interface Result {
  config: string;
  protocol: string;
  published: number;
  sessionPresent: boolean;
  received: number;
  droppedLogLines: number;
  seconds: number;
}

/** SIGKILL, then wait until the process is gone (reaped, or a zombie under a pid 1 that does not reap). */
async function crash(pidfile: string): Promise<void> {
  const pid = Number(readFileSync(pidfile, 'utf8'));
  process.kill(pid, 'SIGKILL');
  const gone = () => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
    } catch {
      return true;
    }
  };
  while (!gone()) await new Promise((r) => setTimeout(r, 20));
}

function payload(seq: number): string {
  const head = JSON.stringify({ seq, ts: Date.now(), metrics: { v: seq } });
  return head.length >= PAYLOAD_BYTES ? head : head + ' '.repeat(PAYLOAD_BYTES - head.length);
}

async function measure(defaults: boolean, protocolVersion: 4 | 5): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'prognos-backlog-'));
  const port = await freePort();
  const args = ['--dir', dir, '--port', String(port), ...(defaults ? ['--defaults'] : [])];
  execFileSync('bash', [SCRIPT, 'start', ...args], { stdio: 'pipe' });
  const url = `mqtt://127.0.0.1:${port}`;
  const started = Date.now();
  try {
    const subOptions: IClientOptions = {
      clientId: `backlog-sub-v${protocolVersion}`,
      clean: false,
      protocolVersion,
      reconnectPeriod: 0,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    };
    const first = await mqtt.connectAsync(url, subOptions);
    await first.subscribeAsync(TOPIC, { qos: 1 });
    await first.endAsync();

    const pub = await mqtt.connectAsync(url, { clientId: `backlog-pub-v${protocolVersion}`, protocolVersion, reconnectPeriod: 0 });
    for (let i = 0; i < N; i += PUBLISH_WINDOW) {
      const batch = [];
      for (let seq = i; seq < Math.min(i + PUBLISH_WINDOW, N); seq++) batch.push(pub.publishAsync(TOPIC, payload(seq), { qos: 1 }));
      await Promise.all(batch);
    }
    await pub.endAsync();
    if (RESTART === 'stop') execFileSync('bash', [SCRIPT, 'stop', ...args], { stdio: 'pipe' });
    if (RESTART === 'kill') await crash(join(dir, 'mosquitto.pid'));
    if (RESTART !== 'none') execFileSync('bash', [SCRIPT, 'start', ...args], { stdio: 'pipe' });

    const seen = new Set<number>();
    let lastArrival = Date.now();
    const sub = mqtt.connect(url, subOptions);
    // Listen before the CONNACK: the broker sends the backlog right behind it, in the same read.
    sub.on('message', (_topic, message) => {
      seen.add((JSON.parse(message.toString()) as { seq: number }).seq);
      lastArrival = Date.now();
    });
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      sub.once('connect', (connack) => resolve(connack.sessionPresent));
      sub.once('error', reject);
    });
    while (seen.size < N && Date.now() - lastArrival < IDLE_MS) await new Promise((r) => setTimeout(r, 50));
    await sub.endAsync();

    const log = readFileSync(join(dir, 'mosquitto.log'), 'utf8');
    return {
      config: defaults ? 'Mosquitto defaults' : 'prognos.conf',
      protocol: protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1',
      published: N,
      sessionPresent,
      received: seen.size,
      droppedLogLines: log.split('\n').filter((l) => l.includes('Outgoing messages are being dropped')).length,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    execFileSync('bash', [SCRIPT, 'stop', ...args], { stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
  }
}

// `mosquitto -h` prints its version and exits with status 3.
const version = spawnSync('mosquitto', ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'mosquitto (version unknown)';
console.log(`${version}, node ${process.version}, ${N} QoS 1 messages of ${PAYLOAD_BYTES} bytes, broker restart: ${RESTART}, ${new Date().toISOString()}`);
console.log('| config | protocol | published | session present | received after reconnect | kept | "dropped" log lines | s |');
console.log('|---|---|---:|---|---:|---:|---:|---:|');
for (const defaults of [true, false]) {
  for (const protocol of [4, 5] as const) {
    const r = await measure(defaults, protocol);
    const kept = ((100 * r.received) / r.published).toFixed(1);
    console.log(`| ${r.config} | ${r.protocol} | ${r.published} | ${r.sessionPresent} | ${r.received} | ${kept} % | ${r.droppedLogLines} | ${r.seconds.toFixed(1)} |`);
  }
}
