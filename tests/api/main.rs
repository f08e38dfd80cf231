//! One integration-test binary: the real app on 127.0.0.1, port 0, with its own temp database.

#[allow(dead_code)] // shared by test modules; not every module uses every helper
mod helpers;
mod smoke;
