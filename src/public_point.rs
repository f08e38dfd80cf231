//! Where a confidential provider is shown: the rule that draws its public point (DESIGN §6).
//!
//! A confidential shelter's exact point never leaves the server; the public sees a point drawn once
//! with a cryptographic RNG and stored with the record, so no number of queries recovers more than
//! that point. The rule, for an exact point `e` in country `c`:
//!
//! - **Distance.** At least [`MIN_M`] (2 km) from `e`, or [`RURAL_MIN_M`] (5 km) where no town of
//!   50,000 people or more (`data/towns_50k.csv`) lies within [`TOWN_RADIUS_M`] (10 km): in the
//!   countryside 2 km holds few houses, so it would still point at the door. At most [`MAX_M`]
//!   (10 km), so the shelter is still shown near the people it serves.
//! - **Sampling.** Uniform by area in that annulus: distance `sqrt(U·(max²−min²)+min²)`, bearing
//!   uniform, then the great-circle destination, rounded to 5 decimals (about 1 m; the distance is
//!   drawn 1 m inside the annulus so rounding never leaves it). Uniform by area means the exact
//!   point is no likelier at any one place in the ring than another, and it is not at the centre
//!   of anything (a grid cell centre published a shelter 449 m from its door).
//! - **Place.** A candidate is kept only if it is on land, inside `c`'s outline and, in India,
//!   inside the exact point's district, so the public point does not fall in the sea or tell a
//!   wrong district, state or country (whose helplines and police differ). India's land is its
//!   outline or any district's ([`Geography::in_country`]): the district outlines are finer.
//!
//! Each step below tries up to [`TRIES_PER_STEP`] candidates; the first one kept is the answer
//! and [`Drawn::rule`] names the step, for the audit log. A step fails only where little of its
//! annulus qualifies (a district smaller than the annulus, a coast, an island). The relaxation
//! order gives up what matters least first, and **never the minimum distance** (2 km, nor the
//! 5 km rural minimum, which the last step keeps too):
//!
//! 1. `"strict"`: min..10 km, land, same country, same district (India).
//! 2. `"same state"`: min..10 km, land, same country, same state or union territory (India).
//! 3. `"same country"`: min..10 km, land, same country (India; elsewhere this is step 1).
//! 4. `"same country, 25 km"`, then 5. `"same country, 50 km"`: the outer radius widened, so
//!    a coast or small island can reach land of the same country.
//! 6. `"anywhere, 50 km"`: any point min..50 km, at sea if need be (a tiny island far from the
//!    rest of its country). Always returns.
//!
//! Outlines that cannot apply are skipped, never guessed: outside India, or where the exact point
//! lies in no district (simplified coasts put some beaches in the sea), steps 1–3 are one step
//! (land and country only). A country code without an outline in the bundled data (a few small
//! territories) gets "on land" (inside any country) instead of "same country", and its widened
//! steps are named `"on land, 25 km"` and `"on land, 50 km"`.
//!
//! An admin may choose the public point instead ([`check_admin`]): at least the minimum distance,
//! at most [`ADMIN_MAX_M`] (50 km), and not in another country: a point inside a country's outline
//! must be in the provider's (its `country`, or the country its exact point lies in), within
//! [`ADMIN_COAST_M`]. A point offshore is allowed: it reveals nothing, and a coastal shelter's
//! admin may want it (the bundled sample has one off Durban).

use crate::geography::{self, DistrictId, Geography, destination};
use crate::model::LonLat;
use rand::{CryptoRng, Rng};

