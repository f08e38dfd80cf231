#!/usr/bin/env bash
# HSDS 3.0 answers checked with the maintainers' own tools (PyPI, pinned): a service, a service
# list and a service_at_location from the debug binary, seeded with the bundled sample, must
# validate against the compiled schemas with additional properties forbidden everywhere.
#
# The schemas are Open Referral's (CC BY-SA) and are not in this repository, and the PyPI packages
# that look likely (hsds-validator, hsds-data-tool; checked 2026-12-07) do not ship HSDS 3.0's
# compiled schemas: they are read from
# BELLMAP_HSDS_SCHEMA_DIR, by default ../shared/data/hsds/schema beside the checkout. When they
# are absent this script fails: it never passes without having validated.
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SCHEMA_DIR="${BELLMAP_HSDS_SCHEMA_DIR:-../shared/data/hsds/schema}"
for f in service.json service_list.json service_at_location.json; do
  if [ ! -f "$SCHEMA_DIR/compiled/$f" ]; then
    echo "HSDS check FAILED: $SCHEMA_DIR/compiled/$f is missing." >&2
    echo "Set BELLMAP_HSDS_SCHEMA_DIR to a copy of Open Referral's specification/schema (HSDS 3.0)." >&2
    exit 1
  fi
done

VENV="$TARGET_DIR/hsds-venv"
if [ ! -x "$VENV/bin/check-jsonschema" ] || [ ! -x "$VENV/bin/compiletojsonschema" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "compiletojsonschema==0.5.0" "check-jsonschema==0.39.0"
fi

cargo build --locked --bin bellmap
WORK="$(mktemp -d)"
# Seeded from the bundled sample (data/providers.csv), as `bellmap serve` does on an empty database.
source tests/clients/serve.sh
start_bellmap "$WORK"
fetch() {
  if ! curl -fsS --max-time 30 "$BASE$1" -o "$2"; then
    echo "HSDS check FAILED: GET $1 did not answer 200; the server's log:" >&2
    tail -n 50 "$WORK/serve.log" >&2
    exit 1
  fi
}

# Which services to check: a confidential provider and one with weekday hours, found through
# the public API (ids are server-assigned; the service UUID is listed by /hsds/services).
fetch "/hsds/services?per_page=500&full=true" "$WORK/all1.json"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
page = json.load(open(f"{work}/all1.json"))
services = page["contents"]
def attr(s, code):
    return next((a.get("value") for a in s.get("attributes", []) if a["taxonomy_term"]["code"] == code), None)
conf = next(s for s in services if attr(s, "confidential") == "true")
hours = next(s for s in services if any("opens_at" in r and r.get("byday") != "MO,TU,WE,TH,FR,SA,SU" for r in s.get("schedules", [])))
partial = next((s for s in services if any("description" in r for r in s.get("schedules", []))), None)
ids = {"conf": conf["id"], "hours": hours["id"], "conf_sal": conf["service_at_locations"][0]["id"], "hours_sal": hours["service_at_locations"][0]["id"]}
if partial:
    ids["partial"] = partial["id"]
json.dump(ids, open(f"{work}/ids.json", "w"))
PY
id_of() { python3 -c "import json,sys; print(json.load(open('$WORK/ids.json'))['$1'])"; }
fetch "/hsds/services/$(id_of conf)" "$WORK/service_confidential.json"
fetch "/hsds/services/$(id_of hours)" "$WORK/service_hours.json"
if python3 -c "import json; assert 'partial' in json.load(open('$WORK/ids.json'))" 2>/dev/null; then
  fetch "/hsds/services/$(id_of partial)" "$WORK/service_partial_hours.json"
fi
fetch "/hsds/service_at_locations/$(id_of conf_sal)" "$WORK/sal_confidential.json"
fetch "/hsds/service_at_locations/$(id_of hours_sal)" "$WORK/sal_hours.json"
fetch "/hsds/services?per_page=100" "$WORK/list.json"
fetch "/hsds/services?per_page=20&full=true" "$WORK/list_full.json"
fetch "/hsds/service_at_locations?postcode=226001&proximity=50000&per_page=20" "$WORK/sal_list.json"
stop_bellmap

# The data package (`bellmap export --format hsds`, the public view): each file is one of HSDS's
# tabular resources by its path in compiled/tabular.json, its columns are that object's members,
# its required members are there, and datapackage.json lists every file.
DATABASE_URL="sqlite://$WORK/bellmap.db" "$TARGET_DIR/debug/bellmap" export --format hsds "$WORK/package"
python3 - "$WORK/package" "$SCHEMA_DIR/compiled/tabular.json" <<'PY'
import csv, json, os, sys
package, tabular = sys.argv[1], json.load(open(sys.argv[2]))["properties"]
by_path = {v["items"]["path"]: v["items"] for v in tabular.values()}
listed = {r["path"] for r in json.load(open(os.path.join(package, "datapackage.json")))["resources"]}
files = sorted(f for f in os.listdir(package) if f.endswith(".csv"))
assert set(files) == listed, f"datapackage.json lists {sorted(listed)}, the package has {files}"
for f in files:
    assert f in by_path, f"{f} is not an HSDS tabular file ({sorted(by_path)})"
    obj = by_path[f]
    header = next(csv.reader(open(os.path.join(package, f), encoding="utf-8")))
    unknown = [c for c in header if c not in obj["properties"]]
    missing = [c for c in obj.get("required", []) + obj.get("tabular_required", []) if c not in header]
    assert not unknown and not missing, f"{f}: unknown columns {unknown}, missing required {missing}"
print(f"-- the data package's {len(files)} files are HSDS tabular resources with HSDS columns")
PY

# Strict schemas: every object closed.
compile() {
  "$VENV/bin/compiletojsonschema" --set-additional-properties-false-everywhere "$SCHEMA_DIR/compiled/$1.json" >"$WORK/strict_$1.json"
}
compile service
compile service_list
compile service_at_location
compile service_at_location_list
# A page: HSDS's Page members, closed, with each content item checked against a strict schema.
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
for name, item in [("service_list_page", "service_list"), ("service_full_page", "service"), ("sal_list_page", "service_at_location_list")]:
    strict = json.load(open(f"{work}/strict_{item}.json"))
    strict.pop("$schema", None)
    page = {
        "type": "object",
        "additionalProperties": False,
        "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
        "properties": {
            "total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
            "page_number": {"type": "integer"}, "size": {"type": "integer"},
            "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"}, "empty": {"type": "boolean"},
            "contents": {"type": "array", "minItems": 1, "items": strict},
        },
    }
    json.dump(page, open(f"{work}/strict_{name}.json", "w"))
