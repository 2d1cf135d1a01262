import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrognosError } from './errors.ts';

const LOCK_FILE = 'prognos.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes a directory for this process alone (PGlite and the spool each serve one process).
 * A lock left by a process that no longer runs is taken over. Returns the release function.
 */
export function lockDirectory(dir: string, what: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new PrognosError('PRG_DATA_DIR_LOCKED', `${what} ${dir} is held by process ${owner}; ask it over HTTP instead`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new PrognosError('PRG_DATA_DIR_LOCKED', `${what} ${dir}: could not take the lock`);
}
