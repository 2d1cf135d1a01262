import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { ProactiveLinks } from '../messages/proactive-message.ts';

/**
 * Signed links a customer clicks to answer a message ("confirm slot 2", "another time",
 * "stop"). The token binds tenant, ticket, slot and action and expires; it is
 * `base64url(json) "." base64url(HMAC-SHA256(secret, "prognos-link.v1." + base64url(json)))`.
 * Nothing about the customer is secret in it, but nothing can be changed without the key.
 */
export const LINK_ACTIONS = ['confirm', 'reschedule', 'decline', 'opt_out'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

const ClaimsSchema = z.object({
  v: z.literal(1),
  tenant: z.string().min(1),
  ticketId: z.string().min(1),
  customerId: z.string().min(1),
  action: z.enum(LINK_ACTIONS),
  slotId: z.string().min(1).optional(),
  /** Epoch ms after which the link is refused. */
  exp: z.number().int(),
});
export type LinkClaims = z.infer<typeof ClaimsSchema>;

export type LinkVerification =
  | { readonly ok: true; readonly claims: LinkClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad_signature' | 'expired' };

export interface CustomerLinksOptions {
  /** HMAC key (PROGNOS_LINK_SECRET); at least 32 characters. */
  secret: string;
  /** Keys still accepted for verification after a rotation. Default none. */
  previousSecrets?: readonly string[];
  /** Where the customer-facing reply endpoint lives, e.g. `https://service.example.com/r`. */
  baseUrl: string;
  clock: Clock;
  /** Lifetime of a link in ms. Default 7 days. */
  ttlMs?: number;
}

const DOMAIN = 'prognos-link.v1.';

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(DOMAIN + payload).digest();
}

export class CustomerLinks {
  private readonly ttlMs: number;

  constructor(private readonly o: CustomerLinksOptions) {
    if (o.secret.length < 32) throw new RangeError('the link secret must be at least 32 characters');
    this.ttlMs = o.ttlMs ?? 7 * 24 * 3600_000;
  }

  token(c: Omit<LinkClaims, 'v' | 'exp'> & { exp?: number }): string {
    const claims: LinkClaims = { v: 1, ...c, exp: c.exp ?? this.o.clock.now() + this.ttlMs };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${mac(this.o.secret, payload).toString('base64url')}`;
  }

  url(c: Omit<LinkClaims, 'v' | 'exp'> & { exp?: number }): string {
    return `${this.o.baseUrl.replace(/\/+$/, '')}/${this.token(c)}`;
  }

  verify(token: string): LinkVerification {
    const [payload, sig, extra] = token.split('.');
    if (!payload || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
    const given = Buffer.from(sig, 'base64url');
    const good = [this.o.secret, ...(this.o.previousSecrets ?? [])].some((s) => {
      const want = mac(s, payload);
      return given.length === want.length && timingSafeEqual(given, want);
    });
    if (!good) return { ok: false, reason: 'bad_signature' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const claims = ClaimsSchema.safeParse(parsed);
    if (!claims.success) return { ok: false, reason: 'malformed' };
    if (this.o.clock.now() > claims.data.exp) return { ok: false, reason: 'expired' };
    return { ok: true, claims: claims.data };
  }

  /** The links of one proactive message. */
  forMessage(ref: { tenant: string; ticketId: string; customerId: string }): ProactiveLinks {
    // One expiry for the whole message, so every rendering of it carries the same links.
    const exp = this.o.clock.now() + this.ttlMs;
    return {
      confirm: (slotId) => this.url({ ...ref, action: 'confirm', slotId, exp }),
      reschedule: this.url({ ...ref, action: 'reschedule', exp }),
      decline: this.url({ ...ref, action: 'decline', exp }),
      optOut: this.url({ ...ref, action: 'opt_out', exp }),
    };
  }
}
