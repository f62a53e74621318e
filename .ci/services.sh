# Helpers for .ci/run: check or start this machine's services, start SeaweedFS (S3), and
# start/stop PropFlow's own processes. Sourced, not run.

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
S3_PORT=8333

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }
s3_up() { curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; }

wait_for() {  # wait_for SECONDS COMMAND...
  local seconds=$1; shift
  for _ in $(seq "$((seconds * 5))"); do "$@" && return 0; sleep 0.2; done
  return 1
}

require_postgres() {
  if ! pg_up; then
    echo "PostgreSQL is not answering on $PG_HOST:$PG_PORT; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    wait_for 30 pg_up
  fi
  pg_up || { echo "FATAL: PostgreSQL is not answering on $PG_HOST:$PG_PORT" >&2; exit 1; }
}

require_redis() {
  if ! redis_up; then
    echo "Redis is not answering on 127.0.0.1:$REDIS_PORT; starting it"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_for 30 redis_up
  fi
  redis_up || { echo "FATAL: Redis is not answering on 127.0.0.1:$REDIS_PORT" >&2; exit 1; }
}

PIDS=()
stop_processes() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
}

start_s3() {  # start_s3 WORKDIR: SeaweedFS on 127.0.0.1:$S3_PORT with the CI credentials
  local dir=$1
  if s3_up; then
    echo "FATAL: something already listens on 127.0.0.1:$S3_PORT" >&2; exit 1
  fi
  mkdir -p "$dir/data"
  cat > "$dir/s3.json" <<JSON
{"identities": [{"name": "propflow", "credentials": [{"accessKey": "$AWS_ACCESS_KEY_ID",
  "secretKey": "$AWS_SECRET_ACCESS_KEY"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
  .venv/bin/weed mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3_PORT" \
    -s3.config="$dir/s3.json" -bucket="$S3_BUCKET" -master.telemetry=false \
    > "$dir/weed.log" 2>&1 &
  PIDS+=($!)
  wait_for 60 s3_up || { echo "FATAL: SeaweedFS did not start:" >&2; tail -20 "$dir/weed.log" >&2; exit 1; }
  wait_for 30 .venv/bin/python -c "
import boto3, os, sys
s3 = boto3.client('s3', endpoint_url=os.environ['S3_ENDPOINT_URL'])
sys.exit(0 if any(b['Name'] == os.environ['S3_BUCKET'] for b in s3.list_buckets()['Buckets']) else 1)
" || { echo "FATAL: the S3 bucket $S3_BUCKET was not created" >&2; exit 1; }
}
