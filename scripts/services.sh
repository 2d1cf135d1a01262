#!/usr/bin/env bash
# Makes sure the services prognos needs are up on this machine (idempotent).
#
#   scripts/services.sh up|down|status
#
#   up      InfluxDB: installs Debian's influxdb if influxd is missing, starts a project-owned
#           instance on 127.0.0.1:$INFLUX_PORT with its data in $PROGNOS_DATA_DIR/influxdb (or
#           reuses whatever already answers /ping there) and creates $INFLUX_DATABASE.
#           Redis: starts a local redis-server if $REDIS_URL points at this machine and does not
#           answer. MQTT: reports which broker prognos will use (nothing to start).
#   down    stops the InfluxDB instance this script started (by its pidfile), nothing else
#   status  one line per service
#
# Environment (the product's own variables, same defaults):
#   PROGNOS_DATA_DIR (./data)  INFLUX_URL (http://127.0.0.1:8086)  INFLUX_PORT (the port of
#   INFLUX_URL)  INFLUX_DATABASE (prognos)  INFLUX_TOKEN  REDIS_URL (redis://127.0.0.1:6379)
#   MQTT_URL (unset: embedded broker)  MQTT_PORT (1884)  MQTT_BIND_HOST (127.0.0.1)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One line naming the service, then exit 1.
fail() {
  echo "$*" >&2
  exit 1
}

action=${1:-up}
case $action in
  up | down | status) ;;
  -h | --help | help)
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) fail "services: unknown action '$action' (up|down|status)" ;;
esac

data_dir=${PROGNOS_DATA_DIR:-./data}
influx_url=${INFLUX_URL:-http://127.0.0.1:8086}
influx_db=${INFLUX_DATABASE:-prognos}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}

# host and port of a URL (no user info/paths needed beyond stripping them).
url_host() {
  local rest=${1#*://}
  rest=${rest%%/*}
  rest=${rest##*@}
  if [[ $rest == \[* ]]; then
    rest=${rest#[}
    echo "${rest%%]*}"
  else
    echo "${rest%%:*}"
  fi
}
url_port() {
  local rest=${1#*://} default=$2
  rest=${rest%%/*}
  rest=${rest##*@}
  rest=${rest##*]}
  [[ $rest == *:* ]] && echo "${rest##*:}" || echo "$default"
}
is_local() {
  case $1 in 127.* | localhost | ::1) return 0 ;; *) return 1 ;; esac
}

# InfluxDB: a local http:// URL is ours to start; anything else is only checked.
influx_host=$(url_host "$influx_url")
influx_scheme=${influx_url%%://*}
influx_local=false
if [[ $influx_scheme == http ]] && is_local "$influx_host"; then
  influx_local=true
  influx_port=${INFLUX_PORT:-$(url_port "$influx_url" 8086)}
fi
influx_args=(--dir "$data_dir/influxdb" --port "${influx_port:-8086}")

influx_remote_ping() {
  local auth=()
  [[ -n ${INFLUX_TOKEN:-} ]] && auth=(-H "Authorization: Token $INFLUX_TOKEN")
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${auth[@]}" "${influx_url%/}/ping" 2>/dev/null) =~ ^20[04]$ ]]
}

influx_up() {
  if ! $influx_local; then
    command -v curl >/dev/null || bash "$here/apt-install.sh" curl
    influx_remote_ping || fail "influxdb: $influx_url does not answer /ping (external instance: start it yourself, or unset INFLUX_URL)"
    echo "influxdb: using external $influx_url (database $influx_db must exist: see docs/operations.md)"
    return 0
  fi
  bash "$here/influxdb.sh" start "${influx_args[@]}"
  bash "$here/influxdb.sh" create-db "$influx_db" "${influx_args[@]}"
}

redis_ping() { redis-cli --no-auth-warning -u "$redis_url" ping 2>/dev/null | grep -q PONG; }

redis_up() {
  local host port
  host=$(url_host "$redis_url")
  port=$(url_port "$redis_url" 6379)
  if command -v redis-cli >/dev/null && redis_ping; then
    echo "redis: up at $redis_url"
    return 0
  fi
  is_local "$host" || fail "redis: $redis_url does not answer PING (not local, so not started here)"
  command -v redis-server >/dev/null || bash "$here/apt-install.sh" redis-server || fail "redis: could not install redis-server"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  # The machine's own Redis, as the CI/dev machines run it: loopback, no persistence.
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null ||
    fail "redis: redis-server failed to start (see /var/log/redis/ci.log)"
  local deadline=$((SECONDS + 10))
  until redis_ping; do
    ((SECONDS < deadline)) || fail "redis: started redis-server on port $port but it does not answer PING after 10 s (see /var/log/redis/ci.log)"
    sleep 0.1
  done
  echo "redis: started redis-server at $redis_url"
}

redis_status() {
  if command -v redis-cli >/dev/null && redis_ping; then
    echo "redis: up at $redis_url"
  else
    echo "redis: not answering at $redis_url"
    return 1
  fi
}

# Sets mqtt_msg to one line about the broker prognos will use; fails if an external one is unreachable.
mqtt_check() {
  if [[ -z ${MQTT_URL:-} ]]; then
    mqtt_msg="mqtt: embedded broker (prognos starts it on ${MQTT_BIND_HOST:-127.0.0.1}:${MQTT_PORT:-1884}); nothing to start"
    return 0
  fi
  local host port
  host=$(url_host "$MQTT_URL")
  case ${MQTT_URL%%://*} in
    mqtts | wss) port=$(url_port "$MQTT_URL" 8883) ;;
    ws) port=$(url_port "$MQTT_URL" 80) ;;
    *) port=$(url_port "$MQTT_URL" 1883) ;;
  esac
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    mqtt_msg="mqtt: external broker $MQTT_URL (reachable)"
  else
    mqtt_msg="mqtt: external broker $MQTT_URL is not reachable (start it, e.g. scripts/mosquitto.sh start --port $port)"
    return 1
  fi
}

case $action in
  up)
    influx_up
    redis_up
    mqtt_check || fail "$mqtt_msg"
    echo "$mqtt_msg"
    ;;
  down)
    if $influx_local; then
      bash "$here/influxdb.sh" stop "${influx_args[@]}"
    else
      echo "influxdb: external $influx_url; left alone"
    fi
    echo "redis, mqtt: not started by this script; left alone"
    ;;
  status)
    rc=0
    if $influx_local; then
      bash "$here/influxdb.sh" status "${influx_args[@]}" || rc=1
    elif influx_remote_ping; then
      echo "influxdb: external $influx_url answers /ping"
    else
      echo "influxdb: external $influx_url does not answer /ping"
      rc=1
    fi
    redis_status || rc=1
    mqtt_check || rc=1
    echo "$mqtt_msg"
    exit $rc
    ;;
esac