/// The minimum distance (metres) between an exact point and its public point, everywhere.
pub const MIN_M: f64 = 2_000.0;
/// The minimum distance (metres) where no town of 50,000+ lies within [`TOWN_RADIUS_M`].
pub const RURAL_MIN_M: f64 = 5_000.0;
/// How near (metres) a town of 50,000+ must be for the exact point to count as urban.
pub const TOWN_RADIUS_M: f64 = 10_000.0;
/// The farthest (metres) a drawn public point is placed while the strict rule holds.
pub const MAX_M: f64 = 10_000.0;
/// The farthest (metres) any public point may be: an admin's choice, or a relaxed draw.
pub const ADMIN_MAX_M: f64 = 50_000.0;
/// Candidates tried per step of the relaxation order before the next step.
pub const TRIES_PER_STEP: usize = 200;
/// How far (metres) outside its country's simplified outline an admin's point may lie (the
/// outlines are simplified to about 1 km, so a real beach can be up to about that far outside).
pub const ADMIN_COAST_M: f64 = 3_000.0;

/// Distances are drawn this far (metres) inside the annulus, so rounding to 5 decimals (at most
/// about 0.8 m) cannot leave it.
const ROUNDING_MARGIN_M: f64 = 1.0;

/// A drawn public point and the step of the relaxation order that produced it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawn {
    pub point: LonLat,
    /// "strict", "same state", "same country", "same country, 25 km", "same country, 50 km",
    /// "anywhere, 50 km" (or "on land…" for a country without an outline); see the module doc.
    pub rule: &'static str,
}

/// The minimum distance (metres) for a public point of `exact`: [`MIN_M`], or [`RURAL_MIN_M`]
/// where no town of 50,000+ lies within [`TOWN_RADIUS_M`].
pub fn min_distance_m(exact: LonLat) -> f64 {
    if geography::bundled().large_town_within(exact, TOWN_RADIUS_M) { MIN_M } else { RURAL_MIN_M }
}

/// Where a candidate must lie in one step.
#[derive(Clone, Copy)]
enum Area<'a> {
    District(DistrictId),
    State(&'a str),
    /// Land: inside the country's outline when it has one, else inside any country's.
    Land,
}

struct Step<'a> {
    rule: &'static str,
    max_m: f64,
    area: Area<'a>,
}

/// The steps of the relaxation order that apply to `exact` in `country` (module doc), but the
/// last, which keeps any candidate.
fn steps<'g>(geo: &'g Geography, exact: LonLat, country: &str) -> Vec<Step<'g>> {
    let outlined = geo.has_country(country);
    let district = if country == "IN" { geo.india_district_at(exact) } else { None };
    let mut steps = Vec::with_capacity(6);
    if let Some(d) = district {
        steps.push(Step { rule: "strict", max_m: MAX_M, area: Area::District(d) });
        steps.push(Step { rule: "same state", max_m: MAX_M, area: Area::State(geo.district_state(d)) });
        steps.push(Step { rule: "same country", max_m: MAX_M, area: Area::Land });
    } else {
        steps.push(Step { rule: "strict", max_m: MAX_M, area: Area::Land });
    }
    let (wide, widest) = if outlined {
        ("same country, 25 km", "same country, 50 km")
    } else {
        ("on land, 25 km", "on land, 50 km")
    };
    steps.push(Step { rule: wide, max_m: 25_000.0, area: Area::Land });
    steps.push(Step { rule: widest, max_m: ADMIN_MAX_M, area: Area::Land });
    steps
}

/// Draws the public point of a confidential provider at `exact` in `country` (ISO 3166-1 alpha-2)
/// by the rule and relaxation order of the module doc. `rng` must be cryptographic (e.g.
/// `rand::rng()` or `ChaCha20Rng`), so the point says nothing about the exact one beyond the rule.
/// Always returns a point at least [`min_distance_m`] and at most [`ADMIN_MAX_M`] from `exact`.
pub fn draw<R: CryptoRng + Rng + ?Sized>(exact: LonLat, country: &str, rng: &mut R) -> Drawn {
    let geo = geography::bundled();
    let min = min_distance_m(exact);
    let on_land = |p: LonLat| {
        if geo.has_country(country) { geo.in_country(country, p) } else { geo.country_at(p).is_some() }
    };
    for step in steps(geo, exact, country) {
        for _ in 0..TRIES_PER_STEP {
            let p = candidate(exact, min, step.max_m, rng);
            let kept = match step.area {
                Area::District(d) => geo.in_district(d, p) && on_land(p),
                Area::State(s) => geo.in_india_state(s, p) && on_land(p),
                Area::Land => on_land(p),
            };
            if kept {
                return Drawn { point: p, rule: step.rule };
            }
        }
    }
    Drawn { point: candidate(exact, min, ADMIN_MAX_M, rng), rule: "anywhere, 50 km" }
}

