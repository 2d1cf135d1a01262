import { loadConfig } from '../platform/config.ts';
import { type ErrorCode, PrognosError } from '../platform/errors.ts';

/** Codes of the service that the CLI reports as they are; any other answer is PRG_SERVICE_UNREACHABLE. */
const PASSED_ON: readonly ErrorCode[] = ['PRG_NOT_FOUND', 'PRG_BAD_REQUEST', 'PRG_FORBIDDEN', 'PRG_UNAUTHENTICATED', 'PRG_MODEL_INVALID'];

/**
 * One call to the running service's API (`PROGNOS_URL`) with `PROGNOS_TOKEN`. CLI commands that
 * read or change the service's SQL store go through here: PGlite serves one process, so the CLI
 * never opens the data directory while the service runs.
 *
 * @param who the role the token needs, named in the hint on a 401 (e.g. `an admin`)
 */
export async function callService<T>(method: 'GET' | 'POST', path: string, body?: unknown, who = 'an admin'): Promise<T> {
  const config = loadConfig();
  const url = new URL(path, config.http.serviceUrl);
  const headers: Record<string, string> = config.api.token ? { authorization: `Bearer ${config.api.token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${config.http.serviceUrl} (is \`prognos start\` running? set PROGNOS_URL to point elsewhere)`, { cause: err });
  }
  const text = await res.text();
  let parsed: T & { error?: { code: string; message: string } };
  try {
    parsed = (text ? JSON.parse(text) : {}) as typeof parsed;
  } catch (cause) {
    throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${res.status} from ${url.origin}: not JSON`, { cause });
  }
  if (!res.ok) {
    // The service's own coded error, when it has one: the operator sees why (unknown version, bad bundle…).
    const code = parsed.error?.code as ErrorCode | undefined;
    const message = `${parsed.error?.message ?? res.statusText}${res.status === 401 ? ` (set PROGNOS_TOKEN to ${who}'s token)` : ''}`;
    if (code && PASSED_ON.includes(code)) throw new PrognosError(code, message);
    throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${res.status} ${code ?? ''} ${message}`);
  }
  return parsed;
}
