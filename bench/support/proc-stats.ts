import { readdirSync, readFileSync } from 'node:fs';

/**
 * Per-process and whole-machine CPU and memory from Linux /proc, so every process of a run
 * (ours, Mosquitto, InfluxDB) is measured the same way. Linux only.
 */

/** USER_HZ: the unit of the tick counts in /proc/<pid>/stat and /proc/stat (100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far, or null once it is gone. */
export function processCpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces: fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** Current (VmRSS) and peak (VmHWM) resident set size in bytes, or null once the process is gone. */
export function residentBytes(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** The machine's CPU seconds since boot by kind (all cores together), from /proc/stat. */
export interface MachineCpu {
  /** user + nice + system: time charged to processes. */
  process: number;
  /** irq + softirq: interrupt work (loopback TCP delivery shows up here), charged to no process. */
  interrupt: number;
  /** Time the hypervisor gave to other guests while this one wanted to run. */
  steal: number;
  idle: number;
}

export function machineCpuSeconds(): MachineCpu {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = first.trim().split(/\s+/).slice(1).map(Number);
  const s = (t: number) => t / TICKS_PER_SECOND;
  return { process: s(user + nice + system), interrupt: s(irq + softirq), steal: s(steal), idle: s(idle + iowait) };
}

/** CPU seconds and command name of every process now (for naming the other users of the machine). */
function allProcesses(): Map<number, { comm: string; cpu: number }> {
  const out = new Map<number, { comm: string; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds used by a set of named processes and the machine over one interval. */
export class CpuMeter {
  private readonly start = new Map<string, number>();
  private machineStart: MachineCpu = { process: 0, interrupt: 0, steal: 0, idle: 0 };
  private t0 = 0;
  private everyone = new Map<number, { comm: string; cpu: number }>();

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  begin(): void {
    this.t0 = performance.now();
    this.machineStart = machineCpuSeconds();
    for (const [name, pid] of this.pids) this.start.set(name, processCpuSeconds(pid) ?? 0);
    this.everyone = allProcesses();
  }

  /** CPU seconds per process, the machine's busy seconds, and the wall seconds since {@link begin}. */
  end(): CpuInterval {
    const wallSeconds = (performance.now() - this.t0) / 1000;
    const now = machineCpuSeconds();
    const machine = {
      process: now.process - this.machineStart.process,
      interrupt: now.interrupt - this.machineStart.interrupt,
      steal: now.steal - this.machineStart.steal,
      idle: now.idle - this.machineStart.idle,
    };
    const processes: Record<string, number> = {};
    let ours = 0;
    for (const [name, pid] of this.pids) {
      const used = (processCpuSeconds(pid) ?? this.start.get(name)!) - this.start.get(name)!;
      processes[name] = used;
      ours += used;
    }
    const mine = new Set(this.pids.values());
    const busiestOthers = [...allProcesses()]
      .filter(([pid]) => !mine.has(pid))
      .map(([pid, p]) => ({ pid, comm: p.comm, seconds: p.cpu - (this.everyone.get(pid)?.cpu ?? 0) }))
      .filter((p) => p.seconds >= 0.05 * wallSeconds)
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 3);
    return { wallSeconds, processes, machine, otherProcessSeconds: Math.max(0, machine.process - ours), busiestOthers };
  }
}

export interface CpuInterval {
  wallSeconds: number;
  /** CPU seconds (user + system) per named process. */
  processes: Record<string, number>;
  /** The whole machine over the interval (all kinds together: at most cores × wall seconds). */
  machine: MachineCpu;
  /** Process CPU seconds not used by the named processes (other users of the machine). */
  otherProcessSeconds: number;
  /** Other processes that used at least 5% of a core over the interval. */
  busiestOthers: { pid: number; comm: string; seconds: number }[];
}

/**
 * Waits until the whole machine has been nearly idle (busy below `maxBusyShare` of all cores)
 * for one `sampleMs` sample, so a phase does not start while someone else's job runs.
 * Gives up after `timeoutMs` and says so; the caller records it with the result.
 */
export async function waitForQuietMachine(o: { maxBusyShare: number; sampleMs: number; timeoutMs: number; cores: number }): Promise<{ quiet: boolean; waitedS: number; busyShare: number }> {
  const t0 = performance.now();
  let busyShare = 1;
  while (performance.now() - t0 < o.timeoutMs) {
    const a = machineCpuSeconds();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, o.sampleMs));
    const b = machineCpuSeconds();
    const wall = (performance.now() - w0) / 1000;
    busyShare = (b.process - a.process + b.interrupt - a.interrupt) / (wall * o.cores);
    if (busyShare < o.maxBusyShare) return { quiet: true, waitedS: (performance.now() - t0) / 1000, busyShare };
  }
  return { quiet: false, waitedS: (performance.now() - t0) / 1000, busyShare };
}
