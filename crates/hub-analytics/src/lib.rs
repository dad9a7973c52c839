//! Network analytics over the unified records: royalty statements computed from synced sales
//! ([`royalties`]), KPI rollups with network benchmarks ([`kpis`]) and CSV/Parquet exports
//! ([`export`]).
#![forbid(unsafe_code)]

mod error;
pub mod export;
pub mod kpis;
pub mod royalties;

pub use error::AnalyticsError;
pub use kpis::{Analytics, GroupBy, KpiQuery, KpiReport, KpiRow, Kpis, RoyaltyDue};
