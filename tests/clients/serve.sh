# Sourced by the checks that run real clients against the server (.ci/run, tests/clients/*.sh).
#
# start_bellmap DIR [NAME=VALUE ...]: starts the debug binary ($TARGET_DIR/debug/bellmap) on a
# free 127.0.0.1 port with a SQLite database in DIR, seeded with the bundled sample unless
# BELLMAP_NO_SEED=true is among the settings; sets BASE and SERVER_PID; waits until /health
# answers (or fails with the server's log); and at exit stops the server, by its PID, and
# removes DIR. stop_bellmap stops it sooner (to read its database, say); DIR stays until exit.

start_bellmap() {
  BELLMAP_DIR="$1"
  shift
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  BASE="http://127.0.0.1:$port"
  env BELLMAP_BIND="127.0.0.1:$port" DATABASE_URL="sqlite://$BELLMAP_DIR/bellmap.db" BELLMAP_WORKERS=1 "$@" \
    "$TARGET_DIR/debug/bellmap" serve >"$BELLMAP_DIR/serve.log" 2>&1 &
  SERVER_PID=$!
  trap 'stop_bellmap; rm -rf "$BELLMAP_DIR"' EXIT
  for _ in $(seq 1 240); do
    if curl -fsS --max-time 2 "$BASE/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "the server did not start; its log:" >&2
  cat "$BELLMAP_DIR/serve.log" >&2
  return 1
}

stop_bellmap() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
