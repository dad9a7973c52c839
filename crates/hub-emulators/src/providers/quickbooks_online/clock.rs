//! How QBO writes instants: `MetaData` times to the second with a numeric offset, the
//! response `time` to the millisecond. The emulated company keeps UTC.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// Now, to the second: the precision `MetaData` shows and queries compare.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// `2026-11-24T10:00:00+00:00`.
pub(crate) fn meta_time(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The `time` every response carries: `2026-11-24T10:00:00.123+00:00`.
pub(crate) fn response_time() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, false)
}
