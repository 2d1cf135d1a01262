import { createRequire } from 'node:module';

/**
 * Makes the `debug` package's disabled loggers free, for the libraries that load it after this
 * module (mqtt-packet, aedes, ioredis, …).
 *
 * A disabled `debug` logger is still a call with a rest-parameter array and an `enabled` getter.
 * mqtt-packet calls its loggers several times per MQTT packet, whatever DEBUG says: under the
 * ingest benchmark that was a fifth of everything ingest allocated (bench/README.md). So when a
 * namespace is disabled at creation, the library gets a no-op instead. A namespace that DEBUG
 * enables when the process starts gets the real logger, so `DEBUG=mqtt-packet:* prognos ingest`
 * still traces; enabling one later at run time (`debug.enable(...)`) does not reach loggers
 * created before.
 *
 * It works through the CommonJS module cache, so it must be imported before the first library
 * that creates its loggers at load time: `cli/main.ts` and `ingest/mqtt-source.ts` import it first.
 */
type DebugFactory = ((namespace: string) => unknown) & { enabled(namespace: string): boolean };

const require = createRequire(import.meta.url);
const debugPath = (() => {
  try {
    return require.resolve('debug');
  } catch {
    return null; // not installed: nothing to quiet
  }
})();

if (debugPath) {
  const real = require(debugPath) as DebugFactory & { __prognosQuiet?: true };
  const cached = require.cache[debugPath];
  if (cached && !real.__prognosQuiet) {
    const quiet = Object.assign(function createDebug(namespace: string): unknown {
      return real.enabled(namespace) ? real(namespace) : disabledLogger(namespace);
    }, real, { __prognosQuiet: true as const });
    cached.exports = quiet;
  }
}

function disabledLogger(namespace: string): unknown {
  const log = Object.assign(() => undefined, {
    namespace,
    enabled: false,
    log: () => undefined,
    destroy: () => true,
    extend: (sub: string, delimiter = ':') => disabledLogger(`${namespace}${delimiter}${sub}`),
  });
  return log;
}
