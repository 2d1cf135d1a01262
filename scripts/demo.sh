#!/usr/bin/env bash
# The README's first command (`npm run demo`): install what is missing, start the local services,
# run the whole product on embedded defaults with a simulated fleet feeding it.
#
#   npm run demo                      50 simulated machines, equipment time ×3600
#   npm run demo -- --simulate 200    options go to `prognos start`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -x node_modules/.bin/tsx || ! -d node_modules/onnxruntime-node ]]; then
  echo "== npm ci (first run)"
  npm ci --no-audit --no-fund
fi
echo "== services"
bash scripts/services.sh up
echo "== prognos start"
# The summary lines say what is happening; JSON logs only for warnings and errors.
export LOG_LEVEL=${LOG_LEVEL:-warn}
args=("$@")
[[ " ${args[*]-} " == *" --simulate "* ]] || args=(--simulate 50 "${args[@]}")
exec node bin/prognos.mjs start "${args[@]}"
