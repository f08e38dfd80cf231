//! The HSDS 3.0 read API: every field mapped from hand-written CSV input, paging, postcode and
//! proximity against a brute-force scan of the public points, filters against brute force, and
//! bad input as problems naming the field.

use crate::helpers::{CSV_HEADER, TestApp, assert_problem, ok_json};
use bellmap::model::{LonLat, Role};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// One CSV row from (column, value) pairs; other columns empty.
fn row(cells: &[(&str, &str)]) -> String {
    CSV_HEADER
        .split(',')
        .map(|col| {
            let v = cells.iter().find(|(c, _)| *c == col).map_or("", |(_, v)| v);
            format!("\"{}\"", v.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn csv(rows: &[String]) -> String {
    format!("{CSV_HEADER}\n{}\n", rows.join("\n"))
}

const OPEN: &[(&str, &str)] = &[
    ("external_id", "open-full"),
    ("name", "Sakhi Legal Aid Centre"),
    ("organization", "Sakhi  Trust"),
    ("description", "Legal advice and shelter referrals for women."),
    ("categories", "legal_aid;shelter"),
    ("lat", "26.8467"),
    ("lon", "80.9462"),
    ("confidential", "false"),
    ("address", "12 Station Road"),
    ("locality", "Hazratganj"),
    ("district", "Lucknow"),
    ("state", "Uttar Pradesh"),
    ("postal_code", "226001"),
    ("country", "IN"),
    ("phone", "0522 400 1000"),
    ("hotline", "181"),
    ("sms", "+91 98765 43210"),
    ("intake_phone", "0522 400 1999"),
    ("email", "help@sakhi.example.org"),
    ("website", "https://sakhi.example.org/"),
    ("languages", "hi;en"),
    ("hours", "Mo-Sa 10:00-18:00; Su off"),
    ("open_24_7", "false"),
    ("eligibility", "Women and their children"),
    ("cost", "Free"),
    ("wheelchair", "yes"),
    ("verified_on", "2026-03-04"),
    ("status", "active"),
];

const SECRET: &[(&str, &str)] = &[
    ("external_id", "secret-shelter"),
    ("name", "Asha Safe House"),
    ("organization", "Sakhi Trust"),
    ("description", "Emergency shelter."),
    ("categories", "shelter"),
    ("lat", "26.871234"),
    ("lon", "80.987654"),
    ("public_lat", "26.8"),
    ("public_lon", "80.9"),
    ("confidential", "true"),
    ("address", "7 Banyan Hidden Court"),
    ("locality", "Zzyzx Ward Bravo"),
    ("district", "Lucknow"),
    ("state", "Uttar Pradesh"),
    ("postal_code", "PIN-B8842Y"),
    ("country", "IN"),
    ("hotline", "1091"),
    ("intake_phone", "0522 398 4471"),
    ("languages", "hi"),
    ("hours", "24/7"),
    ("open_24_7", "true"),
    ("wheelchair", "unknown"),
    ("status", "active"),
];

const HOLIDAYS: &[(&str, &str)] = &[
    ("external_id", "ph-off"),
    ("name", "Nari Counselling Desk"),
    ("categories", "counselling"),
    ("lat", "26.85"),
    ("lon", "80.95"),
    ("country", "IN"),
    ("phone", "0522 222 3333"),
    ("hours", "Mo-Fr 09:00-17:00; PH off"),
    ("status", "active"),
];

async fn services_by_name(app: &TestApp) -> HashMap<String, Value> {
    let page = app.get_ok("/hsds/services?per_page=500&full=true").await;
    page["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// The attribute values of an object by (term code, term language).
fn attributes(v: &Value) -> BTreeSet<(String, String, String)> {
    v["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["taxonomy_term_id"], a["taxonomy_term"]["id"], "{a}");
            assert_eq!(a["link_id"], v["id"], "{a}");
            (
                a["taxonomy_term"]["code"].as_str().unwrap().to_string(),
                a["taxonomy_term"]["language"].as_str().unwrap().to_string(),
                a["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    items.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

#[tokio::test]
async fn a_service_maps_every_field_of_its_provider() {
    let app = TestApp::spawn(&csv(&[row(OPEN), row(SECRET), row(HOLIDAYS)])).await;
    let by_name = services_by_name(&app).await;
    let s = &by_name["Sakhi Legal Aid Centre"];
    let id = s["id"].as_str().unwrap();
    // The full answer by id is the list's full item.
    let one = app.get_ok(&format!("/hsds/services/{id}")).await;
    assert_eq!(&one, s);
    assert_eq!(s["description"], "Legal advice and shelter referrals for women.");
    assert_eq!(s["url"], "https://sakhi.example.org/");
    assert_eq!(s["email"], "help@sakhi.example.org");
    assert_eq!(s["status"], "active");
    assert_eq!(s["fees_description"], "Free");
    assert_eq!(s["eligibility_description"], "Women and their children");
    assert_eq!(s["assured_date"], "2026-03-04");
    assert!(s["last_modified"].as_str().unwrap().starts_with("20"), "{s}");
    // Both providers of "Sakhi Trust" (however spaced) are one organization.
    assert_eq!(s["organization"]["name"], "Sakhi  Trust");
    assert_eq!(s["organization_id"], s["organization"]["id"]);
    assert_eq!(s["organization_id"], by_name["Asha Safe House"]["organization_id"]);
    assert_ne!(s["organization_id"], by_name["Nari Counselling Desk"]["organization_id"]);
    assert_eq!(by_name["Nari Counselling Desk"]["organization"]["name"], "Nari Counselling Desk");
    // Phones with their types; the intake phone is never published.
    let phones: Vec<(String, String, String)> = s["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["service_id"], s["id"]);
            (
                p["number"].as_str().unwrap().into(),
                p["type"].as_str().unwrap().into(),
                p["description"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        phones,
        [
            ("0522 400 1000".to_string(), "voice".to_string(), "Main number".to_string()),
            ("181".into(), "voice".into(), "Hotline".into()),
            ("+91 98765 43210".into(), "text".into(), "SMS".into()),
        ]
    );
    assert!(!s.to_string().contains("1999"), "the intake phone stays out: {s}");
    let langs: Vec<&str> =
        s["languages"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert_eq!(langs, ["hi", "en"]);
    // Mo-Sa 10:00-18:00; Su off: one weekly row in India's offset.
    let schedules = s["schedules"].as_array().unwrap();
    assert_eq!(schedules.len(), 1, "{s}");
    let r = &schedules[0];
    assert_eq!(r["freq"], "WEEKLY");
    assert_eq!(r["byday"], "MO,TU,WE,TH,FR,SA");
    assert_eq!(r["opens_at"], "10:00+05:30");
    assert_eq!(r["closes_at"], "18:00+05:30");
    assert_eq!(r["timezone"], 5.5);
    assert!(r.get("description").is_none(), "fully expressed: {r}");
    // Categories in English and Hindi terms, Bellmap's own fields as attributes.
    assert_eq!(
        attributes(s),
        set(&[
            ("legal_aid", "en", "legal_aid"),
            ("shelter", "en", "shelter"),
            ("legal_aid", "hi", "legal_aid"),
            ("shelter", "hi", "shelter"),
            ("open_24_7", "en", "false"),
            ("wheelchair", "en", "yes"),
            ("verified_on", "en", "2026-03-04"),
            ("confidential", "en", "false"),
        ])
    );
    let hindi =
        s["attributes"].as_array().unwrap().iter().find(|a| a["taxonomy_term"]["language"] == "hi").unwrap();
    assert!(
        ["कानूनी सहायता", "आश्रय गृह"].contains(&hindi["taxonomy_term"]["name"].as_str().unwrap()),
        "{hindi}"
    );
    // The place: exact point and address.
    let sal = &s["service_at_locations"][0];
    assert_eq!(sal["service_id"], s["id"]);
    let loc = &sal["location"];
    assert_eq!(sal["location_id"], loc["id"]);
    assert_eq!(loc["location_type"], "physical");
    assert_eq!((loc["latitude"].as_f64(), loc["longitude"].as_f64()), (Some(26.8467), Some(80.9462)));
    let a = &loc["addresses"][0];
    assert_eq!(a["address_1"], "12 Station Road");
    assert_eq!(a["city"], "Hazratganj");
    assert_eq!(a["region"], "Lucknow");
    assert_eq!(a["state_province"], "Uttar Pradesh");
    assert_eq!(a["postal_code"], "226001");
    assert_eq!(a["country"], "IN");
    assert_eq!(a["address_type"], "physical");
    assert_eq!(loc["accessibility"][0]["description"], "Wheelchair access: yes");
    assert_eq!(attributes(loc), set(&[("location_precision", "en", "exact")]));

    // The confidential provider: public point, no address, says so; 24/7 as every day.
    let c = &by_name["Asha Safe House"];
    let text = c.to_string();
    for secret in ["Banyan", "Zzyzx", "PIN-B8842Y", "398 4471", "3984471", "26.871", "80.987"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let loc = &c["service_at_locations"][0]["location"];
    assert_eq!((loc["latitude"].as_f64(), loc["longitude"].as_f64()), (Some(26.8), Some(80.9)));
    assert_eq!(loc["addresses"], json!([]));
    assert!(loc["description"].as_str().unwrap().starts_with("Approximate location"), "{loc}");
    assert_eq!(attributes(loc), set(&[("location_precision", "en", "approximate")]));
    assert!(attributes(c).contains(&("confidential".into(), "en".into(), "true".into())));
    let r = &c["schedules"][0];
    assert_eq!(c["schedules"].as_array().unwrap().len(), 1);
    assert_eq!(r["byday"], "MO,TU,WE,TH,FR,SA,SU");
    assert_eq!((r["opens_at"].as_str(), r["closes_at"].as_str()), (Some("00:00"), Some("24:00")));
    assert_eq!(c["phones"].as_array().unwrap().len(), 1, "hotline only: {c}");

    // Hours rows cannot say "PH off": the rows are kept with the original text.
    let h = &by_name["Nari Counselling Desk"];
    let r = &h["schedules"][0];
    assert_eq!(h["schedules"].as_array().unwrap().len(), 1);
    assert_eq!(r["byday"], "MO,TU,WE,TH,FR");
    assert_eq!(r["opens_at"], "09:00+05:30");
    assert_eq!(r["description"], "Mo-Fr 09:00-17:00; PH off");

    // The list item has one-to-one members and the organization only.
    let list = app.get_ok("/hsds/services?per_page=10").await;
    for item in list["contents"].as_array().unwrap() {
        let keys: BTreeSet<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        for nested in ["phones", "schedules", "service_at_locations", "languages", "attributes"] {
            assert!(!keys.contains(nested), "{item}");
        }
        assert!(item["organization"]["id"].is_string());
    }

    // A service_at_location by id: the whole location and the service without its own list.
    let sal_id = c["service_at_locations"][0]["id"].as_str().unwrap();
    let sal = app.get_ok(&format!("/hsds/service_at_locations/{sal_id}")).await;
    assert_eq!(sal["location"], c["service_at_locations"][0]["location"]);
    assert_eq!(sal["service"]["id"], c["id"]);
    assert!(sal["service"].get("service_at_locations").is_none());
    assert_eq!(sal["service"]["phones"], c["phones"]);

    // Organizations: one per name, with their services.
    let orgs = app.get_ok("/hsds/organizations").await;
    let names: Vec<&str> =
        orgs["contents"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Nari Counselling Desk", "Sakhi  Trust"]);
    let org = app.get_ok(&format!("/hsds/organizations/{}", s["organization_id"].as_str().unwrap())).await;
    let mut names: Vec<&str> =
        org["services"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Asha Safe House", "Sakhi Legal Aid Centre"]);

    // The same ids from a second instance on the same database.
    let other = app.spawn_on_same_database().await;
    let again = services_by_name(&other).await;
    for (name, s) in &by_name {
        assert_eq!(again[name]["id"], s["id"]);
        assert_eq!(again[name]["service_at_locations"], s["service_at_locations"]);
    }
}

#[tokio::test]
async fn taxonomy_terms_are_the_categories_in_english_and_hindi() {
    let app = TestApp::spawn(&csv(&[row(OPEN)])).await;
    let categories = app.get_ok("/v1/categories").await;
    let terms = app.get_ok("/hsds/taxonomy_terms?per_page=500").await;
    let terms = terms["contents"].as_array().unwrap();
    let taxonomies = app.get_ok("/hsds/taxonomies").await;
    let taxonomy_ids: BTreeSet<&str> =
        taxonomies["contents"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(taxonomy_ids.len(), 3);
    for c in categories["items"].as_array().unwrap() {
        for lang in ["en", "hi"] {
            let term = terms
                .iter()
                .find(|t| t["code"] == c["slug"] && t["language"] == lang)
                .unwrap_or_else(|| panic!("no {lang} term for {c}"));
            assert_eq!(term["name"], c["label"][lang], "{term}");
            assert!(taxonomy_ids.contains(term["taxonomy_id"].as_str().unwrap()));
            let one = app.get_ok(&format!("/hsds/taxonomy_terms/{}", term["id"].as_str().unwrap())).await;
            assert_eq!(&one, term);
        }
    }
    let ids: BTreeSet<&str> = terms.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), terms.len(), "term ids are distinct");
    let meta = app.get_ok("/hsds/").await;
    assert_eq!(meta["version"], "3.0");
    assert!(meta["openapi_url"].as_str().unwrap().ends_with("/openapi.json"));
}

/// `n` providers around Lucknow, some confidential, several organizations and categories.
fn many(n: usize) -> String {
    let cats = ["shelter", "helpline;legal_aid", "counselling", "medical;shelter"];
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let lat = format!("{:.6}", 26.70 + (i * 37 % 101) as f64 * 0.004);
            let lon = format!("{:.6}", 80.80 + (i * 53 % 97) as f64 * 0.004);
            let confidential = i % 5 == 0;
            let name = format!("Provider {i:03} {}", if i % 3 == 0 { "Clinic" } else { "Centre" });
            let org = format!("Org {}", i % 4);
            row(&[
                ("external_id", &format!("p{i}")),
                ("name", &name),
                ("organization", &org),
                ("description", if i % 2 == 0 { "Walk-in support" } else { "By appointment" }),
                ("categories", cats[i % cats.len()]),
                ("lat", &lat),
                ("lon", &lon),
                ("confidential", &confidential.to_string()),
                ("address", "1 Some Road"),
                ("country", "IN"),
                ("phone", "0522 400 1000"),
                ("hours", "Mo-Fr 09:00-17:00"),
                ("status", "active"),
            ])
        })
        .collect();
    csv(&rows)
}

/// Every public provider: id → (name, served point, categories, organization, description, updated_at).
async fn public_providers(app: &TestApp) -> HashMap<i64, Value> {
    let body = app.get_ok("/v1/providers?bbox=-180,-90,180,90&limit=500").await;
    assert!(body["next_cursor"].is_null());
    body["items"].as_array().unwrap().iter().map(|p| (p["id"].as_i64().unwrap(), p.clone())).collect()
}

#[tokio::test]
async fn paging_visits_every_service_exactly_once() {
    let app = TestApp::spawn(&many(37)).await;
    let providers = public_providers(&app).await;
    let mut seen = Vec::new();
    for page in 1..=9 {
        let body = app.get_ok(&format!("/hsds/services?per_page=5&page={page}")).await;
        assert_eq!(body["total_items"], 37);
        assert_eq!(body["total_pages"], 8);
        assert_eq!(body["page_number"], page);
        assert_eq!(body["first_page"], page == 1);
        assert_eq!(body["last_page"], page >= 8);
        assert_eq!(body["empty"], false);
        let contents = body["contents"].as_array().unwrap();
        assert_eq!(body["size"], contents.len());
        assert_eq!(
            contents.len(),
            if page <= 7 {
                5
            } else if page == 8 {
                2
            } else {
                0
            }
        );
        seen.extend(contents.iter().map(|s| s["name"].as_str().unwrap().to_string()));
    }
    let mut want: Vec<String> = providers.values().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    want.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, want, "every service once");
    // The same for service_at_locations.
    let mut sal_seen = BTreeSet::new();
    for page in 1..=4 {
        let body = app.get_ok(&format!("/hsds/service_at_locations?per_page=10&page={page}")).await;
        for s in body["contents"].as_array().unwrap() {
            assert!(sal_seen.insert(s["id"].as_str().unwrap().to_string()), "twice: {s}");
        }
    }
    assert_eq!(sal_seen.len(), 37);
}

/// The centroid of a PIN code, from the public places route.
async fn pin_centroid(app: &TestApp, pin: &str) -> LonLat {
    let body = app.get_ok(&format!("/v1/places?q={pin}")).await;
    let place = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "pincode" && p["name"] == pin)
        .unwrap_or_else(|| panic!("{pin} in {body}"))
        .clone();
    LonLat { lon: place["lon"].as_f64().unwrap(), lat: place["lat"].as_f64().unwrap() }
}

#[tokio::test]
async fn proximity_is_nearest_first_within_the_radius_by_public_point() {
    let app = TestApp::spawn(&many(60)).await;
    let providers = public_providers(&app).await;
    let origin = pin_centroid(&app, "226001").await;
    // Confidential public points are drawn at random: some radius in between must tell.
    let mut telling = 0;
    for proximity in [3_000.0, 8_000.0, 12_000.0, 20_000.0, 40_000.0] {
        let path = format!("/hsds/service_at_locations?postcode=226001&proximity={proximity}&per_page=500");
        let res = app.get(&path).await;
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body = ok_json(res, &path).await;
        let got: Vec<String> = body["contents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service"]["name"].as_str().unwrap().to_string())
            .collect();
        let mut want: Vec<(f64, i64, String)> = providers
            .iter()
            .map(|(id, p)| {
                let point = LonLat { lon: p["lon"].as_f64().unwrap(), lat: p["lat"].as_f64().unwrap() };
                (origin.distance_m(point), *id, p["name"].as_str().unwrap().to_string())
            })
            .filter(|(d, _, _)| *d <= proximity)
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let want: Vec<String> = want.into_iter().map(|(_, _, n)| n).collect();
        telling += usize::from(!want.is_empty() && want.len() < providers.len());
        assert_eq!(got, want, "proximity {proximity}");
        // Each location is the served public point.
        for s in body["contents"].as_array().unwrap() {
            let name = s["service"]["name"].as_str().unwrap();
            let p = providers.values().find(|p| p["name"] == name).unwrap();
            assert_eq!(s["location"]["latitude"], p["lat"]);
            assert_eq!(s["location"]["longitude"], p["lon"]);
        }
    }
    assert!(telling >= 2, "radii that keep some providers and leave out others");
    // Without proximity: every provider within the largest radius, nearest first.
    let body = app.get_ok("/hsds/service_at_locations?postcode=226001&per_page=500").await;
    assert_eq!(body["total_items"], 60);
}

#[tokio::test]
async fn filters_agree_with_a_brute_force_scan() {
    let app = TestApp::spawn(&many(40)).await;
    let token = app.db().create_token("hsds-admin", Role::Admin, "test").unwrap();
    let providers = public_providers(&app).await;
    let names = |body: &Value| -> BTreeSet<String> {
        body["contents"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
    };
    let want = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        providers.values().filter(|p| keep(p)).map(|p| p["name"].as_str().unwrap().to_string()).collect()
    };
    // search: every word in the name, organization or description, any case.
    for q in ["clinic", "CLINIC walk-in", "org 2", "appointment centre", "nothing-like-this"] {
        let body = app.get_ok(&format!("/hsds/services?per_page=500&search={}", q.replace(' ', "+"))).await;
        let words: Vec<String> =
            q.to_lowercase().replace('-', " ").split_whitespace().map(String::from).collect();
        let expected = want(&|p: &Value| {
            let text = format!("{} {} {}", p["name"], p["organization"], p["description"])
                .to_lowercase()
                .replace('-', " ");
            words.iter().all(|w| text.contains(w.as_str()))
        });
        assert_eq!(names(&body), expected, "search={q}");
    }
    // taxonomy_term_id: English and Hindi terms of a category alike.
    let terms = app.get_ok("/hsds/taxonomy_terms?per_page=500").await;
    for t in terms["contents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["code"] == "shelter" || t["code"] == "legal_aid")
    {
        let body = app
            .get_ok(&format!("/hsds/services?per_page=500&taxonomy_term_id={}", t["id"].as_str().unwrap()))
            .await;
        let code = t["code"].clone();
        assert_eq!(
            names(&body),
            want(&|p: &Value| p["categories"].as_array().unwrap().contains(&code)),
            "{t}"
        );
    }
    // organization_id.
    let all = app.get_ok("/hsds/services?per_page=500").await;
    let org_of: HashMap<String, String> = all["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["name"].as_str().unwrap().to_string(), s["organization_id"].as_str().unwrap().to_string())
        })
        .collect();
    let some_org = org_of["Provider 002 Centre"].clone();
    let body = app.get_ok(&format!("/hsds/services?per_page=500&organization_id={some_org}")).await;
    assert_eq!(names(&body), want(&|p: &Value| p["organization"] == "Org 2"));
    assert_eq!(names(&body).len(), 10);
    // modified_after: an edit makes one provider newer than the rest.
    let edited =
        providers.values().find(|p| p["name"] == "Provider 007 Centre").unwrap()["id"].as_i64().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = app
        .client
        .patch(app.url(&format!("/v1/admin/providers/{edited}")))
        .bearer_auth(&token)
        .json(&json!({"description": "Edited walk-in support"}))
        .send()
        .await
        .unwrap();
    ok_json(res, "patch").await;
    let mut after = None;
    for _ in 0..100 {
        let p = app.get_ok(&format!("/v1/providers/{edited}")).await;
        if p["description"] == "Edited walk-in support" {
            after = Some(p["updated_at"].as_str().unwrap().to_string());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let after = after.expect("the edit is published");
    let providers = public_providers(&app).await;
    let at =
        |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    for t in [after.clone(), "2000-01-01T00:00:00Z".to_string()] {
        let since = at(&t).replace_nanosecond(0).unwrap();
        let body = app
            .get_ok(&format!("/hsds/services?per_page=500&modified_after={}", t.replace('+', "%2B")))
            .await;
        let expected: BTreeSet<String> = providers
            .values()
            .filter(|p| at(p["updated_at"].as_str().unwrap()) >= since)
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names(&body), expected, "modified_after={t}");
    }
    let body = app.get_ok(&format!("/hsds/services?modified_after={}", after.replace('+', "%2B"))).await;
    assert_eq!(body["total_items"], 1, "{body}");
}

#[tokio::test]
async fn bad_parameters_are_problems_naming_the_field() {
    let app = TestApp::spawn(&many(3)).await;
    let nil = "00000000-0000-0000-0000-000000000000";
    let cases: &[(&str, &str)] = &[
        ("/hsds/services?per_page=0", "per_page"),
        ("/hsds/services?per_page=501", "per_page"),
        ("/hsds/services?page=0", "page"),
        ("/hsds/services?page=two", "page"),
        ("/hsds/services?search=", "search"),
        ("/hsds/services?search=%20%20", "search"),
        ("/hsds/services?taxonomy_term_id=shelter", "taxonomy_term_id"),
        (&format!("/hsds/services?taxonomy_term_id={nil}"), "taxonomy_term_id"),
        (&format!("/hsds/services?taxonomy_id={nil}"), "taxonomy_id"),
        ("/hsds/services?organization_id=org-2", "organization_id"),
        ("/hsds/services?modified_after=yesterday", "modified_after"),
        ("/hsds/services?modified_after=2026-01-01", "modified_after"),
        ("/hsds/services?full=perhaps", "full"),
        ("/hsds/services?format=ndjson", "format"),
        ("/hsds/services?minimal=true", "minimal"),
        ("/hsds/services?category=shelter", "category"),
        ("/hsds/services?page=1&page=2", "page"),
        ("/hsds/service_at_locations?postcode=ABC", "postcode"),
        ("/hsds/service_at_locations?postcode=000000", "postcode"),
        ("/hsds/service_at_locations?postcode=226001&proximity=-5", "proximity"),
        ("/hsds/service_at_locations?postcode=226001&proximity=500001", "proximity"),
        ("/hsds/service_at_locations?postcode=226001&proximity=far", "proximity"),
        ("/hsds/service_at_locations?proximity=1000", "proximity"),
        ("/hsds/service_at_locations?lat=26.8&lon=80.9", "lat"),
        ("/hsds/organizations?full_service=sometimes", "full_service"),
        ("/hsds/organizations?per_page=1000", "per_page"),
        ("/hsds/taxonomy_terms?taxonomy_id=x", "taxonomy_id"),
        ("/hsds/taxonomy_terms?parent_id=x", "parent_id"),
        ("/hsds/taxonomies?page=-1", "page"),
        ("/hsds/?x=1", "x"),
        ("/hsds/services/123", "id"),
        ("/hsds/service_at_locations/not-a-uuid", "id"),
        ("/hsds/organizations/zz", "id"),
        ("/hsds/taxonomies/1", "id"),
        ("/hsds/taxonomy_terms/shelter", "id"),
    ];
    for (path, field) in cases {
        let res = app.get(path).await;
        let problem = assert_problem(res, 400, Some(field)).await;
        assert!(problem.to_string().len() < 4000, "{path}: {problem}");
    }
    for kind in ["services", "service_at_locations", "organizations", "taxonomies", "taxonomy_terms"] {
        assert_problem(app.get(&format!("/hsds/{kind}/{nil}")).await, 404, None).await;
    }
    // A location id is not a service id.
    let one = app.get_ok("/hsds/services?full=true").await;
    let location_id =
        one["contents"][0]["service_at_locations"][0]["location_id"].as_str().unwrap().to_string();
    assert_problem(app.get(&format!("/hsds/services/{location_id}")).await, 404, None).await;
    assert_problem(app.post_json("/hsds/services", &json!({})).await, 405, None).await;
}

/// Runs a `bellmap` command against `url` off the async workers.
async fn run(command: bellmap::config::Command, url: &str) {
    let url = url.to_string();
    let what = format!("{command:?}");
    let code =
        tokio::task::spawn_blocking(move || bellmap::cli::run(command, &url).expect("the command runs"))
            .await
            .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{what}");
}

fn export_hsds(dir: &std::path::Path, include_confidential: bool) -> bellmap::config::Command {
    bellmap::config::Command::Export {
        format: bellmap::config::FormatArg::Hsds,
        output: None,
        include_confidential,
        dir: Some(dir.to_path_buf()),
    }
}

fn export_csv(file: &std::path::Path) -> bellmap::config::Command {
    bellmap::config::Command::Export {
        format: bellmap::config::FormatArg::Csv,
        output: Some(file.to_path_buf()),
        include_confidential: false,
        dir: None,
    }
}

fn import(path: &std::path::Path) -> bellmap::config::Command {
    bellmap::config::Command::Import {
        file: path.to_path_buf(),
        format: None,
        dry_run: false,
        fix: vec![],
        geocode: None,
    }
}

/// The bundled sample and the hand-written providers, plus an inactive one with awkward text.
fn package_seed() -> String {
    let mut seed = String::from_utf8(bellmap::app::SAMPLE_CSV.to_vec()).unwrap();
    let inactive = row(&[
        ("external_id", "gone"),
        ("name", "Closed \"Old\" Centre, =HYPERLINK"),
        ("organization", "+Org, with comma"),
        ("description", "Line one\nline two"),
        ("categories", "other;police"),
        ("lat", "-33.8688"),
        ("lon", "151.2093"),
        ("country", "AU"),
        ("phone", "+61 2 9000 0000"),
        ("languages", "en;zh"),
        ("hours", "Mo 09:00-12:00; Tu off"),
        ("status", "inactive"),
    ]);
    for r in [row(OPEN), row(SECRET), row(HOLIDAYS), inactive] {
        seed.push_str(&r);
        seed.push('\n');
    }
    seed
}

/// An admin's package (`--include-confidential`) imported into an empty database gives back every
/// record: the two databases' CSV exports are the same bytes.
#[tokio::test]
async fn an_admin_hsds_package_imports_back_unchanged() {
    let app = TestApp::spawn(&package_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("package");
    run(export_hsds(&package, true), &app.database_url()).await;
    for file in ["datapackage.json", "services.csv", "organizations.csv", "locations.csv", "phones.csv"] {
        assert!(package.join(file).is_file(), "{file}");
    }
    let fresh = crate::helpers::TestDatabase::new();
    run(import(&package), fresh.url()).await;
    let (before, after) = (dir.path().join("before.csv"), dir.path().join("after.csv"));
    run(export_csv(&before), &app.database_url()).await;
    run(export_csv(&after), fresh.url()).await;
    let (before, after) = (std::fs::read_to_string(before).unwrap(), std::fs::read_to_string(after).unwrap());
    assert_eq!(csv::Reader::from_reader(before.as_bytes()).records().count(), 2_500 + 4);
    if before != after {
        for (a, b) in before.lines().zip(after.lines()) {
            assert_eq!(a, b, "the first record that differs");
        }
    }
    assert_eq!(before, after);
}

/// The default package is the public view; it imports too, and a bad value in it is a problem
/// naming the package's file, line and column.
#[tokio::test]
async fn a_public_hsds_package_holds_the_public_view_and_problems_name_its_cells() {
    let app = TestApp::spawn(&package_seed()).await;
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("public");
    run(export_hsds(&package, false), &app.database_url()).await;
    let text = |f: &str| std::fs::read_to_string(package.join(f)).unwrap();
    let mut all = String::new();
    for entry in std::fs::read_dir(&package).unwrap() {
        all.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for secret in [
        "Banyan",
        "Zzyzx",
        "PIN-B8842Y",
        "398 4471",
        "26.871234",
        "80.987654",
        "400 1999",
        "open-full",
        "Closed",
    ] {
        assert!(!all.contains(secret), "the public package holds '{secret}'");
    }
    // Every active provider, the confidential one at its public point.
    let seed = package_seed();
    let mut reader = csv::Reader::from_reader(seed.as_bytes());
    let status = reader.headers().unwrap().iter().position(|h| h == "status").unwrap();
    let active = reader.records().filter(|r| &r.as_ref().unwrap()[status] == "active").count();
    let services = text("services.csv");
    assert_eq!(
        csv::Reader::from_reader(services.as_bytes()).records().count(),
        active,
        "active providers only"
    );
    let locations = text("locations.csv");
    let asha = locations.lines().find(|l| l.contains("Asha Safe House")).unwrap();
    assert!(asha.ends_with(",26.8,80.9"), "{asha}");
    let package_json: Value = serde_json::from_str(&text("datapackage.json")).unwrap();
    assert_eq!(package_json["profile"], "tabular-data-package");
    let paths: BTreeSet<&str> =
        package_json["resources"].as_array().unwrap().iter().map(|r| r["path"].as_str().unwrap()).collect();
    for entry in std::fs::read_dir(&package).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(name == "datapackage.json" || paths.contains(name.as_str()), "{name} is described");
    }
    // It imports into an empty database.
    let fresh = crate::helpers::TestDatabase::new();
    run(import(&package), fresh.url()).await;
    assert_eq!(fresh.open().load_all().unwrap().len(), active);

    // Bad cells name the package's file, line and column.
    let services = services.replace("help@sakhi.example.org", "not-an-email");
    std::fs::write(package.join("services.csv"), &services).unwrap();
    let phones = text("phones.csv").replace("0522 400 1000", "1.80043E+11");
    std::fs::write(package.join("phones.csv"), &phones).unwrap();
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1;
    let read = bellmap::ingest::hsds::read_package(&package).unwrap_or_else(|p| panic!("{p:?}"));
    let report =
        app.service.import(read.csv.clone(), &bellmap::service::ImportOptions::cli("package", true)).unwrap();
    let problems: Vec<_> = report.problems.into_iter().map(|p| read.locate(p)).collect();
    let named = |column: &str, line: u64| {
        problems.iter().any(|p| p.column.as_deref() == Some(column) && p.line == line)
    };
    assert!(named("services.csv:email", line_of(&services, "not-an-email")), "{problems:?}");
    assert!(named("phones.csv:number", line_of(&phones, "1.80043E+11")), "{problems:?}");
    assert_eq!(problems.len(), 2, "{problems:?}");
    // A service without a location is the package's own problem.
    std::fs::write(package.join("service_at_location.csv"), "id,service_id,location_id\n").unwrap();
    let problems = bellmap::ingest::hsds::read_package(&package).err().expect("refused");
    assert!(
        problems.iter().all(|p| p.column.as_deref() == Some("services.csv:id") && p.line >= 2),
        "{problems:?}"
    );
}
