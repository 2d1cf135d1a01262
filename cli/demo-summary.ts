import type { DemoSummary } from './product.ts';

const kv = (r: Record<string, number>) => (Object.keys(r).length ? Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') : 'none');

/** The live summary line `prognos start` and `prognos demo` print. */
export function formatSummary(s: DemoSummary): string {
  const cust = s.customers ? `  | customers: confirmed ${s.customers.confirm}, other time ${s.customers.reschedule}, silent ${s.customers.silent}` : '';
  const sim = s.simulator ? `  | simulator: failures ${s.simulator.failures}, service visits ${s.simulator.serviceVisits}, own maintenance ${s.simulator.maintenance}, repairs ${s.simulator.repairs}` : '';
  return (
    `[${s.clock}] readings ${s.readings}  rejected ${s.rejected}  predictions ${s.predictions} (insufficient data ${s.insufficientData})  ` +
    `episodes ${s.episodes}  tickets ${kv(s.tickets)}  visits ${s.visitsPlanned} (before predicted failure ${s.visitsBeforePredictedFailure})  ` +
    `messages sent ${s.messagesSent}  outcomes ${kv(s.outcomes)}${sim}${cust}`
  );
}
