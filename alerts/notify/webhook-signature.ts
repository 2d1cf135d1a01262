import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, in the shape payment providers made familiar:
 *
 *   X-Prognos-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is signed with the body, so a captured request cannot be replayed after the
 * tolerance. Several `v1=` entries may appear while a secret is being rotated.
 */
export const SIGNATURE_HEADER = 'X-Prognos-Signature';

function hmacHex(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

export function signWebhook(secret: string, body: string | Buffer, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export type WebhookVerification = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'bad_signature' | 'stale' };

/** Checks a signature header against the raw body (the exact bytes received). */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string | Buffer,
  nowMs: number,
  /** Accepted clock difference in seconds. Default 300. */
  toleranceS = 300,
): WebhookVerification {
  if (!header) return { ok: false, reason: 'malformed' };
  let t: number | null = null;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === null || sigs.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs / 1000 - t) > toleranceS) return { ok: false, reason: 'stale' };
  const want = Buffer.from(hmacHex(secret, t, body), 'hex');
  const good = sigs.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), want));
  return good ? { ok: true, timestamp: t } : { ok: false, reason: 'bad_signature' };
}
