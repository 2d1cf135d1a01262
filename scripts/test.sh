#!/usr/bin/env bash
# The whole test suite against real services (what `npm test` runs).
#
#   npm test                       type check + every test file
#   npm test -- test/ingest/*.ts   type check + only these files
#
# 1. scripts/services.sh up with its own data folder (.test-data/services): the shared InfluxDB
#    on $TEST_INFLUX_URL (default http://127.0.0.1:8086; an instance already answering there is
#    reused, its data untouched) and Redis.
# 2. tsc --noEmit -p . (fails the run on a type error).
# 3. Node's test runner, one file at a time, over test/**/*.test.ts and *.test.ts beside the code.
# Exits with the test runner's code.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export TEST_INFLUX_URL=${TEST_INFLUX_URL:-http://127.0.0.1:8086}

# On a fresh clone the one test command also installs the npm dependencies.
# A lockfile newer than the installed tree (a pull that added a dependency) installs again.
if [[ ! -x node_modules/.bin/tsc || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== npm ci (node_modules is missing or older than package-lock.json)"
  npm ci --no-audit --no-fund
fi

# The browser tests drive Debian's Chromium (playwright-core, no browser download).
bash scripts/apt-install.sh chromium

echo "== services"
# Only the variables services.sh needs for the shared instance; the tests set their own.
PROGNOS_DATA_DIR=.test-data/services INFLUX_URL=$TEST_INFLUX_URL INFLUX_PORT= INFLUX_DATABASE=prognos_test \
  MQTT_URL= bash scripts/services.sh up
echo "== type check (tsc --noEmit -p .)"
node_modules/.bin/tsc --noEmit -p .

if (($#)); then
  files=("$@")
else
  # Node 20's --test does not expand globs; hidden folders, node_modules and data are not code.
  mapfile -t files < <(find . \( -name node_modules -o -name '.?*' -o -path ./data -o -path ./test-artifacts -o -path ./bench/out \) -prune \
    -o -type f -name '*.test.ts' -print | sed 's|^\./||' | LC_ALL=C sort)
fi
if ((${#files[@]} == 0)); then
  echo "test: no test files found (test/**/*.test.ts or *.test.ts beside the code)" >&2
  exit 1
fi

echo "== tests (${#files[@]} files)"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
