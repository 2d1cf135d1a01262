import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectPath } from '../platform/project-paths.ts';

/**
 * Serves the dashboard and customer portal (`web/`, plain ES modules: there is no build step)
 * and the one vendored library it loads (uPlot, from node_modules). Only files under those two
 * roots with a known extension are served; anything else is a 404.
 */
const WEB_ROOT = projectPath('web');
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const VENDOR = new Set(['uPlot.esm.js', 'uPlot.min.css']);

function inside(root: string, rel: string): string | null {
  const full = normalize(join(root, rel));
  return full.startsWith(root.endsWith(sep) ? root : root + sep) ? full : null;
}

export async function webStatic(app: FastifyInstance): Promise<void> {
  const send = async (file: string | null, reply: import('fastify').FastifyReply) => {
    const ext = file?.slice(file.lastIndexOf('.')) ?? '';
    if (!file || !TYPES[ext]) return reply.status(404).send({ error: { code: 'PRG_NOT_FOUND', message: 'Not found' } });
    try {
      const body = await readFile(file);
      return reply.type(TYPES[ext]!).header('Cache-Control', 'no-cache').header('X-Content-Type-Options', 'nosniff').send(body);
    } catch {
      return reply.status(404).send({ error: { code: 'PRG_NOT_FOUND', message: 'Not found' } });
    }
  };
  app.get('/', { schema: { hide: true } }, (_req, reply) => send(join(WEB_ROOT, 'index.html'), reply));
  app.get('/web/vendor/:file', { schema: { hide: true } }, (req, reply) => {
    const { file } = req.params as { file: string };
    return send(VENDOR.has(file) ? join(UPLOT_DIST, file) : null, reply);
  });
  app.get('/web/*', { schema: { hide: true } }, (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    return send(/^[a-z0-9\-/]+\.(js|css|html)$/.test(rel) ? inside(WEB_ROOT, rel) : null, reply);
  });
}
