/**
 * Who is asking. Every use-case takes the caller and enforces authority itself (never the
 * prompt, never only the HTTP route): the API, BullMQ processors and the assistant's tools pass
 * the same value. `system` is the product acting on its own (workflows), within one tenant.
 */
export type Caller =
  | { readonly kind: 'admin'; readonly userId: string }
  | { readonly kind: 'engineer'; readonly userId: string; readonly tenant: string }
  | { readonly kind: 'customer'; readonly userId: string; readonly tenant: string; readonly customerId: string }
  | { readonly kind: 'system'; readonly tenant: string; readonly reason: string };

/** A short stable label for audit trails, e.g. `engineer:alice@demo`. */
export function callerLabel(c: Caller): string {
  switch (c.kind) {
    case 'admin':
      return `admin:${c.userId}`;
    case 'engineer':
      return `engineer:${c.userId}@${c.tenant}`;
    case 'customer':
      return `customer:${c.userId}@${c.tenant}`;
    case 'system':
      return `system:${c.reason}@${c.tenant}`;
  }
}
