//! Durations in the catalog: `const` constructors for readable definitions, and serde helpers
//! that write them as whole seconds.

use std::time::Duration;

/// One second.
pub const SECOND: Duration = Duration::from_secs(1);

/// `count` minutes.
pub const fn minutes(count: u64) -> Duration {
    Duration::from_secs(count * 60)
}

/// `count` hours.
pub const fn hours(count: u64) -> Duration {
    Duration::from_secs(count * 3600)
}

/// `count` days.
pub const fn days(count: u64) -> Duration {
    Duration::from_secs(count * 86_400)
}

/// Serializes a `Duration` as whole seconds.
pub mod seconds {
    use std::time::Duration;

    use serde::Serializer;

    /// Writes whole seconds.
    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.as_secs())
    }
}

/// Serializes an `Option<Duration>` as whole seconds or `null`.
pub mod optional_seconds {
    use std::time::Duration;

    use serde::Serializer;

    /// Writes whole seconds, or `null`.
    pub fn serialize<S: Serializer>(value: &Option<Duration>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => serializer.serialize_some(&duration.as_secs()),
            None => serializer.serialize_none(),
        }
    }
}
