//! Reading providers' event ids (and Toast's signed timestamp) out of a delivery, for dedup.
//!
//! Bodies are walked once with serde, borrowing strings where they need no unescaping and
//! skipping every member that is not asked for, so nothing but the answer is allocated.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::verify::{google_calendar, standard_webhooks, twilio};
use crate::{InboundRequest, Scheme};

/// Every provider event id in an (already verified) delivery, in body order, for dedup: one for
/// single-event schemes, one per element for batched ones, none where the provider sends no id.
///
/// | scheme | ids |
/// |---|---|
/// | Stripe | body `id` |
/// | Square | body `event_id` |
/// | HubSpot | each array element's `eventId` |
/// | QuickBooks | each CloudEvents element's `id`; none for the legacy `eventNotifications` body |
/// | Twilio | `MessageSid` (or `CallSid`) form parameter, with `:` and its status when sent |
/// | SendGrid | each array element's `sg_event_id` |
/// | Meta, Clover (both) | none |
/// | Toast | body `guid` |
/// | Google Calendar | `X-Goog-Channel-ID` `:` `X-Goog-Message-Number` |
/// | Standard Webhooks | the `webhook-id` header |
///
/// A body that is not the JSON the provider documents yields no ids rather than an error: the
/// signature already proved who sent it, and dedup then falls back to other keys.
pub fn event_ids(scheme: Scheme, request: &InboundRequest<'_>) -> Vec<String> {
    let body = request.body;
    let single = |id: Option<String>| id.into_iter().collect();
    match scheme {
        Scheme::Stripe => single(top_level_string(body, "id")),
        Scheme::Square => single(top_level_string(body, "event_id")),
        Scheme::Toast => single(top_level_string(body, "guid")),
        Scheme::HubSpot => element_members(body, "eventId"),
        Scheme::SendGrid => element_members(body, "sg_event_id"),
        Scheme::QuickBooks => element_members(body, "id"),
        Scheme::Twilio => single(twilio::event_id(request)),
        Scheme::GoogleChannelToken => single(google_calendar::event_id(request)),
        Scheme::StandardWebhooks => single(standard_webhooks::event_id(request)),
        Scheme::Meta | Scheme::CloverAuthCode | Scheme::CloverHostedCheckout => Vec::new(),
    }
}

/// The top-level member `key` of a JSON object body, when it is a string.
pub(crate) fn top_level_string(body: &[u8], key: &str) -> Option<String> {
    match find_member(body, key)? {
        Scalar::Text(text) => Some(text.into_owned()),
        Scalar::Integer(_) => None,
    }
}

/// The top-level member `key` as text: a string's contents or an integer's digits.
pub(crate) fn top_level_scalar<'b>(body: &'b [u8], key: &str) -> Option<Cow<'b, str>> {
    find_member(body, key).map(Scalar::into_text)
}

/// `key` of every object element of a JSON array body, strings and integers alike.
fn element_members(body: &[u8], key: &str) -> Vec<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    deserializer
        .deserialize_any(ElementsVisitor { key })
        .map(|ids| ids.into_iter().map(|id| id.into_text().into_owned()).collect())
        .unwrap_or_default()
}

fn find_member<'b>(body: &'b [u8], key: &str) -> Option<Scalar<'b>> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    MemberSeed { key }.deserialize(&mut deserializer).ok().flatten()
}

/// A JSON value worth keeping as an id.
enum Scalar<'b> {
    Text(Cow<'b, str>),
    Integer(i128),
}

impl<'b> Scalar<'b> {
    fn into_text(self) -> Cow<'b, str> {
        match self {
            Self::Text(text) => text,
            Self::Integer(number) => Cow::Owned(number.to_string()),
        }
    }
}

/// Finds member `key` in whatever value comes next; anything that is not an object yields `None`.
struct MemberSeed<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Option<Scalar<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Accepts any JSON value and ignores it, answering `None`.
macro_rules! ignore_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = Option<Scalar<'de>>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    ignore_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(name) = map.next_key::<Cow<'de, str>>()? {
            if found.is_none() && name == self.key {
                found = map.next_value_seed(ScalarSeed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Reads a string or an integer; anything else is skipped as `None`.
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Option<Scalar<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Option<Scalar<'de>>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string or an integer")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Integer(value.into())))
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Integer(value.into())))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Text(Cow::Borrowed(value))))
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Text(Cow::Owned(value.to_owned()))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// Collects member `key` of each element of an array; a body that is not an array yields none.
struct ElementsVisitor<'k> {
    key: &'k str,
}

impl<'de> Visitor<'de> for ElementsVisitor<'_> {
    type Value = Vec<Scalar<'de>>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON array of events")
    }

    ignore_scalars!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ids = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(found) = seq.next_element_seed(MemberSeed { key: self.key })? {
            ids.extend(found);
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_members_are_found_without_being_fooled_by_nested_ones() {
        let body = br#"{"data":{"id":"nested"},"id":"evt_1","n":7,"list":[{"id":"x"}]}"#;
        assert_eq!(top_level_string(body, "id").as_deref(), Some("evt_1"));
        assert_eq!(top_level_scalar(body, "n").as_deref(), Some("7"));
        assert_eq!(top_level_string(body, "n"), None, "an integer is not a string id");
        assert_eq!(top_level_string(body, "missing"), None);
        assert_eq!(top_level_string(b"[1,2]", "id"), None);
        assert_eq!(top_level_string(b"not json", "id"), None);
        assert_eq!(top_level_string(br#"{"id":"a\"b"}"#, "id").as_deref(), Some("a\"b"), "escapes are decoded");
    }

    #[test]
    fn batched_bodies_yield_one_id_per_element() {
        let body = br#"[{"eventId":1,"x":{"eventId":9}},{"eventId":"2"},7,{"other":true}]"#;
        assert_eq!(element_members(body, "eventId"), ["1", "2"]);
        assert!(element_members(br#"{"eventId":1}"#, "eventId").is_empty());
        assert!(element_members(b"[", "eventId").is_empty(), "truncated JSON yields nothing");
    }
}
