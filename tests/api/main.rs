//! One integration-test binary: the real app on 127.0.0.1, port 0, with its own temp database.

mod abuse;
mod admin;
mod admin_records;
mod attacks;
mod changes;
mod clusters;
mod csv_files;
mod durability;
mod emergency;
mod errors;
mod feeds;
mod fields;
mod fixtures;
mod geocode;
#[allow(dead_code)] // shared by test modules; not every module uses every helper
mod helpers;
mod hours;
mod hsds;
mod import_codes;
mod instances;
mod logs;
mod outage;
mod page;
mod paging;
mod places;
mod privacy;
mod proxy;
mod public_points;
mod replicas;
mod roundtrip;
mod smoke;
mod snapshots;
mod spatial;
mod store;
mod strict;
mod tiers;
