//! Opaque pagination cursors. A cursor carries the last sort key and position a page returned
//! (keyset, never an offset), the time bounds the first page resolved from defaults such as
//! "now", and a fingerprint of the endpoint, merchant, dataset and query it belongs to: reused
//! with any other query it is refused. A checksum catches a garbled cursor.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::ids::fnv1a;
use super::model::Millis;

const MAGIC: u8 = b'Q';
const VERSION: u8 = 1;

/// The sort key of the last record a page returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CursorKey {
    Time(Millis),
    Text(String),
}

/// What a cursor remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub fingerprint: u64,
    pub key: CursorKey,
    pub position: u32,
    /// Time bounds the first page resolved (defaults like "one year ago" and "now").
    pub window: [Option<Millis>; 2],
}

impl Cursor {
    /// The opaque text sent to the client.
    pub fn encode(&self) -> String {
        let mut bytes = vec![MAGIC, VERSION];
        bytes.extend_from_slice(&self.fingerprint.to_be_bytes());
        bytes.extend_from_slice(&self.position.to_be_bytes());
        match &self.key {
            CursorKey::Time(millis) => {
                bytes.push(0);
                bytes.extend_from_slice(&millis.to_be_bytes());
            }
            CursorKey::Text(text) => {
                bytes.push(1);
                let length = u16::try_from(text.len()).unwrap_or(u16::MAX);
                bytes.extend_from_slice(&length.to_be_bytes());
                bytes.extend_from_slice(&text.as_bytes()[..usize::from(length)]);
            }
        }
        for bound in self.window {
            match bound {
                Some(millis) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&millis.to_be_bytes());
                }
                None => bytes.push(0),
            }
        }
        let checksum = (fnv1a(&bytes) as u32).to_be_bytes();
        bytes.extend_from_slice(&checksum);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a cursor back; `None` when it is not one of ours or was altered.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let (body, checksum) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
        if checksum != (fnv1a(body) as u32).to_be_bytes() {
            return None;
        }
        let mut reader = Reader { bytes: body };
        if reader.take(2)? != [MAGIC, VERSION] {
            return None;
        }
        let fingerprint = u64::from_be_bytes(reader.array()?);
        let position = u32::from_be_bytes(reader.array()?);
        let key = match reader.take(1)?[0] {
            0 => CursorKey::Time(i64::from_be_bytes(reader.array()?)),
            1 => {
                let length = u16::from_be_bytes(reader.array()?);
                CursorKey::Text(String::from_utf8(reader.take(usize::from(length))?.to_vec()).ok()?)
            }
            _ => return None,
        };
        let mut window = [None, None];
        for bound in &mut window {
            *bound = match reader.take(1)?[0] {
                0 => None,
                1 => Some(i64::from_be_bytes(reader.array()?)),
                _ => return None,
            };
        }
        reader.bytes.is_empty().then_some(Self { fingerprint, key, position, window })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.bytes.split_at_checked(count)?;
        self.bytes = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

/// Builds the fingerprint of one query: every parameter that shapes the result set, in a fixed
/// order (the page size and the cursor itself are left out).
#[derive(Debug, Clone)]
pub(crate) struct Fingerprint {
    text: String,
}

impl Fingerprint {
    /// Starts with the endpoint, the merchant and its dataset.
    pub fn new(endpoint: &str, merchant_id: &str, dataset: u64) -> Self {
        Self { text: format!("{endpoint}\u{1}{merchant_id}\u{1}{dataset:x}") }
    }

    /// Adds one named parameter (absent ones are added as absent, so `a=` and no `a` differ).
    pub fn with(mut self, name: &str, value: Option<&str>) -> Self {
        self.text.push('\u{1}');
        self.text.push_str(name);
        match value {
            Some(value) => {
                self.text.push('=');
                self.text.push_str(value);
            }
            None => self.text.push('\u{2}'),
        }
        self
    }

    pub fn finish(&self) -> u64 {
        fnv1a(self.text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::{Cursor, CursorKey, Fingerprint};

    #[test]
    fn cursors_round_trip_and_garbling_is_detected() {
        for key in [CursorKey::Time(1_700_000_000_123), CursorKey::Text("maya\u{0}lee".to_owned())] {
            let cursor = Cursor { fingerprint: 99, key, position: 7, window: [Some(-5), None] };
            let text = cursor.encode();
            assert_eq!(Cursor::decode(&text), Some(cursor));
            let mut garbled = text.into_bytes();
            let middle = garbled.len() / 2;
            garbled[middle] = if garbled[middle] == b'A' { b'B' } else { b'A' };
            assert_eq!(Cursor::decode(&String::from_utf8(garbled).expect("ascii")), None);
        }
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }

    #[test]
    fn fingerprints_tell_queries_apart() {
        let base = || Fingerprint::new("ListPayments", "M1", 1);
        assert_eq!(base().with("a", Some("1")).finish(), base().with("a", Some("1")).finish());
        assert_ne!(base().with("a", Some("1")).finish(), base().with("a", Some("2")).finish());
        assert_ne!(base().with("a", None).finish(), base().with("a", Some("")).finish());
        assert_ne!(base().finish(), Fingerprint::new("ListRefunds", "M1", 1).finish());
    }
}
