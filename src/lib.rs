//! Bellmap: a map API of domestic-violence service providers.
//!
//! Data flows one way: CSV / DB → model → index → query → HTTP.
#![forbid(unsafe_code)]

pub mod app;
pub mod audit_queue;
pub mod basemap;
pub mod cli;
pub mod config;
pub mod db;
pub mod emergency;
pub mod geography;
pub mod hours;
pub mod hsds;
pub mod http;
pub mod index;
pub mod ingest;
pub mod model;
pub mod places;
pub mod public_point;
pub mod query;
pub mod sample;
pub mod service;
