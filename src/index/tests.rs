//! A snapshot made from the previous one and the rows a change wrote must equal the snapshot
//! built from scratch on the same records, in every structure answers read.

use super::*;
use crate::model::{Category, Confidential, LonLat, Status};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Asserts `a` and `b` hold the same records, points, tree, postings, hours and clusters.
fn assert_same(a: &Snapshot, b: &Snapshot) {
    assert_eq!(a.difference(b), None);
}

/// Changes `count` random records of `all` the ways edits and imports do, plus `created` new
/// ones; returns the records written (what the store's change marks would list).
fn change(all: &mut Vec<Provider>, rng: &mut StdRng, count: usize, created: usize) -> Vec<Provider> {
    let mut written = Vec::new();
    for _ in 0..count {
        let i = rng.random_range(0..all.len());
        let p = &mut all[i];
        match rng.random_range(0..6) {
            0 => p.data.name = format!("{} (renamed)", p.data.name),
            1 => {
                // Moved: a non-confidential provider's public point moves with it.
                let at = *p.data.location.reveal();
                let moved = LonLat { lon: at.lon + 0.05, lat: (at.lat + 0.03).min(89.0) };
                p.data.location = Confidential::from(moved);
                p.data.public_location = None;
            }
            2 => {
                p.data.hours =
                    Some(["Mo-Fr 09:00-17:00", "Mo-Su 20:00-08:00", "24/7"][rng.random_range(0..3)].into())
            }
            3 => {
                p.data.categories = vec![Category::ALL[rng.random_range(0..Category::ALL.len())]];
                p.data.languages = vec!["xx".into()];
            }
            4 => p.data.status = Status::Inactive,
            _ => p.data.status = Status::Active,
        }
        written.push(p.clone());
    }
    let next = all.iter().map(|p| p.id.0).max().unwrap_or(0) + 1;
    let new = if created > 0 { crate::sample::providers(created, rng.random()) } else { Vec::new() };
    for (k, mut p) in new.into_iter().enumerate() {
        p.id = ProviderId(next + k as i64);
        written.push(p.clone());
        all.push(p);
    }
    written
}

#[test]
fn a_snapshot_with_changes_equals_one_built_from_scratch() {
    let mut rng = StdRng::seed_from_u64(14);
    let mut all = crate::sample::providers(4_000, 14);
    let mut snap = Snapshot::build(1, all.clone());
    // Small changes (the tree edited in place), chained; then one large enough to rebuild it.
    for (round, (count, created)) in [(1, 0), (0, 1), (12, 3), (40, 0), (600, 20)].into_iter().enumerate() {
        let written = change(&mut all, &mut rng, count, created);
        let version = round as u64 + 2;
        let next = snap.with_changes(version, written);
        let scratch = Snapshot::build(version, all.clone());
        assert_eq!(next.version, version);
        assert_same(&next, &scratch);
        snap = next;
    }
}

#[test]
fn a_change_that_writes_nothing_new_keeps_the_snapshot_as_it_was() {
    let all = crate::sample::providers(500, 3);
    let snap = Snapshot::build(1, all.clone());
    // Rewritten unchanged, and an inactive record written again: nothing to show differs.
    let written: Vec<Provider> = all.iter().filter(|p| p.id.0 % 7 == 0).cloned().collect();
    assert_same(&snap.with_changes(2, written), &Snapshot::build(2, all));
}

/// Providers in any order make the snapshot the store's id order makes.
#[test]
fn a_build_from_providers_in_any_order_equals_one_in_id_order() {
    let all = crate::sample::providers(2_000, 9);
    let mut shuffled = all.clone();
    shuffled.shuffle(&mut StdRng::seed_from_u64(4));
    assert_ne!(
        shuffled.iter().map(|p| p.id).collect::<Vec<_>>(),
        all.iter().map(|p| p.id).collect::<Vec<_>>()
    );
    assert_same(&Snapshot::build(1, shuffled), &Snapshot::build(1, all));
}
