// Creates a PGlite data directory and exits. Run as a child process on first boot: PGlite's
// initdb peaks near 800 MiB and the WASM heap never shrinks, so doing it in the service's own
// process would keep that memory for the life of the service.
import { PGlite } from '@electric-sql/pglite';

const db = await PGlite.create(process.argv[2]);
await db.close();
