import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type Product, startProduct } from '../../cli/product.ts';
import { importFleet } from '../../maintenance/fleet-registry.ts';
import type { FleetDocumentInput } from '../../maintenance/fleet-schema.ts';
import type { Prediction } from '../../models/prediction.ts';
import { predictionToLine } from '../../models/prediction-writer.ts';
import { loadConfig } from '../../platform/config.ts';
import { launchChromium, screenshot } from '../support/browser.ts';
import { freePort } from '../support/free-port.ts';
import { uniqueName, waitFor } from '../support/services.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';

/**
 * The real product in this process (embedded broker, PGlite, the shared InfluxDB, real Redis,
 * the embedded SMTP sink, the workflow engine) and the real dashboard in Debian's Chromium.
 * Two devices of one customer are flagged by predictions fed through the alert policy: one on a
 * high-criticality machine (tier `assisted`: an engineer books the visit in the dashboard), one
 * on a low-criticality machine (tier `ai`: the customer gets an e-mail and picks a slot through
 * its link). Screenshots land in test-artifacts/.
 */

const PASSWORD = 'browser-test-pass';
const HOUR = 3_600_000;
const ALWAYS = [{ start: '00:00', end: '23:59' }];

function fleet(): FleetDocumentInput {
  return {
    tenant: { id: 'demo', name: 'Demo fleet' },
    customers: [
      {
        id: 'C-001',
        name: 'Harbour Foods',
        contactEmail: 'ops@harbour.example.com',
        phone: '+86 21 5000 0001',
        preferredChannel: 'email',
        language: 'en',
        timezone: 'UTC',
        availability: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: '00:00', end: '23:59' })),
      },
    ],
    sites: [{ id: 'S-001', customerId: 'C-001', name: 'Harbour plant', lat: 31.2, lon: 121.5 }],
    devices: [
      { id: 'pump-0001', equipmentType: 'centrifugal_pump', model: 'P-55', installedAt: '2024-01-01', customerId: 'C-001', siteId: 'S-001', criticality: 'high' },
      { id: 'pump-0002', equipmentType: 'centrifugal_pump', model: 'P-55', installedAt: '2024-01-01', customerId: 'C-001', siteId: 'S-001', criticality: 'low' },
    ],
    technicians: [
      {
        id: 'TECH-001',
        name: 'Wang Lei',
        skills: ['bearing_wear', 'seal_wear'],
        homeLat: 31.2,
        homeLon: 121.4,
        workingHours: { sun: ALWAYS, mon: ALWAYS, tue: ALWAYS, wed: ALWAYS, thu: ALWAYS, fri: ALWAYS, sat: ALWAYS },
        timezone: 'UTC',
      },
    ],
  };
}

function flagged(device: string, at: number): Prediction {
  const attributions = [
    { sensor: 'vibration_rms_mm_s', feature: 'vibration_rms_mm_s__slope_24h', contribution: 1.4, share: 0.62, value: 0.31 },
    { sensor: 'bearing_temp_c', feature: 'bearing_temp_c__ewm_24h', contribution: 0.6, share: 0.27, value: 41.5 },
    { sensor: 'motor_current_a', feature: 'motor_current_a__level_6h', contribution: 0.25, share: 0.11, value: 88 },
  ];
  return {
    tenant: 'demo',
    device,
    equipmentType: 'centrifugal_pump',
    at,
    modelVersion: 'browser-test',
    status: 'ok',
    risks: [
      { mode: 'bearing_wear', risk: 0.91, horizonHours: 72, threshold: 0.5, attributions },
      { mode: 'seal_wear', risk: 0.04, horizonHours: 72, threshold: 0.5, attributions: [] },
    ],
    rulHours: 300,
    rulLowerHours: 240,
  };
}

