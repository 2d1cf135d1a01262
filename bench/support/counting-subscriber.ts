import mqtt from 'mqtt';

/**
 * The MQTT ceiling's consumer: a bare MQTT.js subscriber (MQTT 5, QoS 1, the same receive
 * maximum as ingest) that only counts. MQTT.js sends each PUBACK itself as the message is
 * handed over, so this is what the broker → Node hop costs with no work behind it.
 *
 *   parent → {type:'configure', config} → child subscribes → {type:'ready'}
 *   child → {type:'done', report} once `expected` messages arrived or `deadlineMs` after ready
 */

export interface CountingSubscriberConfig {
  url: string;
  filter: string;
  expected: number;
  receiveMaximum: number;
  deadlineMs: number;
}

export interface CountingSubscriberReport {
  received: number;
  /** Epoch ms of the first and the last message. */
  firstAt: number;
  lastAt: number;
  timedOut: boolean;
}

export type ToSubscriber = { type: 'configure'; config: CountingSubscriberConfig };
export type FromSubscriber = { type: 'ready' } | { type: 'done'; report: CountingSubscriberReport } | { type: 'failed'; error: string };

function send(msg: FromSubscriber): void {
  process.send?.(msg);
}

function start(c: CountingSubscriberConfig): void {
  const report: CountingSubscriberReport = { received: 0, firstAt: 0, lastAt: 0, timedOut: false };
  const client = mqtt.connect(c.url, {
    clientId: `bench-sub-${process.pid}`,
    clean: true,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    properties: { receiveMaximum: c.receiveMaximum },
  });
  let deadline: NodeJS.Timeout | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(deadline);
    send({ type: 'done', report });
    // Let the last PUBACKs leave before closing.
    setImmediate(() => client.end(false));
  };
  client.on('message', () => {
    const now = Date.now();
    if (report.received++ === 0) report.firstAt = now;
    report.lastAt = now;
    if (report.received >= c.expected) finish();
  });
  client.once('connect', () => {
    client.subscribe(c.filter, { qos: 1 }, (err) => {
      if (err) return send({ type: 'failed', error: err.message });
      deadline = setTimeout(() => {
        report.timedOut = true;
        finish();
      }, c.deadlineMs);
      send({ type: 'ready' });
    });
  });
  client.on('error', (err) => send({ type: 'failed', error: err.message }));
}

process.on('disconnect', () => process.exit(0));
process.on('message', (msg: ToSubscriber) => {
  if (msg.type === 'configure') start(msg.config);
});
