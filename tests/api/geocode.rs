//! Locating imports (issue 12 part 4): with `geocode=gazetteer` (HTTP) or `--geocode gazetteer`
//! (CLI) a row without coordinates is placed at its PIN code's centroid, else its district's
//! headquarters; such providers say `location_precision: "approximate"` and the report counts and
//! lists them. Expected points are read from data/places.csv here, by a plain scan of the file.

use crate::helpers::{TestApp, assert_problem, ok_json};
use bellmap::model::{LocationPrecision, Role};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;

const SEED: &str = "external_id,name,categories,lat,lon,country\nseed,Seed Centre,shelter,12.97,77.59,IN\n";
const HEADER: &str = "external_id,name,categories,lat,lon,country,postal_code,district,state,confidential";

/// One row of data/places.csv by column name.
type PlaceRow = HashMap<String, String>;

/// Every row of data/places.csv, read with the csv crate (not through bellmap's gazetteer).
fn places() -> Vec<PlaceRow> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/places.csv");
    let mut reader = csv::Reader::from_path(path).expect("data/places.csv");
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| headers.iter().map(str::to_string).zip(r.unwrap().iter().map(str::to_string)).collect())
        .collect()
}

fn point(p: &PlaceRow) -> (f64, f64) {
    (p["lat"].parse().unwrap(), p["lon"].parse().unwrap())
}

fn by_id<'a>(all: &'a [PlaceRow], id: &str) -> &'a PlaceRow {
    all.iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("{id} in places.csv"))
}

/// The district headquarters rows of `district` in `state`, compared ignoring case.
fn hqs<'a>(all: &'a [PlaceRow], district: &str, state: &str) -> Vec<&'a PlaceRow> {
    all.iter()
        .filter(|p| {
            p["kind"] == "district"
                && p["district"].to_lowercase() == district.to_lowercase()
                && p["state"].to_lowercase() == state.to_lowercase()
        })
        .collect()
}

struct Admin {
    app: TestApp,
    token: String,
}

impl Admin {
    async fn spawn() -> Admin {
        let app = TestApp::spawn(SEED).await;
        let token = app.db().create_token("geo-admin", Role::Admin, "test").unwrap();
        Admin { app, token }
    }

    async fn import(&self, query: &str, csv: &str) -> Value {
        let res = self
            .app
            .client
            .post(self.app.url(&format!("/v1/admin/imports?{query}")))
            .bearer_auth(&self.token)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .unwrap();
        ok_json(res, query).await
    }

    async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.app.client.get(self.app.url(path)).bearer_auth(&self.token).send().await.unwrap()
    }

    /// The stored record with this external id, if any.
    fn stored(&self, external_id: &str) -> Option<bellmap::model::Provider> {
        self.app.db().load_all().unwrap().into_iter().find(|p| p.data.external_id == external_id)
    }

    fn count(&self) -> usize {
        self.app.db().load_all().unwrap().len()
    }

    /// The public record of the provider named `name`, found by a nearest query at (lat, lon).
    async fn public_near(&self, lat: f64, lon: f64, name: &str) -> Value {
        let page = self.app.get_ok(&format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=20")).await;
        let items = page["items"].as_array().unwrap();
        items.iter().find(|i| i["name"] == name).cloned().unwrap_or_else(|| panic!("{name} in {page}"))
    }
}

/// `(line, external_id, via, place_id)` of every listed geocoded row.
fn listed(report: &Value) -> Vec<(u64, String, String, String)> {
    report["geocoded_rows"]
        .as_array()
        .unwrap_or_else(|| panic!("geocoded_rows in {report}"))
        .iter()
        .map(|g| {
            let s = |k: &str| g[k].as_str().unwrap().to_string();
            (g["line"].as_u64().unwrap(), s("external_id"), s("via"), s("place_id"))
        })
        .collect()
}

