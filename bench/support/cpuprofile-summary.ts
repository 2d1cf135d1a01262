import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Self time per function and per origin (project file, npm package, Node internals) from a
 * V8 `.cpuprofile` (written by `node --cpu-prof`). Samples can be limited to a window given
 * on the profile's own clock (µs of CLOCK_MONOTONIC, the clock `process.hrtime` reads), so a
 * benchmark can leave out the process's start-up.
 *
 *   node --import tsx bench/support/cpuprofile-summary.ts <file.cpuprofile> [top=25]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the busy (non-idle) samples in the window. */
  percent: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  /** True when the requested window did not overlap the profile and every sample was used. */
  windowIgnored: boolean;
  topFunctions: ProfileEntry[];
  byOrigin: ProfileEntry[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function location(url: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith('/') ? relative(ROOT, path) : path;
}

/** Project file, `npm:<package>`, `node:internal`, or a V8 pseudo-frame such as `(garbage collector)`. */
function origin(name: string, url: string): string {
  if (!url) return name.startsWith('(') ? name : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node: internals';
  const loc = location(url);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(loc);
  if (pkg) return `npm:${pkg[1]}`;
  return loc;
}

function rank(map: Map<string, { name: string; where: string; us: number }>, busyUs: number, top: number): ProfileEntry[] {
  return [...map.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, percent: busyUs > 0 ? (100 * e.us) / busyUs : 0 }));
}

export function summariseCpuProfile(file: string, opts: { fromUs?: number; toUs?: number; top?: number } = {}): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const from = opts.fromUs ?? -Infinity;
  const to = opts.toUs ?? Infinity;
  const windowIgnored = to < p.startTime || from > p.endTime;
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const origins = new Map<string, { name: string; where: string; us: number }>();
  let t = p.startTime;
  let busyUs = 0;
  let idleUs = 0;
  let firstUs = Infinity;
  let lastUs = -Infinity;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (!windowIgnored && (t < from || t > to)) continue;
    firstUs = Math.min(firstUs, t);
    lastUs = Math.max(lastUs, t);
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    busyUs += dt;
    const name = functionName || '(anonymous)';
    const where = url ? `${location(url)}:${lineNumber + 1}` : '';
    const fk = `${name} ${where}`;
    const f = functions.get(fk) ?? { name, where, us: 0 };
    f.us += dt;
    functions.set(fk, f);
    const o = origin(name, url);
    const og = origins.get(o) ?? { name: o, where: '', us: 0 };
    og.us += dt;
    origins.set(o, og);
  }
  const top = opts.top ?? 25;
  return {
    windowMs: lastUs > firstUs ? (lastUs - firstUs) / 1000 : 0,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    windowIgnored,
    topFunctions: rank(functions, busyUs, top),
    byOrigin: rank(origins, busyUs, top),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const row = (e: ProfileEntry) => `${e.percent.toFixed(1).padStart(6)} %  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}${e.where ? `  (${e.where})` : ''}`;
  return [
    `window ${s.windowMs.toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms${s.windowIgnored ? ' (window outside the profile: all samples)' : ''}`,
    'self time by origin:',
    ...s.byOrigin.slice(0, 12).map(row),
    'top functions by self time:',
    ...s.topFunctions.map(row),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: cpuprofile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summariseCpuProfile(file, { top: top ? Number(top) : 25 }))}\n`);
}