/** The first customer-portal link in a stored e-mail (quoted-printable decoded). */
function portalLinkFromMail(dir: string, base: string): string | null {
  for (const f of readdirSync(dir).sort()) {
    const raw = readFileSync(join(dir, f), 'utf8');
    const decoded = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    const m = decoded.match(new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/#/link/[A-Za-z0-9_.-]+`));
    if (m) return m[0];
  }
  return null;
}

describe('dashboard and customer portal in Chromium, on the running product', () => {
  let product: Product;
  let browser: Browser;
  let base: string;
  let dataDir: string;
  let influxDb: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'prognos-web-'));
    influxDb = await createDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      PROGNOS_DATA_DIR: dataDir,
      PROGNOS_HTTP_PORT: String(port),
      PROGNOS_PUBLIC_URL: base,
      MQTT_PORT: String(await freePort()),
      INFLUX_URL: SHARED_INFLUX_URL,
      INFLUX_DATABASE: influxDb,
      PROGNOS_BOOTSTRAP_PASSWORD: PASSWORD,
      LOG_LEVEL: 'silent',
    });
    product = await startProduct(config, { devices: 0, seed: 1, speed: 1, queuePrefix: uniqueName('web') });
    const rt = product.runtime;
    await importFleet({ db: rt.db, clock: rt.clock }, { kind: 'admin', userId: 'test' }, fleet());
    // Three hours of high bearing risk, one prediction every 15 minutes: the policy raises after 30 min.
    const now = Date.now();
    const lines: string[] = [];
    for (let t = now - 3 * HOUR; t <= now; t += HOUR / 4) {
      for (const device of ['pump-0001', 'pump-0002']) {
        const p = flagged(device, t);
        lines.push(predictionToLine(p));
        await rt.episodes.applyPrediction({ kind: 'system', tenant: 'demo', reason: 'test' }, p);
      }
      lines.push(`telemetry,device=pump-0001,tenant=demo vibration_rms_mm_s=${(2 + (t - now + 3 * HOUR) / HOUR).toFixed(2)},bearing_temp_c=61 ${t}`);
    }
    await rt.deps.influx.write(lines.join('\n'));
    // The workflow opens both tickets; the `ai` one also mails the customer.
    await waitFor(async () => (await rt.db.selectFrom('tickets').select('id').execute()).length === 2, { timeoutMs: 60_000, what: 'two tickets' });
    await waitFor(() => product.smtp!.received >= 1, { timeoutMs: 60_000, what: 'the proactive e-mail' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await product?.stop();
    await dropDatabase(influxDb);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('an engineer logs in, opens the flagged device, reads why, asks the assistant, books a visit', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/#/login`);
    await page.fill('input[name=username]', 'demo-engineer');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('#fleet-table tr[data-device="pump-0001"]');
    await screenshot(page, 'engineer-1-fleet');

    await page.click('#fleet-table tr[data-device="pump-0001"]');
    await page.waitForSelector('#why .attr-row');
    const why = await page.textContent('#why');
    assert.match(why ?? '', /bearing_wear/);
    assert.match(why ?? '', /vibration_rms_mm_s/);
    assert.match(why ?? '', /62%/);
    await page.waitForSelector('#telemetry-chart .uplot', { timeout: 15_000 });
    await screenshot(page, 'engineer-2-device-why');

    await page.goto(`${base}/#/assistant`);
    await page.fill('#ask-input', 'Why is pump-0001 flagged?');
    await page.press('#ask-input', 'Enter');
    await page.waitForSelector('#chat-log .msg.assistant', { timeout: 30_000 });
    const answer = (await page.textContent('#chat-log .msg.assistant')) ?? '';
    assert.match(answer, /vibration_rms_mm_s|bearing/i, answer);
    await screenshot(page, 'engineer-3-assistant');

    await page.goto(`${base}/#/device/pump-0001`);
    await page.waitForSelector('a[href^="#/ticket/"]');
    await page.click('a[href^="#/ticket/"]');
    await page.waitForSelector('#propose-slots');
    await page.click('#propose-slots');
    await page.waitForSelector('#slots button[data-slot]');
    await page.click('#slots button[data-slot] >> nth=0');
    await page.waitForSelector('#booked-visit');
    assert.match((await page.textContent('#booked-visit')) ?? '', /Wang Lei/);
    await screenshot(page, 'engineer-4-visit-booked');
    const visits = await product.runtime.db.selectFrom('visits').selectAll().where('device', '=', 'pump-0001').where('status', '=', 'booked').execute();
    assert.equal(visits.length, 1);
    await page.close();
  });

  test('the customer opens the link from the e-mail and picks a slot', async () => {
    const link = portalLinkFromMail(product.smtp!.mailDir, base);
    assert.ok(link, 'the e-mail carries a portal link');
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    await page.goto(link);
    await page.waitForSelector('#customer-message');
    await page.waitForSelector('#slot-choice button[data-slot]');
    await screenshot(page, 'customer-1-message-and-slots');
    // The engineer took the earliest slot of the one technician for the other pump: offered times
    // that clash are refused at booking (no double booking), so the customer takes the last one.
    await page.click('#slot-choice button[data-slot] >> nth=-1');
    await page.waitForSelector('#visit-booked');
    await screenshot(page, 'customer-2-visit-booked');
    const visits = await product.runtime.db.selectFrom('visits').selectAll().where('device', '=', 'pump-0002').where('status', '=', 'booked').execute();
    assert.equal(visits.length, 1);
    const ticket = await product.runtime.db.selectFrom('tickets').selectAll().where('device_id', '=', 'pump-0002').executeTakeFirstOrThrow();
    assert.equal(ticket.state, 'scheduled');
    await page.close();
  });
});
