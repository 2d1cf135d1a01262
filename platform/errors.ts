/**
 * The error catalogue. Codes are stable and never reused; docs/errors.md documents each one
 * (a test checks). Domain code throws {@link PrognosError}; only the HTTP edge maps codes to a
 * status, and only the CLI maps them to an exit line.
 */
export const ERRORS = {
  PRG_DATA_DIR_LOCKED: { status: 409, message: 'The data directory is in use by another prognos process' },
  PRG_SERVICE_UNREACHABLE: { status: 503, message: 'The running prognos service cannot be reached' },
  PRG_INFLUX_UNAVAILABLE: { status: 503, message: 'InfluxDB is unavailable' },
  PRG_INFLUX_REJECTED: { status: 502, message: 'InfluxDB rejected the write' },
  PRG_INFLUX_QUERY_FAILED: { status: 502, message: 'InfluxDB query failed' },
  PRG_MQTT_CONNECT_FAILED: { status: 503, message: 'Cannot connect to the MQTT broker' },
  PRG_SQL_FAILED: { status: 500, message: 'SQL store operation failed' },
  PRG_BAD_REQUEST: { status: 400, message: 'The request is invalid' },
  PRG_NOT_FOUND: { status: 404, message: 'Not found' },
  PRG_UNAUTHENTICATED: { status: 401, message: 'Authentication required' },
  PRG_FORBIDDEN: { status: 403, message: 'Not allowed for this caller' },
  PRG_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  PRG_INTERNAL: { status: 500, message: 'Internal error' },
  PRG_MODEL_INVALID: { status: 500, message: 'The model is invalid' },
  PRG_INVALID_TRANSITION: { status: 409, message: 'The ticket cannot make this transition' },
  PRG_DELIVERY_FAILED: { status: 502, message: 'A notification could not be delivered' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class PrognosError extends Error {
  override readonly name = 'PrognosError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message, options);
    this.status = ERRORS[code].status;
  }
}

export function isPrognosError(e: unknown, code?: ErrorCode): e is PrognosError {
  return e instanceof PrognosError && (code === undefined || e.code === code);
}
