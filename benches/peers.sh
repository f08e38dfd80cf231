#!/usr/bin/env bash
# Bellmap's nearest beside PostGIS geography kNN on the same points, in the same run: the
# 1,000,000-provider database and query points of benches/load.sh, Bellmap driven by wrk over
# HTTP (k=10, ids and distances only), then PostGIS answering the same k=10 queries for the same
# query points by GiST index kNN on a geography column holding the same public points, driven by
# pgbench. PostGIS's nearest provider for 10 of the query points is checked against a brute-force
# scan of the same points (Bellmap's answers are checked that way by its test suite).
#
#   bash benches/peers.sh                          # 10 s each
#   BELLMAP_LOAD_SECONDS=5 bash benches/peers.sh
#
# Needs the local PostgreSQL server (127.0.0.1:5432, trust auth) and installs PostGIS from
# Debian's packages if missing. Binds 127.0.0.1 only; drops the database it made and stops the
# server load.sh started.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${BELLMAP_LOAD_SECONDS:-10}"
N="${BELLMAP_LOAD_N:-1000000}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
WORK="$TARGET_DIR/load"
PG="postgres://postgres@127.0.0.1:5432"

echo "== Bellmap (benches/load.sh: /health and nearest k=10 with fields=id,distance_m)"
BELLMAP_LOAD_KINDS="health nearest_ids" BELLMAP_LOAD_EDITS=0 BELLMAP_LOAD_SECONDS="$SECONDS_EACH" \
  bash benches/load.sh | grep -v '^RSS'

VERSION="$(ls /etc/postgresql | sort -n | tail -1)"
if [ ! -f "/usr/share/postgresql/$VERSION/extension/postgis.control" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "postgresql-$VERSION-postgis-3" >/dev/null
fi

DBNAME="bellmap_peers_$$"
cleanup() { psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT
psql "$PG/postgres" -qc "CREATE DATABASE $DBNAME"
psql "$PG/$DBNAME" -qc "CREATE EXTENSION postgis"

# The public point of every active provider (what Bellmap's tree holds): the exact point, or for
# a confidential provider the admin's public point, else the one drawn for it.
python3 - "$WORK/sample-$N.db" "$WORK/public-points.csv" <<'PY'
import csv, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute("""
    SELECT id,
           CASE WHEN confidential THEN COALESCE(public_lon, drawn_lon) ELSE lon END,
           CASE WHEN confidential THEN COALESCE(public_lat, drawn_lat) ELSE lat END
    FROM providers WHERE status = 'active'""")
with open(sys.argv[2], "w", newline="") as out:
    w = csv.writer(out)
    for id_, lon, lat in rows:
        if lon is not None and lat is not None:
            w.writerow((id_, repr(lon), repr(lat)))
PY
psql "$PG/$DBNAME" -q <<SQL
CREATE TABLE p (id bigint PRIMARY KEY, lon float8, lat float8);
\copy p FROM '$WORK/public-points.csv' WITH (FORMAT csv)
ALTER TABLE p ADD COLUMN geog geography(Point, 4326);
UPDATE p SET geog = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography;
CREATE INDEX p_geog ON p USING gist (geog);
CREATE TABLE q (lat float8, lon float8);
\copy q FROM '$WORK/points.csv' WITH (FORMAT csv)
SQL
# The query points numbered in file order (a new table's rows are in the order copied).
psql "$PG/$DBNAME" -q <<'SQL'
ALTER TABLE q ADD COLUMN n serial PRIMARY KEY;
ALTER TABLE q ADD COLUMN geog geography(Point, 4326);
UPDATE q SET geog = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography;
VACUUM ANALYZE p;
VACUUM ANALYZE q;
SQL
echo "== PostGIS $(psql "$PG/$DBNAME" -tAc 'SELECT postgis_lib_version()') on PostgreSQL $VERSION: $(psql "$PG/$DBNAME" -tAc 'SELECT count(*) FROM p') points"
psql "$PG/$DBNAME" -tAc "EXPLAIN SELECT id FROM p ORDER BY geog <-> (SELECT geog FROM q WHERE n = 1) LIMIT 10" \
  | grep -q 'Index Scan using p_geog' || { echo "the kNN query does not use the GiST index" >&2; exit 1; }

# The same k=10 query for one query point in turn, with the distance in metres on the sphere.
SCRIPT="$WORK/peers.sql"
cat >"$SCRIPT" <<'SQL'
\set n random(1, 1000)
SELECT id, ST_Distance(geog, (SELECT geog FROM q WHERE n = :n), false)
FROM p ORDER BY geog <-> (SELECT geog FROM q WHERE n = :n) LIMIT 10;
SQL
pgbench -n -c 16 -j 2 -T "$SECONDS_EACH" -f "$SCRIPT" "$PG/$DBNAME" 2>/dev/null \
  | grep -E '^(tps|latency average)' | sed 's/^/PostGIS kNN k=10, pgbench -c16 -j2: /'

# PostGIS's nearest provider of 10 query points, against a brute-force scan.
for n in $(seq 1 100 1000); do
  read -r lat lon <<<"$(sed -n "${n}p" "$WORK/points.csv" | tr ',' ' ')"
  pg=$(psql "$PG/$DBNAME" -tAc "SELECT id FROM p ORDER BY geog <-> (SELECT geog FROM q WHERE n = $n) LIMIT 1")
  echo "$n $lat $lon $pg"
done >"$WORK/peers-first.txt"
python3 - "$WORK/peers-first.txt" "$WORK/public-points.csv" <<'PY'
import csv, math, sys
# Brute force, by haversine, over the public points PostGIS was given (id, lon, lat).
pts = [(int(i), math.radians(float(a)), math.radians(float(o))) for i, o, a in csv.reader(open(sys.argv[2]))]
def nearest(lat, lon):
    la, lo = math.radians(lat), math.radians(lon)
    def hav(p):
        return math.sin((p[1] - la) / 2) ** 2 + math.cos(la) * math.cos(p[1]) * math.sin((p[2] - lo) / 2) ** 2
    return min(pts, key=hav)[0]
rows = [l.split() for l in open(sys.argv[1])]
same = sum(1 for _, lat, lon, pg in rows if int(pg) == nearest(float(lat), float(lon)))
print(f"PostGIS's nearest provider equals a brute-force scan's for {same} of {len(rows)} query points")
PY
