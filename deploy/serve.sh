#!/usr/bin/env bash
# Serve the app to a room: REPLICAS `streamlit run` processes on loopback ports behind nginx on
# ADDRESS:PORT, all as the current user, every file under PREFIX (a fresh temp folder unless given).
#
#   deploy/serve.sh                      # 2 replicas, http://127.0.0.1:8500 (this machine only)
#   ADDRESS=0.0.0.0 deploy/serve.sh      # every interface: students open http://THIS-MACHINE:8500
#   REPLICAS=4 PORT=8080 deploy/serve.sh
#
# ADDRESS is where nginx listens (default 127.0.0.1, loopback: nothing is exposed until you choose to);
# the replicas always stay on 127.0.0.1. Students see generic error messages, not tracebacks
# (client.showErrorDetails "none"; the tracebacks go to PREFIX/logs).
# Replicas get ports PORT+1 ... PORT+REPLICAS (or BASE_PORT ...). The shipped checkpoints are served
# from a read-only snapshot (PREFIX/checkpoints). Ctrl-C (or SIGTERM) stops nginx and every replica.
# PREFIX/replicas lists "port pid" per replica; PREFIX/logs holds nginx's and the replicas' logs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v curl >/dev/null || { echo "curl not found (serve.sh checks the replicas with it): apt-get install -y curl" >&2; exit 2; }
REPLICAS=${REPLICAS:-2}
PORT=${PORT:-8500}
ADDRESS=${ADDRESS:-127.0.0.1}
BASE_PORT=${BASE_PORT:-$((PORT + 1))}
PREFIX=${PREFIX:-$(mktemp -d "${TMPDIR:-/tmp}/latent-lab-serve.XXXXXX")}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [[ -z "${PYTHON:-}" ]]; then
    PYTHON=python3
    [[ -x "$ROOT/.venv/bin/python" ]] && PYTHON="$ROOT/.venv/bin/python"
fi
[[ -x "$NGINX" ]] || { echo "nginx not found: apt-get install -y nginx (or set NGINX=/path/to/nginx)" >&2; exit 2; }

mkdir -p "$PREFIX"/logs "$PREFIX"/tmp "$PREFIX"/cache
: > "$PREFIX/replicas"
pids=()
stop() {
    trap - EXIT INT TERM
    [[ -f "$PREFIX/nginx.pid" ]] && kill "$(cat "$PREFIX/nginx.pid")" 2>/dev/null || true
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

# read-only snapshot of the shipped models: a replica can read them and nothing else
# (as root permission bits do not bind: mount it read-only instead, see deploy/README.md)
if [[ ! -d "$PREFIX/checkpoints" ]]; then
    cp -a "${GENLIB_CHECKPOINTS:-$ROOT/checkpoints}" "$PREFIX/checkpoints"
    chmod -R a-w "$PREFIX/checkpoints"
fi
export GENLIB_CHECKPOINTS="$PREFIX/checkpoints"
export GENLIB_CACHE=${GENLIB_CACHE:-$PREFIX/cache}   # test-set encodings: shared, written atomically
# one XSRF/cookie secret for all replicas: a session that moves to another replica keeps working uploads
export STREAMLIT_SERVER_COOKIE_SECRET=${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

servers=""
for ((i = 0; i < REPLICAS; i++)); do
    p=$((BASE_PORT + i))
    "$PYTHON" -m streamlit run "$ROOT/app/server.py" --server.headless true \
        --server.address 127.0.0.1 --server.port "$p" --browser.gatherUsageStats false \
        --server.fileWatcherType none --client.showErrorDetails none > "$PREFIX/logs/replica-$p.log" 2>&1 &
    pids+=($!)
    echo "$p $!" >> "$PREFIX/replicas"
    servers+="        server 127.0.0.1:$p max_fails=1 fail_timeout=10s;"$'\n'
done

# active check at start: every replica answers /_stcore/health before nginx sends it anyone
for ((i = 0; i < REPLICAS; i++)); do
    p=$((BASE_PORT + i))
    for ((t = 0; t < 240; t++)); do
        [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$p/_stcore/health" 2>/dev/null)" == ok ]] && break
        kill -0 "${pids[$i]}" 2>/dev/null || { echo "replica on port $p died; see $PREFIX/logs/replica-$p.log" >&2; exit 1; }
        sleep 0.5
    done
    [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$p/_stcore/health" 2>/dev/null)" == ok ]] \
        || { echo "replica on port $p not healthy after 120 s" >&2; exit 1; }
done

user=""
[[ $EUID -eq 0 ]] && user="user root;"   # workers as the current user (nginx would switch root to nobody)
SERVERS="$servers" "$PYTHON" - "$ROOT/deploy/nginx.conf.template" "$PREFIX/nginx.conf" "$PREFIX" "$PORT" "$user" "$ADDRESS" <<'PY'
import os, sys
src, dst, prefix, port, user, address = sys.argv[1:]
text = open(src).read()
listen = f"[{address}]" if ":" in address else address  # an IPv6 address goes in brackets
for k, v in {"@PREFIX@": prefix, "@PORT@": port, "@USER@": user, "@ADDRESS@": listen,
             "@SERVERS@": os.environ["SERVERS"].rstrip("\n")}.items():
    text = text.replace(k, v)
open(dst, "w").write(text)
PY
"$NGINX" -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log" -t -q
"$NGINX" -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log" -g "daemon off;" &
nginx_pid=$!
pids+=("$nginx_pid")
probe=$ADDRESS
[[ $ADDRESS == 0.0.0.0 || $ADDRESS == "::" ]] && probe=127.0.0.1   # listening everywhere: loopback answers too
[[ $probe == *:* ]] && probe="[$probe]"
for ((t = 0; t < 40; t++)); do
    curl -fsS --max-time 2 "http://$probe:$PORT/_stcore/health" >/dev/null 2>&1 && break
    sleep 0.25
done
echo "serving http://$probe:$PORT ($REPLICAS replicas, ports $BASE_PORT-$((BASE_PORT + REPLICAS - 1)); files in $PREFIX)"
if [[ $ADDRESS == 0.0.0.0 || $ADDRESS == "::" ]]; then
    echo "listening on every interface: students open http://<this machine's address>:$PORT ($(hostname -I 2>/dev/null || echo 'see: ip addr'))"
fi
wait "$nginx_pid" || true   # a replica that dies is routed around (and restarted by your supervisor)
