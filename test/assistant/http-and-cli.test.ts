import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { sendError } from '../../api/error-reply.ts';
import { assistantRoutes } from '../../api/routes/assistant.ts';
import type { Caller } from '../../platform/caller.ts';
import { toolResults } from '../support/fake-openai-server.ts';
import { Harness } from './harness.ts';
import { type Scenario, seedScenario } from './scenario.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/prognos.mjs', import.meta.url));

describe('POST /api/v1/assistant/ask and `prognos ask`', () => {
  const h = new Harness();
  let app: FastifyInstance;
  let s: Scenario;
  const admin: Caller = { kind: 'admin', userId: 'root' };

  before(async () => {
    await h.start();
    s = await seedScenario(h.db, h.clock.now());
    const tokens = new Map<string, Caller>([
      ['tok-admin', admin],
      ['tok-eng', s.engineer],
      ['tok-acme', s.acme],
    ]);
    app = Fastify({ logger: false });
    app.decorateRequest('caller', null);
    app.addHook('onRequest', async (req) => {
      req.caller = tokens.get(req.headers.authorization?.replace(/^Bearer /, '') ?? '') ?? null;
    });
    app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
    const users = new Map<string, Caller>([
      [`engineer:${s.engineer.userId}`, s.engineer],
      [`customer:${s.acme.userId}`, s.acme],
    ]);
    await assistantRoutes(app, { assistant: h.assistant({ llm: null }), resolveAs: async (kind, id) => users.get(`${kind}:${id}`) });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await h.stop();
  });

  const ask = (token: string | null, body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/v1/assistant/ask', headers: token ? { authorization: `Bearer ${token}` } : {}, payload: body });

  it('answers the authenticated caller, continues the conversation, and refuses strangers', async () => {
    assert.equal((await ask(null, { message: 'hi' })).statusCode, 401);
    const r = await ask('tok-acme', { message: `Cancel the visit for ${s.pumpTicket}` });
    assert.equal(r.statusCode, 200);
    const body = r.json();
    assert.equal(body.proposals[0].status, 'pending');
    assert.ok(body.toolCalls.length > 0 && body.sources.length > 0);
    assert.equal((await ask('tok-eng', { message: 'yes', conversationId: body.conversationId })).statusCode, 404);
    const yes = await ask('tok-acme', { message: 'yes', conversationId: body.conversationId });
    assert.equal(yes.json().proposals[0].status, 'executed');
    assert.equal(await h.ports.visitStatus(s.pumpVisit), 'cancelled');
  });

  it('lets only an admin ask as another user', async () => {
    assert.equal((await ask('tok-acme', { message: 'status', as: `engineer:${s.engineer.userId}` })).statusCode, 403);
    assert.equal((await ask('tok-admin', { message: 'status', as: 'engineer:nobody' })).statusCode, 404);
    assert.equal((await ask('tok-admin', { message: 'status', as: 'boss' })).statusCode, 400);
    const r = await ask('tok-admin', { message: `status of ${s.gearbox}`, as: `engineer:${s.engineer.userId}` });
    assert.equal(r.statusCode, 200);
    assert.match(r.json().answer, new RegExp(`${s.gearbox} is ok`));
  });

  it('streams as server-sent events when asked: deltas, then the result', async () => {
    const streaming = Fastify({ logger: false });
    streaming.decorateRequest('caller', null);
    streaming.addHook('onRequest', async (req) => {
      req.caller = s.engineer;
    });
    await assistantRoutes(streaming, { assistant: h.assistant() });
    h.llmServer.setScript((req) =>
      toolResults(req).length ? { content: `${s.pump} is at_risk; its vibration_rms_mm_s reads 4.21 mm/s.` } : { toolCalls: [{ name: 'deviceStatus', arguments: { device: s.pump } }] },
    );
    const r = await streaming.inject({ method: 'POST', url: '/api/v1/assistant/ask', payload: { message: `status of ${s.pump}`, stream: true } });
    await streaming.close();
    assert.equal(r.statusCode, 200);
    assert.match(r.headers['content-type'] as string, /text\/event-stream/);
    const deltas = [...r.body.matchAll(/event: delta\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!).text as string);
    assert.ok(deltas.length > 3);
    const result = /event: result\ndata: (.*)\n/.exec(r.body);
    assert.ok(result);
    const answer = JSON.parse(result[1]!).answer as string;
    assert.equal(deltas.join(''), answer);
    assert.equal(answer, `${s.pump} is at_risk; its vibration_rms_mm_s reads 4.21 mm/s.`);
  });

  it('`prognos ask --as engineer:<id> --json` prints the answer, sources and tool calls from the running service', async () => {
    const port = (app.server.address() as AddressInfo).port;
    const env = { ...process.env, PROGNOS_URL: `http://127.0.0.1:${port}`, PROGNOS_TOKEN: 'tok-admin', LOG_LEVEL: 'silent' };
    const { stdout } = await run(process.execPath, [BIN, 'ask', '--as', `engineer:${s.engineer.userId}`, '--json', `Why is ${s.pump} flagged?`], { env, timeout: 60_000 });
    const out = JSON.parse(stdout);
    assert.match(out.answer, /bearing_wear \(risk 73\.4%\)/);
    assert.ok(out.sources.length > 0);
    assert.ok(out.toolCalls.some((c: { name: string }) => c.name === 'explainRisk'));
    const text = await run(process.execPath, [BIN, 'ask', `What should I check on ${s.pump}?`], { env: { ...env, PROGNOS_TOKEN: 'tok-eng' }, timeout: 60_000 });
    assert.match(text.stdout, /Lock out and tag out/);
    assert.match(text.stdout, /\(conversation [0-9a-f-]{36}\)/);
    const bad = await run(process.execPath, [BIN, 'ask', '--as', 'boss', 'hi'], { env, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    assert.notEqual((bad as { code: number }).code, 0);
  });
});
