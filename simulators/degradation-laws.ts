/**
 * The damage laws the failure modes are built from, in closed form so a step of any length
 * (one second live, an hour at `--speed 3600`) lands on the same curve, and so a failure's
 * time is the exact moment damage reaches 1.0 rather than the end of a step.
 *
 * Damage D is dimensionless: 0 = as new, 1 = functional failure. The growth rate r (per hour)
 * is held constant over one step; the caller re-evaluates it when the regime changes.
 */

export type DamageLaw =
  /** dD/dt = r. Archard's wear law: worn volume V = k·F·s/H, so at constant load and sliding speed wear is linear in time. */
  | { readonly kind: 'linear' }
  /** dD/dt = r·D. A defect that feeds itself (rolling-contact spall growth): the P–F curve's exponential tail. */
  | { readonly kind: 'exponential' }
  /**
   * dD/dt = r·D^p. Paris' law da/dN = C·ΔK^m with ΔK ∝ Δσ·√(πa) gives da/dt ∝ a^(m/2),
   * so p = m/2 (m ≈ 3 for steels: p = 1.5). Grows without bound in finite time.
   */
  | { readonly kind: 'power'; readonly exponent: number }
  /**
   * dD/dt = r·(D∞ − D). Kern–Seaton fouling: deposition minus removal, so the fouling resistance
   * approaches an asymptote D∞. A unit fails (trips) only when its D∞ lies above 1.
   */
  | { readonly kind: 'asymptotic' };

export interface DamageStep {
  readonly damage: number;
  /** Hours into the step at which damage reached 1.0, or null when it did not. */
  readonly hoursToFailure: number | null;
}

/** Grows damage `d` over `hours` at rate `rate` (per hour) under `law`. */
export function growDamage(law: DamageLaw, d: number, rate: number, hours: number, asymptote = Infinity): DamageStep {
  if (d >= 1) return { damage: 1, hoursToFailure: 0 };
  if (!(rate > 0) || !(hours > 0)) return { damage: d, hoursToFailure: null };
  const t = hoursUntilFailure(law, d, rate, asymptote);
  if (t !== null && t <= hours) return { damage: 1, hoursToFailure: t };
  switch (law.kind) {
    case 'linear':
      return { damage: d + rate * hours, hoursToFailure: null };
    case 'exponential':
      return { damage: d * Math.exp(rate * hours), hoursToFailure: null };
    case 'power': {
      const q = 1 - law.exponent;
      return { damage: Math.pow(Math.pow(d, q) + q * rate * hours, 1 / q), hoursToFailure: null };
    }
    case 'asymptotic':
      return { damage: asymptote - (asymptote - d) * Math.exp(-rate * hours), hoursToFailure: null };
  }
}

/** Hours until damage reaches 1.0 at a constant rate, or null if it never does. */
export function hoursUntilFailure(law: DamageLaw, d: number, rate: number, asymptote = Infinity): number | null {
  if (d >= 1) return 0;
  if (!(rate > 0)) return null;
  switch (law.kind) {
    case 'linear':
      return (1 - d) / rate;
    case 'exponential':
      return d > 0 ? Math.log(1 / d) / rate : null;
    case 'power': {
      if (d <= 0) return null;
      const p = law.exponent;
      return (Math.pow(d, 1 - p) - 1) / ((p - 1) * rate);
    }
    case 'asymptotic':
      return asymptote > 1 ? Math.log((asymptote - d) / (asymptote - 1)) / rate : null;
  }
}

/**
 * Insulation life consumption relative to life at the thermal class temperature: Montsinger's
 * 10 °C rule (life halves for every 10 K hotter), the working form of the Arrhenius equation
 * used by IEEE Std 117 / IEC 60034-18-21 thermal endurance tests.
 */
export function montsingerAgeingFactor(hotSpotC: number, classTempC: number): number {
  return Math.pow(2, (hotSpotC - classTempC) / 10);
}

/**
 * Fatigue life used per hour relative to reference conditions, for power-law fatigue: life in
 * cycles ∝ stress^−exponent, and cycles per hour ∝ speed. ISO 281 gives bearings
 * L10 = (C/P)^3 million revolutions (exponent 3 for ball bearings); Basquin's S–N law gives
 * gear teeth the same form with their own exponent.
 */
export function fatigueLifeConsumption(speedRatio: number, stressRatio: number, exponent: number): number {
  return Math.max(0, speedRatio) * Math.pow(Math.max(0, stressRatio), exponent);
}
