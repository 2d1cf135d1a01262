import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger };

/** JSON logs on stderr, so stdout stays free for command output (`--json`). */
export function createLogger(config: Pick<Config, 'log'>, name = 'prognos'): Logger {
  return pino({ name, level: config.log.level }, pino.destination({ dest: 2, sync: false }));
}
