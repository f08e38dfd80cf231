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

#[test]
fn rare_filters_are_answered_from_their_providers_alone_and_equal_a_scan() {
    let snap = snapshot(6_000);
    let mut languages: Vec<(usize, String)> = snap
        .records
        .iter()
        .flat_map(|p| p.languages().iter().map(str::to_string).collect::<Vec<_>>())
        .fold(std::collections::HashMap::<String, usize>::new(), |mut m, l| {
            *m.entry(l).or_default() += 1;
            m
        })
        .into_iter()
        .map(|(l, c)| (c, l))
        .collect();
    languages.sort();
    let (rare_count, rare) = languages[0].clone();
    let (_, common) = languages.last().unwrap().clone();
    assert!(rare_count * rare_count <= 4 * 10 * snap.len(), "the sample has a rare language");
    let at = snap.built_at.unix_timestamp() + 86_400;
    let rare_filters = [
        Filters { languages: vec![rare.clone()], ..Filters::default() },
        Filters { languages: vec![rare.clone(), languages[1].1.clone()], ..Filters::default() },
        Filters { languages: vec![rare.clone()], categories: vec![Category::Helpline], ..Filters::default() },
        Filters { languages: vec![rare.clone()], open_at: Some(at), ..Filters::default() },
    ];
    for f in &rare_filters {
        let candidates = f.rare_candidates(&snap, 10).expect("a rare filter is scanned");
        // The candidates are a superset of what passes, so nothing can be missed.
        let pass = passing(&snap, f);
        assert!(pass.iter().all(|s| candidates.binary_search(s).is_ok()), "{f:?}");
        for (i, origin) in snap.points.iter().step_by(211).enumerate() {
            let k = [1, 10, 37][i % 3];
            let max = (i % 4 == 0).then_some(300_000.0);
            let reference: Vec<Hit> = brute_nearest_of(&snap, &pass, *origin, k)
                .into_iter()
                .filter(|h| max.is_none_or(|m| h.distance_m.unwrap() <= m))
                .collect();
            assert_eq!(nearest(&snap, *origin, k, max, f), reference, "{f:?} {i}");
        }
    }
    // A common filter walks the tree.
    let common = Filters { languages: vec![common], ..Filters::default() };
    assert_eq!(common.rare_candidates(&snap, 10), None);
    assert_eq!(Filters::default().rare_candidates(&snap, 10), None);
}

#[test]
fn a_filter_whose_providers_are_far_gives_up_the_walk_and_equals_a_scan() {
    let snap = snapshot(6_000);
    // Every language and category with a share too large to be scanned outright: from most
    // origins the walk reaches its budget (the filter's own size) before finding k, then the
    // candidates are checked; either way the answer is the scan's.
    let mut filters: Vec<Filters> =
        Category::ALL.into_iter().map(|c| Filters { categories: vec![c], ..Filters::default() }).collect();
    let languages: std::collections::BTreeSet<String> = snap
        .records
        .iter()
        .flat_map(|p| p.languages().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    filters.extend(languages.into_iter().map(|l| Filters { languages: vec![l], ..Filters::default() }));
    let mut gave_up = 0;
    for f in filters.iter().filter(|f| f.rare_candidates(&snap, 10).is_none()) {
        let pass = passing(&snap, f);
        let budget = f.candidate_bound(&snap).unwrap();
        for (i, origin) in snap.points.iter().step_by(397).enumerate() {
            let k = [1, 10, 37][i % 3];
            assert_eq!(
                nearest(&snap, *origin, k, None, f),
                brute_nearest_of(&snap, &pass, *origin, k),
                "{f:?} {i}"
            );
            let walked = nearest_in(&snap, &snap.tree, *origin, k, None, budget, |s| f.matches(&snap, s));
            gave_up += usize::from(walked.is_none());
        }
    }
    assert!(gave_up > 0, "some walk reached its budget, so the fallback was tested");
}

#[test]
fn a_filtered_nearest_looks_at_a_bounded_number_of_entries() {
    let snap = snapshot(20_000);
    let visited = || VISITED.with(|v| v.replace(0));
    let mut filters: Vec<Filters> =
        Category::ALL.into_iter().map(|c| Filters { categories: vec![c], ..Filters::default() }).collect();
    let languages: std::collections::BTreeSet<String> = snap
        .records
        .iter()
        .flat_map(|p| p.languages().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    filters.extend(languages.into_iter().map(|l| Filters { languages: vec![l], ..Filters::default() }));
    let k = 10;
    let mut rare_seen = 0;
    for f in &filters {
        let c = f.candidate_bound(&snap).unwrap();
        let pass = passing(&snap, f);
        for origin in snap.points.iter().step_by(499) {
            visited();
            let hits = nearest(&snap, *origin, k, None, f);
            let looked = visited();
            assert_eq!(hits, brute_nearest_of(&snap, &pass, *origin, k), "{f:?}");
            // At most the walk's budget, then each candidate once; never the whole tree for a
            // filter that matches few (the unfiltered walk looks at about k entries).
            assert!(looked <= c / WALK_STEP_COST + c + k, "{f:?}: {looked} entries for {c} candidates");
            if f.rare_candidates(&snap, k).is_some() {
                rare_seen += 1;
                assert!(looked <= c, "a rare filter checks its candidates only: {looked} of {c}");
                assert!(looked * 10 <= snap.len(), "{f:?}: {looked} of {} entries", snap.len());
            }
        }
    }
    assert!(rare_seen > 0, "the sample has a rare filter");
    visited();
    nearest(&snap, snap.points[0], k, None, &Filters::default());
    assert!(visited() <= 4 * k, "an unfiltered walk stops after about k entries");
}