/// One point uniform by area in the annulus min..max metres around `exact`, rounded to 5 decimals.
fn candidate<R: Rng + ?Sized>(exact: LonLat, min: f64, max: f64, rng: &mut R) -> LonLat {
    let (lo, hi) = (min + ROUNDING_MARGIN_M, max - ROUNDING_MARGIN_M);
    let u: f64 = rng.random();
    let distance = (u * (hi * hi - lo * lo) + lo * lo).sqrt();
    let bearing = rng.random_range(0.0..360.0);
    let (lon, lat) = destination(exact, distance, bearing);
    let round = |v: f64| (v * 1e5).round() / 1e5;
    LonLat { lon: round(lon), lat: round(lat) }
}

/// Checks an admin-chosen public point for a confidential provider at `exact` in `country`: at
/// least [`min_distance_m`] away, at most [`ADMIN_MAX_M`], and inside the country (or within
/// [`ADMIN_COAST_M`] of its simplified outline; no check for a country without an outline). The
/// error is a sentence for the admin, to be attached to `public_lat`/`public_lon`.
pub fn check_admin(exact: LonLat, public: LonLat, country: &str) -> Result<(), String> {
    let geo = geography::bundled();
    let distance = exact.distance_m(public);
    let min = min_distance_m(exact);
    if distance < min {
        let why =
            if min > MIN_M { " (there is no large town within 10 km, so the rule is 5 km)" } else { "" };
        let here = if distance < 50.0 {
            "The public point is the provider's real location".to_string()
        } else {
            let shown =
                if tenths(distance) * 100.0 < min { km(distance) } else { format!("less than {}", km(min)) };
            format!("The public point is only {shown} from the provider's real location")
        };
        return Err(format!(
            "{here}; it must be at least {} away{why}, so that the map cannot lead anyone to the door.",
            km(min)
        ));
    }
    if distance > ADMIN_MAX_M {
        let shown = if tenths(distance) * 100.0 > ADMIN_MAX_M {
            km(distance)
        } else {
            format!("more than {}", km(ADMIN_MAX_M))
        };
        return Err(format!(
            "The public point is {shown} from the provider's real location; it must be within {}, so that \
             people looking for help nearby still find it.",
            km(ADMIN_MAX_M)
        ));
    }
    if let Some(other) = geo.country_at(public) {
        let home = [Some(country), geo.country_at(exact)];
        if !home.iter().flatten().any(|c| *c == other || near_country(geo, c, public)) {
            return Err(format!(
                "The public point must be in the provider's country ({country}), but it is in {other}."
            ));
        }
    }
    Ok(())
}

/// Whether `p` is inside `country`, or within [`ADMIN_COAST_M`] of it (tested at 1, 2 and 3 km
/// every 30°).
fn near_country(geo: &Geography, country: &str, p: LonLat) -> bool {
    geo.in_country(country, p)
        || [1_000.0, 2_000.0, ADMIN_COAST_M].iter().any(|&d| {
            (0..12).any(|i| {
                let (lon, lat) = destination(p, d, f64::from(i) * 30.0);
                geo.in_country(country, LonLat { lon, lat })
            })
        })
}

/// Metres in whole tenths of a kilometre.
fn tenths(metres: f64) -> f64 {
    (metres / 100.0).round()
}

/// Kilometres with one decimal, whole numbers without it ("1.5 km", "2 km").
fn km(metres: f64) -> String {
    let t = tenths(metres);
    if t % 10.0 == 0.0 { format!("{:.0} km", t / 10.0) } else { format!("{:.1} km", t / 10.0) }
}

