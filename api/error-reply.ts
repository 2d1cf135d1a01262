import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERRORS, type ErrorCode, PrognosError } from '../platform/errors.ts';

/** The body of every error answer: `{ error: { code, message } }`. */
export const ErrorBody = z
  .object({ error: z.object({ code: z.string().meta({ example: 'PRG_NOT_FOUND' }), message: z.string() }) })
  .meta({ id: 'Error', description: 'A coded error from the catalogue (docs/errors.md)' });

/** The error answers every route may give, for the OpenAPI document. */
export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody, 500: ErrorBody } as const;

function body(code: ErrorCode, message: string) {
  return { error: { code, message } };
}

/**
 * Maps anything thrown in a route to a coded answer: a PrognosError keeps its code and status,
 * request validation is PRG_BAD_REQUEST with the issue paths, Fastify's own 4xx errors (a
 * malformed JSON body, a body too large) keep their status under PRG_BAD_REQUEST, and anything
 * else is PRG_INTERNAL without its message (which may hold internals); it is logged in full.
 */
export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof PrognosError) return reply.status(err.status).send(body(err.code, err.message));
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ? `${err.validationContext} ` : '';
    const issues = err.validation.map((v) => `${where}${v.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)'}: ${v.message}`);
    return reply.status(400).send(body('PRG_BAD_REQUEST', `${ERRORS.PRG_BAD_REQUEST.message}: ${issues.join('; ')}`));
  }
  if (err instanceof z.ZodError) {
    return reply.status(400).send(body('PRG_BAD_REQUEST', `${ERRORS.PRG_BAD_REQUEST.message}: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`));
  }
  const status = (err as FastifyError | undefined)?.statusCode;
  if (!isResponseSerializationError(err) && typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 429) return reply.status(429).send(body('PRG_RATE_LIMITED', ERRORS.PRG_RATE_LIMITED.message));
    if (status === 404) return reply.status(404).send(body('PRG_NOT_FOUND', ERRORS.PRG_NOT_FOUND.message));
    return reply.status(status).send(body('PRG_BAD_REQUEST', `${ERRORS.PRG_BAD_REQUEST.message}: ${(err as Error).message}`));
  }
  req.log.error({ err }, 'unexpected error in a request');
  return reply.status(500).send(body('PRG_INTERNAL', ERRORS.PRG_INTERNAL.message));
}