/// `(line, code)` of every entry of `key` (problems or warnings) with `code`.
fn coded(report: &Value, key: &str, code: &str) -> Vec<u64> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == code)
        .map(|p| p["line"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_pin_code_row_is_placed_at_the_pins_centroid_and_is_approximate() {
    let all = places();
    let pin = by_id(&all, "pin:226001");
    assert_eq!(pin["quality"], "", "226001 is a trusted centroid in places.csv");
    let (lat, lon) = point(pin);
    let a = Admin::spawn().await;
    let csv = format!(
        "{HEADER}\ng1,PIN Centre,shelter,,,IN,226001,,,false\nc1,Coords Centre,shelter,26.9,80.9,IN,,,,\n"
    );
    let report = a.import("geocode=gazetteer", &csv).await;
    assert_eq!((report["written"].as_bool(), report["geocoded"].as_u64()), (Some(true), Some(1)), "{report}");
    assert_eq!(listed(&report), vec![(2, "g1".into(), "pincode".into(), "pin:226001".into())]);
    assert_eq!(coded(&report, "warnings", "geocoded"), vec![2], "{report}");
    let w = report["warnings"].as_array().unwrap().iter().find(|w| w["code"] == "geocoded").unwrap();
    assert_eq!(w["value"], "pin:226001");
    assert!(w["message"].as_str().unwrap().contains("PIN 226001"), "{w}");

    let stored = a.stored("g1").unwrap();
    assert_eq!((stored.data.location.reveal().lat, stored.data.location.reveal().lon), (lat, lon));
    assert_eq!(stored.data.location_precision, LocationPrecision::Approximate);
    assert_eq!(a.stored("c1").unwrap().data.location_precision, LocationPrecision::Exact);

    // Public JSON and GeoJSON, and the admin record, all say approximate; a row with coordinates exact.
    let item = a.public_near(lat, lon, "PIN Centre").await;
    assert_eq!((item["lat"].as_f64(), item["lon"].as_f64()), (Some(lat), Some(lon)));
    assert_eq!(
        (item["location_precision"].as_str(), item["distance_m"].as_f64()),
        (Some("approximate"), Some(0.0))
    );
    assert_eq!(a.public_near(lat, lon, "Coords Centre").await["location_precision"], "exact");
    let geo = a.app.get_ok(&format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=1&format=geojson")).await;
    assert_eq!(geo["features"][0]["properties"]["location_precision"], "approximate", "{geo}");
    let one = a.app.get_ok(&format!("/v1/providers/{}", stored.id.0)).await;
    assert_eq!(one["location_precision"], "approximate");
    let admin =
        ok_json(a.admin_get(&format!("/v1/admin/providers/{}", stored.id.0)).await, "admin record").await;
    assert_eq!(
        (admin["location_precision"].as_str(), admin["lat"].as_f64()),
        (Some("approximate"), Some(lat))
    );

    // An admin who sets the real coordinates makes the location exact; one who only renames does not.
    let patch = |body: Value| {
        a.app
            .client
            .patch(a.app.url(&format!("/v1/admin/providers/{}", stored.id.0)))
            .bearer_auth(&a.token)
            .json(&body)
            .send()
    };
    let renamed =
        ok_json(patch(serde_json::json!({"name": "PIN Centre East"})).await.unwrap(), "rename").await;
    assert_eq!(renamed["location_precision"], "approximate");
    let moved = ok_json(patch(serde_json::json!({"lat": 26.86, "lon": 80.91})).await.unwrap(), "move").await;
    assert_eq!((moved["location_precision"].as_str(), moved["lat"].as_f64()), (Some("exact"), Some(26.86)));
}

#[tokio::test]
async fn district_rows_and_flagged_pins_go_to_the_district_headquarters() {
    let all = places();
    let lucknow = hqs(&all, "Lucknow", "Uttar Pradesh");
    assert_eq!(lucknow.len(), 1);
    // A PIN India Post puts outside its district, in a district with exactly one headquarters.
    let flagged = all
        .iter()
        .find(|p| {
            p["kind"] == "pincode"
                && p["quality"] == "outside_district"
                && hqs(&all, &p["district"], &p["state"]).len() == 1
        })
        .expect("a flagged PIN code");
    let flagged_hq = hqs(&all, &flagged["district"], &flagged["state"])[0];
    let a = Admin::spawn().await;
    // No lat/lon columns at all: with geocode= every row is placed; spelling is folded.
    let csv = format!(
        "external_id,name,categories,country,postal_code,district,state\n\
         d1,District Centre,shelter,IN,,lucknow,UTTAR PRADESH\n\
         f1,Flagged Centre,shelter,IN,{},\"{}\",{}\n",
        flagged["name"],
        flagged["district"].to_uppercase(),
        flagged["state"]
    );
    let report = a.import("geocode=gazetteer", &csv).await;
    assert_eq!(report["problems"], Value::Array(vec![]), "{report}");
    assert_eq!(
        listed(&report),
        vec![
            (2, "d1".into(), "district".into(), lucknow[0]["id"].clone()),
            (3, "f1".into(), "district".into(), flagged_hq["id"].clone()),
        ]
    );
    for (ext, hq) in [("d1", lucknow[0]), ("f1", flagged_hq)] {
        let l = *a.stored(ext).unwrap().data.location.reveal();
        assert_eq!((l.lat, l.lon), point(hq), "{ext}");
        assert_ne!((l.lat, l.lon), point(flagged), "{ext}: not the flagged centroid");
    }
}

#[tokio::test]
async fn rows_that_cannot_be_placed_are_problems_and_abort_writes_nothing() {
    let a = Admin::spawn().await;
    let before = a.count();
    let csv = format!(
        "{HEADER}\ng1,Good,shelter,,,IN,226001,,,\n\
         n1,Nowhere,shelter,,,IN,999999,Atlantis,Uttar Pradesh,\n\
         h1,Half,shelter,26.8,,IN,226001,,,\n\
         k1,Abroad,shelter,,,KE,00100,Nairobi,Nairobi,\n"
    );
    let report = a.import("geocode=gazetteer", &csv).await;
    assert_eq!(report["written"], false, "{report}");
    assert_eq!(coded(&report, "problems", "not_geocoded"), vec![3, 5], "{report}");
    let p = report["problems"].as_array().unwrap().iter().find(|p| p["line"] == 3).unwrap();
    let m = p["message"].as_str().unwrap();
    assert!(
        m.contains("999999") && m.contains("Atlantis") && m.contains("postal_code, district and state"),
        "{m}"
    );
    // Only one of lat and lon: the old problem, not a geocode.
    let half: Vec<&Value> =
        report["problems"].as_array().unwrap().iter().filter(|p| p["line"] == 4).collect();
    assert_eq!(half.len(), 1, "{report}");
    assert_eq!((half[0]["code"].as_str(), half[0]["column"].as_str()), (Some("required"), Some("lon")));
    assert_eq!(a.count(), before, "abort: nothing written");
    assert!(a.stored("g1").is_none());

    // Skip writes the placed row and leaves the three others out.
    let report = a.import("geocode=gazetteer&on_error=skip", &csv).await;
    assert_eq!((report["written"].as_bool(), report["skipped"].as_u64()), (Some(true), Some(3)), "{report}");
    assert_eq!(listed(&report), vec![(2, "g1".into(), "pincode".into(), "pin:226001".into())]);
    assert_eq!(a.count(), before + 1);
    for ext in ["n1", "h1", "k1"] {
        assert!(a.stored(ext).is_none(), "{ext}");
    }
}

#[tokio::test]
async fn without_geocode_a_row_without_coordinates_is_the_old_problem() {
    let a = Admin::spawn().await;
    let csv = format!("{HEADER}\ng1,Good,shelter,,,IN,226001,Lucknow,Uttar Pradesh,\n");
    let report = a.import("", &csv).await;
    assert_eq!(
        (report["written"].as_bool(), report["geocoded"].as_u64()),
        (Some(false), Some(0)),
        "{report}"
    );
    let got: Vec<(u64, &str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["column"].as_str().unwrap(), p["code"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![(2, "lat", "required"), (2, "lon", "required")]);
    assert_eq!(listed(&report), vec![]);
    let report = a.import("", "name,categories,country,postal_code\nA,shelter,IN,226001\n").await;
    assert_eq!(coded(&report, "problems", "missing_column"), vec![1, 1], "{report}");
    // An unknown geocoder is a 400 naming the parameter, before the body is read.
    let res = a
        .app
        .client
        .post(a.app.url("/v1/admin/imports?geocode=google"))
        .bearer_auth(&a.token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, Some("geocode")).await;
    assert!(a.stored("g1").is_none());
}

#[tokio::test]
async fn a_dry_run_reports_the_same_and_writes_nothing_over_http_and_the_cli() {
    let a = Admin::spawn().await;
    let csv = format!(
        "{HEADER}\ng1,PIN Centre,shelter,,,IN,226001,,,\nd1,District Centre,shelter,,,IN,,Lucknow,Uttar Pradesh,\n"
    );
    let before = a.app.db().load_all().unwrap();
    let dry = a.import("geocode=gazetteer&dry_run=true", &csv).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["written"].as_bool()), (Some(true), Some(false)), "{dry}");
    assert_eq!(a.app.db().load_all().unwrap(), before, "a dry run writes nothing");

    let path = a.app.dir.path().join("geo.csv");
    std::fs::write(&path, &csv).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bellmap"))
        .args(["import", path.to_str().unwrap(), "--geocode", "gazetteer", "--dry-run"])
        .env("DATABASE_URL", a.app.database_url())
        .env("BELLMAP_LOG", "warn")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a.app.db().load_all().unwrap(), before, "a CLI dry run writes nothing");

    let real = a.import("geocode=gazetteer", &csv).await;
    assert_eq!(real["written"], true);
    for r in [&dry, &cli] {
        for key in
            ["rows", "created", "updated", "unchanged", "invalid", "geocoded", "geocoded_rows", "warnings"]
        {
            assert_eq!(r[key], real[key], "{key}: {r} vs {real}");
        }
    }
    assert_eq!(real["geocoded"], 2);
    assert_eq!(real["created"], 2);
}

#[tokio::test]
async fn export_and_reimport_keep_approximate_and_revert_restores_the_exact_point() {
    let a = Admin::spawn().await;
    // First with coordinates (exact), then the same provider without them, geocoded.
    let exact = a.import("", &format!("{HEADER}\ng1,Moving Centre,shelter,26.9,80.9,IN,226001,,,\n")).await;
    assert_eq!(exact["created"], 1);
    let geo =
        a.import("geocode=gazetteer", &format!("{HEADER}\ng1,Moving Centre,shelter,,,IN,226001,,,\n")).await;
    assert_eq!((geo["updated"].as_u64(), geo["geocoded"].as_u64()), (Some(1), Some(1)), "{geo}");
    let placed = a.stored("g1").unwrap();
    assert_eq!(placed.data.location_precision, LocationPrecision::Approximate);

    let res = a.admin_get("/v1/admin/providers.csv").await;
    let exported = res.text().await.unwrap();
    let header: Vec<&str> = exported.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "location_precision").expect("exported column");
    let row = exported.lines().find(|l| l.starts_with("g1,")).unwrap();
    assert_eq!(row.split(',').nth(col), Some("approximate"), "{row}");
    // Re-importing the export, without geocode=, changes nothing.
    let again = a.import("", &exported).await;
    assert_eq!((again["unchanged"].as_u64(), again["updated"].as_u64()), (Some(2), Some(0)), "{again}");
    assert_eq!(a.stored("g1").unwrap(), placed);

    // Reverting the geocoding import puts the exact point back.
    let id = geo["import_id"].as_i64().unwrap();
    let res = a
        .app
        .client
        .post(a.app.url(&format!("/v1/admin/imports/{id}/revert")))
        .bearer_auth(&a.token)
        .send()
        .await;
    ok_json(res.unwrap(), "revert").await;
    let back = a.stored("g1").unwrap();
    assert_eq!(back.data.location_precision, LocationPrecision::Exact);
    assert_eq!((back.data.location.reveal().lat, back.data.location.reveal().lon), (26.9, 80.9));
    assert_eq!(a.public_near(26.9, 80.9, "Moving Centre").await["location_precision"], "exact");
}