/// Whether a stored public point is still acceptable for `exact`: at least [`min_distance_m`]
/// and at most [`ADMIN_MAX_M`] away. (The caller also redraws when the exact point moves by more
/// than [`MIN_M`].)
pub fn keeps(exact: LonLat, stored: LonLat) -> bool {
    let d = exact.distance_m(stored);
    d >= min_distance_m(exact) && d <= ADMIN_MAX_M
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geography::{Scan, scan_towns};
    use rand::SeedableRng;
    use rand_chacha::{ChaCha8Rng, ChaCha20Rng};
    use std::collections::BTreeMap;

    fn at(lat: f64, lon: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    /// The rule checked without the code under test: full scans of every polygon and every town.
    struct Reference {
        geo: &'static Geography,
        countries: Scan<'static>,
        states: Scan<'static>,
        districts: Scan<'static>,
        towns: Vec<LonLat>,
    }

    impl Reference {
        fn new() -> Self {
            let geo = geography::bundled();
            let (countries, states, districts) = geo.layers();
            Reference {
                geo,
                countries: Scan::new(countries),
                states: Scan::new(states),
                districts: Scan::new(districts),
                towns: scan_towns(),
            }
        }

        /// No town of 50,000+ within 10 km (haversine against every town).
        fn rural(&self, p: LonLat) -> bool {
            !self.towns.iter().any(|t| (t.lat - p.lat).abs() < 0.1 && t.distance_m(p) <= TOWN_RADIUS_M)
        }

        fn countries_at(&self, p: LonLat) -> Vec<&str> {
            let (countries, _, _) = self.geo.layers();
            self.countries.at(p).into_iter().map(|i| countries.names[i].as_str()).collect()
        }

        /// In the country's outline, or for India in any district's.
        fn in_country(&self, country: &str, p: LonLat) -> bool {
            self.countries_at(p).contains(&country) || (country == "IN" && !self.districts.at(p).is_empty())
        }

        fn states_at(&self, p: LonLat) -> Vec<&str> {
            let (_, states, _) = self.geo.layers();
            self.states.at(p).into_iter().map(|i| states.names[i].as_str()).collect()
        }

        fn districts_at(&self, p: LonLat) -> Vec<DistrictId> {
            let ids: Vec<DistrictId> = self.geo.district_ids().collect();
            self.districts.at(p).into_iter().map(|i| ids[i]).collect()
        }

        /// Checks one draw against the rule; panics with `what` on a breach.
        fn check(&self, what: &str, exact: LonLat, country: &str, drawn: Drawn) {
            let p = drawn.point;
            let d = exact.distance_m(p);
            let min = if self.rural(exact) { RURAL_MIN_M } else { MIN_M };
            assert_eq!(min_distance_m(exact), min, "{what}: {exact:?} rural or not");
            assert!(d >= MIN_M && d >= min, "{what}: {d} m from {exact:?} (min {min}), {drawn:?}");
            let max = match drawn.rule {
                "strict" | "same state" | "same country" => MAX_M,
                "same country, 25 km" | "on land, 25 km" => 25_000.0,
                "same country, 50 km" | "on land, 50 km" | "anywhere, 50 km" => ADMIN_MAX_M,
                other => panic!("{what}: unknown rule {other}"),
            };
            assert!(d <= max, "{what}: {d} m > {max} for {drawn:?}");
            let in_country = self.in_country(country, p);
            match drawn.rule {
                "strict" => {
                    assert!(in_country, "{what}: {drawn:?} not in {country} but {:?}", self.countries_at(p));
                    let home = self.districts_at(exact);
                    if country == "IN" && !home.is_empty() {
                        let there = self.districts_at(p);
                        assert!(
                            home.iter().any(|h| there.contains(h)),
                            "{what}: {drawn:?} in {there:?}, not {home:?}"
                        );
                    }
                }
                "same state" => {
                    assert!(in_country, "{what}: {drawn:?}");
                    let states: Vec<&str> =
                        self.districts_at(exact).iter().map(|&h| self.geo.district_state(h)).collect();
                    let there = self.states_at(p);
                    assert!(
                        states.iter().any(|s| there.contains(s)),
                        "{what}: {drawn:?} in {there:?}, not {states:?}"
                    );
                }
                "same country" | "same country, 25 km" | "same country, 50 km" => {
                    assert!(in_country, "{what}: {drawn:?}")
                }
                "on land, 25 km" | "on land, 50 km" => {
                    assert!(!self.countries_at(p).is_empty(), "{what}: {drawn:?}")
                }
                _ => {}
            }
            assert!(keeps(exact, p), "{what}: a fresh draw is kept");
            if in_country {
                assert_eq!(check_admin(exact, p, country), Ok(()), "{what}: an admin could choose {drawn:?}");
            }
        }
    }

    /// A point inside district `id`, by rejection in its bounding box against the full scan.
    fn point_in_district(r: &Reference, id: DistrictId, rng: &mut ChaCha8Rng) -> LonLat {
        use geo::BoundingRect;
        let rects: Vec<geo::Rect<f64>> =
            r.geo.district_polygons(id).filter_map(|p| p.bounding_rect()).collect();
        let (w, e) =
            rects.iter().fold((f64::MAX, f64::MIN), |(w, e), b| (w.min(b.min().x), e.max(b.max().x)));
        let (s, n) =
            rects.iter().fold((f64::MAX, f64::MIN), |(s, n), b| (s.min(b.min().y), n.max(b.max().y)));
        for _ in 0..100_000 {
            let p = LonLat { lon: rng.random_range(w..=e), lat: rng.random_range(s..=n) };
            if r.districts_at(p).contains(&id) {
                return p;
            }
        }
        panic!("no point found in {}", r.geo.district_name(id));
    }

    #[test]
    fn thousands_of_draws_keep_the_rule() {
        let r = Reference::new();
        let ids: Vec<DistrictId> = r.geo.district_ids().collect();
        let mut pick = ChaCha8Rng::seed_from_u64(2026);
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let mut exacts: Vec<(LonLat, String)> = (0..3_000)
            .map(|_| {
                (point_in_district(&r, ids[pick.random_range(0..ids.len())], &mut pick), "IN".to_string())
            })
            .collect();
        // The other gazetteer countries: near their towns, up to 15 km out (some land in the sea).
        let mut towns = csv::Reader::from_reader(include_str!("../data/gazetteer.csv").as_bytes());
        let others: Vec<(LonLat, String)> = towns
            .records()
            .map(|t| t.unwrap())
            .filter(|t| &t[1] != "IN")
            .map(|t| (at(t[3].parse().unwrap(), t[4].parse().unwrap()), t[1].to_string()))
            .collect();
        assert_eq!(others.iter().map(|(_, c)| c).collect::<std::collections::BTreeSet<_>>().len(), 13);
        for _ in 0..1_500 {
            let (town, country) = &others[pick.random_range(0..others.len())];
            let (lon, lat) =
                destination(*town, pick.random_range(0.0..15_000.0), pick.random_range(0.0..360.0));
            exacts.push((LonLat { lon, lat }, country.clone()));
        }
        let mut rules: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut rural = 0;
        for (i, (exact, country)) in exacts.iter().enumerate() {
            let drawn = draw(*exact, country, &mut rng);
            r.check(&format!("draw {i}"), *exact, country, drawn);
            let region = if country == "IN" { "IN" } else { "other" };
            *rules.entry((region, drawn.rule)).or_default() += 1;
            rural += usize::from(min_distance_m(*exact) == RURAL_MIN_M);
        }
        println!("{} draws, {rural} rural; by rule: {rules:?}", exacts.len());
        // The test means something: both minimums occur, and the strict rule is the usual answer.
        assert!(rural > 500 && exacts.len() - rural > 500, "{rural} rural");
        let strict = |region| rules.get(&(region, "strict")).copied().unwrap_or(0);
        assert!(strict("IN") > 2_700, "{rules:?}");
        assert!(strict("other") > 1_200, "{rules:?}");
    }

    #[test]
    fn hard_cases_still_keep_the_minimum() {
        let r = Reference::new();
        // (what, lat, lon, country)
        let cases = [
            ("tiny district: Mahe, 2 km² here", 11.727, 75.545, "IN"),
            ("small district: Yanam, 14 km² here", 16.725, 82.23, "IN"),
            ("small district: Kolkata", 22.57, 88.36, "IN"),
            ("small district: Chandigarh", 30.73, 76.78, "IN"),
            ("one-district city: Delhi, Connaught Place", 28.63, 77.22, "IN"),
            ("coast: Mumbai, Marine Drive (outside India's simplified outline)", 18.94, 72.82, "IN"),
            ("coast: Chennai Marina", 13.05, 80.283, "IN"),
            ("island: Kavaratti, Lakshadweep (in no outline)", 10.566, 72.642, "IN"),
            ("island: Port Blair, South Andaman", 11.62, 92.72, "IN"),
            ("island country: Nauru", -0.53, 166.93, "NR"),
            ("island country: Malta, Valletta", 35.9, 14.51, "MT"),
            ("Fiji: Taveuni, west of 180°", -16.8, -179.9, "FJ"),
            ("Fiji: Taveuni, east of 180°", -16.9, 179.95, "FJ"),
            ("rural desert: Thar, Jaisalmer", 27.5, 71.2, "IN"),
            ("just outside every outline: 8 km off Mumbai", 19.0, 72.75, "IN"),
            ("mid-ocean, a record far out at sea", -30.0, -140.0, "FJ"),
        ];
        for (what, lat, lon, country) in cases {
            let exact = at(lat, lon);
            let mut rules = BTreeMap::new();
            for seed in 0..50 {
                let drawn = draw(exact, country, &mut ChaCha20Rng::seed_from_u64(seed));
                r.check(what, exact, country, drawn);
                *rules.entry(drawn.rule).or_insert(0) += 1;
            }
            println!("{what}: {rules:?}");
            if what.starts_with("tiny") {
                assert!(!rules.contains_key("strict"), "{what}: no point 2 km away is in the district");
            }
            if what.starts_with("rural") || what.contains("Nauru") || what.contains("Kavaratti") {
                assert_eq!(min_distance_m(exact), RURAL_MIN_M, "{what}");
            }
        }
        // Taveuni straddles 180°: draws land on both sides, each recognised as Fiji.
        let exact = at(-16.8, -179.95);
        let sides: Vec<bool> = (0..100)
            .map(|seed| draw(exact, "FJ", &mut ChaCha20Rng::seed_from_u64(seed)))
            .filter(|d| d.rule == "strict")
            .map(|d| d.point.lon < 0.0)
            .collect();
        assert!(sides.contains(&true) && sides.contains(&false), "{sides:?}");
    }

    #[test]
    fn draws_are_random_and_reproducible_from_a_seed() {
        let exact = at(26.85, 80.95);
        let a = draw(exact, "IN", &mut ChaCha20Rng::seed_from_u64(1));
        assert_eq!(a, draw(exact, "IN", &mut ChaCha20Rng::seed_from_u64(1)));
        assert_ne!(a.point, draw(exact, "IN", &mut ChaCha20Rng::seed_from_u64(2)).point);
        let mut points: Vec<(u64, u64)> = (0..200)
            .map(|_| draw(exact, "IN", &mut rand::rng()).point)
            .map(|p| (p.lon.to_bits(), p.lat.to_bits()))
            .collect();
        points.sort_unstable();
        points.dedup();
        assert!(points.len() > 195, "{} distinct of 200", points.len());
    }

    #[test]
    fn admin_points_too_close_too_far_or_abroad_are_refused() {
        let r = Reference::new();
        let lucknow = at(26.85, 80.95);
        assert!(!r.rural(lucknow), "a town, so 2 km applies");
        let moved = |p: LonLat, m: f64, bearing: f64| {
            let (lon, lat) = destination(p, m, bearing);
            LonLat { lon, lat }
        };
        let refused = |public: LonLat, country: &str, words: &str| {
            let e = check_admin(lucknow, public, country).unwrap_err();
            assert!(e.contains(words), "{e}");
            assert!(e.ends_with('.') && !e.contains("LonLat"), "{e}");
        };
        refused(lucknow, "IN", "is the provider's real location; it must be at least 2 km away");
        refused(moved(lucknow, 1_000.0, 30.0), "IN", "only 1 km from");
        refused(moved(lucknow, 1_990.0, 30.0), "IN", "only less than 2 km from");
        refused(moved(lucknow, 1_440.0, 30.0), "IN", "only 1.4 km from");
        refused(moved(lucknow, 50_010.0, 30.0), "IN", "is more than 50 km from");
        refused(
            moved(lucknow, 60_000.0, 200.0),
            "IN",
            "is 60 km from the provider's real location; it must be within 50 km",
        );
        refused(at(-33.87, 151.21), "IN", "it must be within 50 km");
        assert_eq!(check_admin(lucknow, moved(lucknow, 3_000.0, 45.0), "IN"), Ok(()));
        assert_eq!(check_admin(lucknow, moved(lucknow, 49_000.0, 45.0), "IN"), Ok(()));
        // Across a border and out at sea: in range, but not in the country.
        let champaran = at(26.85, 84.85);
        let e = check_admin(champaran, at(27.1, 84.9), "IN").unwrap_err();
        assert!(e.contains("must be in the provider's country (IN), but it is in NP"), "{e}");
        // Offshore is not another country.
        assert_eq!(check_admin(at(13.05, 80.27), at(13.05, 80.47), "IN"), Ok(()));
        // The exact point's country counts too, when the record's country field is another.
        assert_eq!(check_admin(lucknow, moved(lucknow, 3_000.0, 45.0), "FJ"), Ok(()));
        // Marine Drive lies outside India's Natural Earth outline, but in the Mumbai district.
        assert!(r.countries_at(at(18.94, 72.82)).is_empty());
        assert_eq!(check_admin(at(19.07, 72.88), at(18.94, 72.82), "IN"), Ok(()));
        // Suva lies about 1 km outside Fiji's simplified outline: within the coast tolerance.
        let suva = at(-18.14, 178.44);
        assert!(r.countries_at(suva).is_empty());
        assert_eq!(check_admin(at(-18.1, 178.45), suva, "FJ"), Ok(()));
        // In the Thar the minimum is 5 km.
        let thar = at(27.5, 71.2);
        assert!(r.rural(thar));
        let e = check_admin(thar, moved(thar, 3_000.0, 90.0), "IN").unwrap_err();
        assert!(e.contains("at least 5 km away (there is no large town within 10 km"), "{e}");
        assert_eq!(check_admin(thar, moved(thar, 6_000.0, 90.0), "IN"), Ok(()));
    }

    #[test]
    fn keeps_only_points_between_the_minimum_and_50_km() {
        let lucknow = at(26.85, 80.95);
        let thar = at(27.5, 71.2);
        let moved = |p: LonLat, m: f64| {
            let (lon, lat) = destination(p, m, 120.0);
            LonLat { lon, lat }
        };
        assert!(!keeps(lucknow, lucknow));
        assert!(!keeps(lucknow, moved(lucknow, 1_500.0)));
        assert!(keeps(lucknow, moved(lucknow, 2_100.0)));
        assert!(keeps(lucknow, moved(lucknow, 49_000.0)));
        assert!(!keeps(lucknow, moved(lucknow, 51_000.0)));
        assert!(!keeps(thar, moved(thar, 3_000.0)), "rural: 5 km");
        assert!(keeps(thar, moved(thar, 5_100.0)));
    }
}
