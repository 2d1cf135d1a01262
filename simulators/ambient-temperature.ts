/**
 * The air temperature around a machine, on simulated time: a site mean, a diurnal swing peaking
 * mid-afternoon (UTC) and a seasonal swing peaking in late July. Smooth and noise-free: sensor
 * noise is added where the ambient is measured.
 */
const DAY_MS = 86_400_000;

export function ambientTemperatureC(simMs: number, siteMeanC: number): number {
  const days = simMs / DAY_MS;
  const hourOfDay = (days - Math.floor(days)) * 24;
  const dayOfYear = days % 365.25;
  const diurnal = 5 * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
  const seasonal = 7 * Math.sin((2 * Math.PI * (dayOfYear - 110)) / 365.25);
  return siteMeanC + diurnal + seasonal;
}