#[tokio::test]
async fn a_confidential_provider_placed_at_a_centroid_is_still_shown_displaced() {
    let all = places();
    let (lat, lon) = point(by_id(&all, "pin:226001"));
    let a = Admin::spawn().await;
    let csv = format!("{HEADER}\ns1,Hidden Shelter,shelter,,,IN,226001,Lucknow,Uttar Pradesh,true\n");
    let report = a.import("geocode=gazetteer", &csv).await;
    assert_eq!(report["geocoded"], 1, "{report}");
    let item = a.public_near(lat, lon, "Hidden Shelter").await;
    let d = item["distance_m"].as_f64().unwrap();
    assert!(
        (bellmap::public_point::MIN_M..=bellmap::public_point::ADMIN_MAX_M).contains(&d),
        "public point {d} m from the centroid: {item}"
    );
    assert_eq!(item["location_precision"], "approximate");
    for secret in ["postal_code", "address", "exact_lat"] {
        assert!(item[secret].is_null(), "{secret} in {item}");
    }
    // Not at the centroid, checked by its own haversine too.
    let (plat, plon) = (item["lat"].as_f64().unwrap(), item["lon"].as_f64().unwrap());
    let (p1, p2) = (lat.to_radians(), plat.to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((plon - lon).to_radians() / 2.0).sin().powi(2);
    let metres = 2.0 * 6_371_008.8 * h.sqrt().asin();
    assert!(metres >= 1_990.0, "{metres} m");
    // The admin sees the centroid as the exact point.
    let stored = a.stored("s1").unwrap();
    assert!(stored.drawn_public.is_some(), "a public point was drawn");
    let admin = ok_json(a.admin_get(&format!("/v1/admin/providers/{}", stored.id.0)).await, "admin").await;
    assert_eq!((admin["lat"].as_f64(), admin["lon"].as_f64()), (Some(lat), Some(lon)));
}
