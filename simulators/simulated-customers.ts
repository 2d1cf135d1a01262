import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's customers: they read the e-mail prognos sent them (the embedded SMTP sink's `.eml`
 * files) and answer through the link in it, over HTTP, as a person clicking it would — most take
 * the first slot offered, some ask for another time, some never answer (and the workflow escalates).
 * Deterministic per message from the seed.
 */

export interface SimulatedCustomersOptions {
  readonly mailDir: string;
  /** The dashboard base URL the links in the mail point at (`…/#/link/<token>`). */
  readonly baseUrl: string;
  readonly seed: number;
  /** Shares of confirm / ask for another time; the rest never answer. Defaults 0.7 / 0.1. */
  readonly confirmShare?: number;
  readonly rescheduleShare?: number;
  /** Real ms between looks at the mailbox. Default 1000. */
  readonly pollMs?: number;
  readonly onAnswer?: (a: { file: string; action: string; ok: boolean; detail: string }) => void;
}

/** FNV-1a over the file name and seed: a stable draw in [0, 1) per message. */
function draw(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export class SimulatedCustomers {
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;
  readonly answered = { confirm: 0, reschedule: 0, silent: 0, failed: 0 };

  constructor(private readonly o: SimulatedCustomersOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.busy ??= this.readMail().finally(() => (this.busy = null));
    }, this.o.pollMs ?? 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.busy;
  }

  private async readMail(): Promise<void> {
    let files: string[];
    try {
      files = readdirSync(this.o.mailDir).filter((f) => f.endsWith('.eml')).sort();
    } catch {
      return;
    }
    for (const file of files) {
      if (this.seen.has(file)) continue;
      this.seen.add(file);
      const text = decodeQuotedPrintable(readFileSync(join(this.o.mailDir, file), 'utf8'));
      const link = text.match(/\/#\/link\/([A-Za-z0-9_.-]+)/);
      if (!link) continue;
      const d = draw(this.o.seed, file);
      const confirm = this.o.confirmShare ?? 0.7;
      const reschedule = this.o.rescheduleShare ?? 0.1;
      if (d >= confirm + reschedule) {
        this.answered.silent++;
        continue;
      }
      await this.answer(file, link[1]!, d < confirm ? 'confirm' : 'reschedule');
    }
  }

  private async answer(file: string, token: string, action: 'confirm' | 'reschedule'): Promise<void> {
    const url = `${this.o.baseUrl.replace(/\/+$/, '')}/api/v1/portal/${token}`;
    try {
      const view = (await (await fetch(url)).json()) as { slots?: { id: string }[]; visit?: unknown };
      // Reminders and confirmations leave no choice to make.
      if (view.visit || !view.slots?.length) return;
      const body = action === 'confirm' && view.slots?.[0] ? { action, slotId: view.slots[0].id } : { action: 'reschedule' };
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const detail = await res.text();
      this.answered[res.ok ? body.action === 'confirm' ? 'confirm' : 'reschedule' : 'failed']++;
      this.o.onAnswer?.({ file, action: body.action, ok: res.ok, detail: detail.slice(0, 200) });
    } catch (err) {
      this.answered.failed++;
      this.o.onAnswer?.({ file, action, ok: false, detail: (err as Error).message });
    }
  }
}
