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

free_port() { .venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

start_live_stack() {  # start_live_stack WORKDIR: web, worker and beat as production runs them
  local dir=$1 port
  port=$(free_port)
  mkdir -p "$dir/sms" "$dir/data"
  # Every client of the live stack signs in from 127.0.0.1: the per-IP sign-in limit, meant
  # for the internet, is raised so the journey and the fuzzer (about 15 requests) never meet it.
  cat > "$dir/live.env" <<ENV
DEBUG=false
SECRET_KEY=ci-live-stack-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
SECURE_SSL_REDIRECT=false
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=postgres://postgres@$PG_HOST:$PG_PORT/propflow_live
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/2
SMS_BACKEND=file
OTP_REQUEST_LIMIT_PER_IP=200/600
SMS_FILE_PATH=$dir/sms
DATA_DIR=$dir/data
ENV
  dropdb -h "$PG_HOST" -p "$PG_PORT" -U postgres --if-exists propflow_live
  createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres propflow_live
  redis-cli -p "$REDIS_PORT" -n 2 flushdb > /dev/null
  live() { env $(cat "$dir/live.env") "$@"; }
  # Background processes are started with env directly, not through live(): a backgrounded
  # shell function runs in a subshell, and $! would be that subshell, not the process to stop.
  live .venv/bin/python manage.py migrate --noinput > "$dir/migrate.log"
  live .venv/bin/python manage.py createuser +919800000101 --role reviewer --name "CI Reviewer"
  live .venv/bin/python manage.py createuser +919800000102 --role agent --name "CI Agent"
  live .venv/bin/python manage.py createuser +919800000103 --role admin --name "CI Admin"
  env $(cat "$dir/live.env") .venv/bin/uvicorn propflow.asgi:application --host 127.0.0.1 --port "$port" --lifespan on \
    --no-access-log --ws-max-size 65536 > "$dir/web.log" 2>&1 &
  PIDS+=($!)
  env $(cat "$dir/live.env") .venv/bin/celery -A propflow worker --loglevel INFO --concurrency 2 > "$dir/worker.log" 2>&1 &
  PIDS+=($!)
  env $(cat "$dir/live.env") .venv/bin/celery -A propflow beat --loglevel INFO --schedule "$dir/beat-schedule" > "$dir/beat.log" 2>&1 &
  PIDS+=($!)
  live_up() { curl -sf -o /dev/null "http://127.0.0.1:$port/health"; }
  wait_for 60 live_up || { echo "FATAL: the live web process is not healthy:" >&2; tail -30 "$dir/web.log" >&2; exit 1; }
  export PROPFLOW_LIVE_URL="http://127.0.0.1:$port"
  export PROPFLOW_LIVE_SMS_DIR="$dir/sms"
  export PROPFLOW_LIVE_REVIEWER_PHONE=+919800000101
  export PROPFLOW_LIVE_AGENT_PHONE=+919800000102
  export PROPFLOW_LIVE_ADMIN_PHONE=+919800000103
}
