//! Open-filtered nearest against a brute-force scan, on both of its paths (the whole tree with
//! flags, and the open providers' own tree).

use super::*;
use crate::hours::UnixTime;
use crate::model::Category;
use std::sync::Arc;

/// `count` providers from the sample generator (mixed hours), as the store would load them.
fn snapshot(count: usize) -> Snapshot {
    Snapshot::build(1, crate::sample::providers(count, 11))
}

/// Every provider `filters` accept (evaluating hours one by one).
fn passing(snap: &Snapshot, filters: &Filters) -> Vec<u32> {
    (0..snap.len() as u32).filter(|s| filters.matches(snap, *s)).collect()
}

/// The `k` of `passing` nearest to `origin`, nearest first, ties by id.
fn brute_nearest_of(snap: &Snapshot, passing: &[u32], origin: LonLat, k: usize) -> Vec<Hit> {
    let mut all: Vec<Hit> = passing
        .iter()
        .map(|&slot| Hit { slot, distance_m: Some(shown(origin.distance_m(snap.points[slot as usize]))) })
        .collect();
    sort_by_distance(&mut all);
    all.truncate(k);
    all
}

fn brute_nearest(snap: &Snapshot, origin: LonLat, k: usize, filters: &Filters) -> Vec<Hit> {
    brute_nearest_of(snap, &passing(snap, filters), origin, k)
}

#[test]
fn open_filtered_nearest_equals_a_scan_with_and_without_the_open_tree() {
    let snap = snapshot(6_000);
    let built = snap.built_at.unix_timestamp();
    let midnight = built - built.rem_euclid(86_400);
    // Noon and 02:00 in India, a Sunday morning in New York, and an instant a year on (out of
    // the precomputed window, answered by the crate).
    let instants: [UnixTime; 4] = [
        midnight + 86_400 + 6 * 3600 + 1800,
        midnight + 86_400 + 20 * 3600 + 1800,
        midnight + 4 * 86_400 + 15 * 3600,
        midnight + 365 * 86_400 + 5 * 3600,
    ];
    let origins: Vec<LonLat> = snap.points.iter().step_by(97).copied().collect();
    for at in instants {
        let open = (0..snap.len() as u32).filter(|s| snap.hours.is_open(*s, at)).count();
        assert!(open > 0 && open < snap.len(), "the sample's hours must split the set at {at}: {open}");
        let filters = [
            Filters { open_at: Some(at), ..Filters::default() },
            Filters { open_at: Some(at), categories: vec![Category::LegalAid], ..Filters::default() },
        ];
        // The first walks have no tree (the second asks for its build, which may land midway):
        // the scan must agree either way.
        let passing: Vec<Vec<u32>> = filters.iter().map(|f| passing(&snap, f)).collect();
        for (f, pass) in filters.iter().zip(&passing) {
            for (i, origin) in origins.iter().enumerate() {
                let k = [1, 10, 37][i % 3];
                assert_eq!(
                    nearest(&snap, *origin, k, None, f),
                    brute_nearest_of(&snap, pass, *origin, k),
                    "{at} {i}"
                );
            }
        }
        let set = snap.wait_for_open_tree(at);
        let tree = set.tree().expect("built");
        assert_eq!(tree.size(), open, "the open tree holds exactly the open providers at {at}");
        for (f, pass) in filters.iter().zip(&passing) {
            for (i, origin) in origins.iter().enumerate() {
                let k = [1, 10, 37][i % 3];
                let max = (i % 4 == 0).then_some(50_000.0);
                let reference: Vec<Hit> = brute_nearest_of(&snap, pass, *origin, k)
                    .into_iter()
                    .filter(|h| max.is_none_or(|m| h.distance_m.unwrap() <= m))
                    .collect();
                assert_eq!(nearest(&snap, *origin, k, max, f), reference, "with the tree, {at} {i}");
            }
        }
    }
}

#[test]
fn with_open_trees_off_a_set_is_never_built() {
    let snap = snapshot(500);
    snap.set_open_trees(false);
    let at = snap.built_at.unix_timestamp() + 3600;
    let f = Filters { open_at: Some(at), ..Filters::default() };
    let origin = snap.points[0];
    for _ in 0..5 {
        assert_eq!(nearest(&snap, origin, 10, None, &f), brute_nearest(&snap, origin, 10, &f));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(snap.open_at(at).tree().is_none());
}

#[test]
fn minutes_with_the_same_flags_share_one_set_whose_tree_is_built_in_the_background() {
    let snap = snapshot(800);
    let at = snap.built_at.unix_timestamp() + 7200;
    let at = at - at.rem_euclid(3600) + 600; // ten past an hour: no sample schedule changes then
    assert_eq!(snap.hours.open_schedules(at), snap.hours.open_schedules(at + 60));
    let (a, b) = (snap.open_at(at), snap.open_at(at + 60));
    assert!(Arc::ptr_eq(&a, &b), "equal flags are one set");
    // Looking a set up builds nothing; the second nearest walk that wants it starts its build.
    assert!(a.tree().is_none());
    let f = Filters { open_at: Some(at), ..Filters::default() };
    let origin = snap.points[3];
    nearest(&snap, origin, 10, None, &f);
    nearest(&snap, origin, 10, None, &f);
    let waited = std::time::Instant::now();
    while a.tree().is_none() && waited.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let open = (0..snap.len() as u32).filter(|s| snap.hours.is_open(*s, at)).count();
    assert_eq!(a.tree().map(|t| t.size()), Some(open));
    assert_eq!(nearest(&snap, origin, 10, None, &f), brute_nearest(&snap, origin, 10, &f));
    // Two other sets push it out of the two kept, and no minute keeps it (and its tree) alive.
    let flags = |t: UnixTime| snap.hours.open_schedules(t);
    let hours: Vec<UnixTime> = (1..24).map(|h| at + h * 3600).filter(|t| flags(*t) != flags(at)).collect();
    let second = hours.iter().find(|t| flags(**t) != flags(hours[0])).expect("the sample has three sets");
    snap.open_at(hours[0]);
    snap.open_at(*second);
    drop(b);
    assert_eq!(Arc::strong_count(&a), 1, "only this test holds the dropped set");
}
