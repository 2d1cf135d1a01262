import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Device secrets are hashed in Mosquitto 2's own password-file format, PBKDF2-HMAC-SHA512:
 * `$7$<iterations>$<salt, base64 of 12 bytes>$<hash, base64 of 64 bytes>` (what `mosquitto_passwd -H
 * sha512-pbkdf2` writes; checked against Debian's mosquitto_passwd 2.0.11 in test/mqtt-auth). So the
 * embedded broker verifies the stored hash, and the password file for an external Mosquitto is a
 * copy of the table: prognos never keeps a device secret. Secrets are 32 random bytes, so the
 * iteration count (Mosquitto's default 101) does not carry their strength.
 */
const ITERATIONS = 101;

function derive(secret: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => pbkdf2(secret, salt, iterations, 64, 'sha512', (err, key) => (err ? reject(err) : resolve(key))));
}

export async function mosquittoHash(secret: string): Promise<string> {
  const salt = randomBytes(12);
  const key = await derive(secret, salt, ITERATIONS);
  return `$7$${ITERATIONS}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong secret or a hash in any other format. */
export async function verifyMosquittoHash(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== '7') return false;
  const iterations = Number(parts[2]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) return false;
  const expected = Buffer.from(parts[4]!, 'base64');
  const key = await derive(secret, Buffer.from(parts[3]!, 'base64'), iterations);
  return key.length === expected.length && timingSafeEqual(key, expected);
}