PY
check() {
  echo "-- $2 against $1"
  "$VENV/bin/check-jsonschema" --schemafile "$WORK/strict_$1.json" "$WORK/$2"
}
check service service_confidential.json
check service service_hours.json
if [ -f "$WORK/service_partial_hours.json" ]; then check service service_partial_hours.json; fi
check service_at_location sal_confidential.json
check service_at_location sal_hours.json
check service_list_page list.json
check service_full_page list_full.json
check sal_list_page sal_list.json
# The validator must refuse what HSDS forbids, or the checks above prove nothing: a service
# with an extra member, a nested location with one, and an id that is not a UUID.
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
s = json.load(open(f"{work}/service_hours.json"))
json.dump(dict(s, distance_m=12.5), open(f"{work}/bad_extra.json", "w"))
nested = json.loads(json.dumps(s))
nested["service_at_locations"][0]["location"]["exact_lat"] = 1.0
json.dump(nested, open(f"{work}/bad_nested.json", "w"))
json.dump(dict(s, id="123"), open(f"{work}/bad_id.json", "w"))
PY
for bad in bad_extra.json bad_nested.json bad_id.json; do
  if "$VENV/bin/check-jsonschema" --schemafile "$WORK/strict_service.json" "$WORK/$bad" >/dev/null 2>&1; then
    echo "HSDS check FAILED: the strict schema accepted $bad" >&2
    exit 1
  fi
  echo "-- $bad refused, as it must be"
done
echo "HSDS answers validate against the strict compiled HSDS 3.0 schemas"
