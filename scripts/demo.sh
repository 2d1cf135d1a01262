#!/usr/bin/env bash
# The README's first command (`npm run demo`): install what is missing, start the local services,
# run the whole product on embedded defaults with a simulated fleet feeding it.
#
#   npm run demo                          50 simulated machines, clock ×3600, until Ctrl-C
#   npm run demo -- --duration 300 --json options go to `prognos demo`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -x node_modules/.bin/tsx || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== npm ci (first run, or dependencies changed)"
  npm ci --no-audit --no-fund
fi
echo "== services"
bash scripts/services.sh up
echo "== prognos demo"
# The summary lines say what is happening; JSON logs only for warnings and errors.
export LOG_LEVEL=${LOG_LEVEL:-warn}
exec node bin/prognos.mjs demo --no-services "$@"
