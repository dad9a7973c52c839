//! Prefixed, time-sortable identifiers (`loc_01jd…`): a UUIDv7 in Crockford base32 behind a type prefix.
//!
//! The text form sorts in creation order, so it doubles as a pagination key, and the prefix tells a
//! reader (and the parser) what kind of thing an id names.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const ENCODED_LEN: usize = 26;

/// Encodes 128 bits as 26 lowercase Crockford base32 characters (the first carries 3 bits).
pub fn encode_base32(value: u128) -> String {
    let mut out = [0u8; ENCODED_LEN];
    for (index, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (ENCODED_LEN - 1 - index);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
    out.iter().map(|&byte| byte as char).collect()
}

/// Decodes what [`encode_base32`] produces; anything else (wrong length, letters outside the
/// alphabet, overflow in the first character) is `None`.
pub fn decode_base32(text: &str) -> Option<u128> {
    if text.len() != ENCODED_LEN {
        return None;
    }
    let mut value: u128 = 0;
    for (index, byte) in text.bytes().enumerate() {
        let digit = ALPHABET.iter().position(|&c| c == byte)? as u128;
        if index == 0 && digit > 7 {
            return None;
        }
        value = (value << 5) | digit;
    }
    Some(value)
}

/// Declares a prefixed id newtype with parsing, display, serde and OpenAPI support.
#[macro_export]
macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The text every id of this kind starts with, before the `_`.
            pub const PREFIX: &'static str = $prefix;

            /// A new id; ids made later sort after ids made earlier.
            pub fn new() -> Self {
                Self(format!(
                    "{}_{}",
                    $prefix,
                    $crate::id::encode_base32(uuid::Uuid::now_v7().as_u128())
                ))
            }

            /// Parses the text form, refusing other kinds of id and malformed text.
            pub fn parse(text: &str) -> Result<Self, $crate::error::ValidationError> {
                let body = text
                    .strip_prefix(concat!($prefix, "_"))
                    .ok_or_else(|| $crate::error::ValidationError::new(
                        concat!("must be an id starting with `", $prefix, "_`"),
                    ))?;
                $crate::id::decode_base32(body).ok_or_else(|| {
                    $crate::error::ValidationError::new(concat!("is not a well-formed `", $prefix, "_` id"))
                })?;
                Ok(Self(text.to_owned()))
            }

            /// The text form, as stored and shown.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::ValidationError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "_[0-7][0-9a-hjkmnp-tv-z]{25}$")))
                    .examples([concat!($prefix, "_01jdq5d7wz8k2m4n6p8r0t2v4x")])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

prefixed_id!(
    /// A franchise network (the franchisor's brand): the tenant at the top of the hierarchy.
    NetworkId,
    "net"
);
prefixed_id!(
    /// A franchisee: the legal entity that owns one or more shops.
    FranchiseeId,
    "fr"
);
prefixed_id!(
    /// A location (one shop).
    LocationId,
    "loc"
);
prefixed_id!(
    /// A territory: a reporting group of locations, possibly inside another territory.
    TerritoryId,
    "ter"
);
prefixed_id!(
    /// An API key's public id (never the secret).
    ApiKeyId,
    "key"
);
prefixed_id!(
    /// A connection between a tenant and one provider account.
    ConnectionId,
    "conn"
);
prefixed_id!(
    /// A connect link a shop owner opens to authorize a connection without an API key.
    ConnectLinkId,
    "link"
);
prefixed_id!(
    /// One entry of the audit log.
    AuditEntryId,
    "aud"
);
prefixed_id!(
    /// A job in the durable job queue.
    JobId,
    "job"
);
prefixed_id!(
    /// A unified record (a sale, a customer, …): stable however often the provider changes it.
    RecordId,
    "rec"
);
prefixed_id!(
    /// One run of the sync engine over a connection.
    SyncRunId,
    "sync"
);
prefixed_id!(
    /// A webhook source: where one provider (for one connection or network app) sends the hub
    /// its events.
    WebhookSourceId,
    "whsrc"
);
prefixed_id!(
    /// One inbound webhook delivery the hub verified and stored.
    InboundEventId,
    "inb"
);
prefixed_id!(
    /// A subscriber's webhook endpoint (outbound).
    WebhookEndpointId,
    "ep"
);
prefixed_id!(
    /// An outbound event (the message every matching endpoint receives; its `webhook-id`).
    WebhookEventId,
    "evt"
);
prefixed_id!(
    /// One event's delivery to one endpoint, retried until it succeeds or is dead-lettered.
    DeliveryId,
    "dlv"
);
prefixed_id!(
    /// One HTTP attempt of a delivery.
    DeliveryAttemptId,
    "att"
);
prefixed_id!(
    /// A job-queue worker (one per `Worker` instance): the holder named on a job's lease.
    WorkerId,
    "wkr"
);
prefixed_id!(
    /// A franchise agreement: the royalty terms of one franchisee for a span of dates.
    AgreementId,
    "agr"
);
prefixed_id!(
    /// A royalty statement: what one franchisee owes for one period.
    RoyaltyStatementId,
    "rst"
);
prefixed_id!(
    /// A person who signs in to the dashboard with an email and password.
    UserId,
    "usr"
);
prefixed_id!(
    /// A signed-in dashboard session (its token is a separate secret, stored hashed).
    SessionId,
    "ses"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn base32_round_trips(value: u128) {
            prop_assert_eq!(decode_base32(&encode_base32(value)), Some(value));
        }

        #[test]
        fn base32_preserves_order(a: u128, b: u128) {
            prop_assert_eq!(a.cmp(&b), encode_base32(a).cmp(&encode_base32(b)));
        }

        #[test]
        fn parse_never_panics(text in ".{0,40}") {
            let _ = LocationId::parse(&text);
        }
    }

    #[test]
    fn ids_parse_only_their_own_kind() {
        let location = LocationId::new();
        assert_eq!(LocationId::parse(location.as_str()), Ok(location.clone()));
        assert!(FranchiseeId::parse(location.as_str()).is_err());
        assert!(LocationId::parse("loc_").is_err());
        assert!(LocationId::parse("loc_zzzzzzzzzzzzzzzzzzzzzzzzzz").is_err(), "overflowing first digit");
        assert!(LocationId::parse("loc_01JDQ5D7WZ8K2M4N6P8R0T2V4X").is_err(), "upper case is not the canonical form");
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let first = LocationId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = LocationId::new();
        assert!(first < second);
    }
}
