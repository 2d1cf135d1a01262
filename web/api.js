// The dashboard's only door to the server: the same JSON API programs use (see /docs).
const TOKEN_KEY = 'prognos.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const tk = token();
  if (tk) headers.Authorization = `Bearer ${tk}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = data?.error ?? data ?? {};
    throw new ApiError(res.status, err.code ?? 'PRG_INTERNAL', err.message ?? res.statusText);
  }
  return data;
}

/** Server-sent events for the caller's tenant (new episodes, tickets, visits). */
export function liveEvents(onEvent) {
  const tk = token();
  if (!tk) return () => {};
  const source = new EventSource(`/api/v1/events?access_token=${encodeURIComponent(tk)}`);
  source.onmessage = (e) => onEvent(JSON.parse(e.data));
  return () => source.close();
}
