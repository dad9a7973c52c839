//! Deterministic randomness and Square-looking ids: a SplitMix64 generator (stable across
//! platforms and crate versions, unlike `rand`'s `StdRng`), a stable FNV-1a hash for seeds and
//! fingerprints, and the id formats of each Square object.

/// FNV-1a over bytes: stable, so seeds and cursor fingerprints never change between builds.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The SplitMix64 finaliser: a bijection on `u64`, so distinct inputs give distinct outputs.
pub(crate) fn mix(mut value: u64) -> u64 {
    value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    value ^ (value >> 31)
}

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for one named stream of one dataset: the same seed and labels always give
    /// the same numbers.
    pub fn new(seed: u64, labels: &[&[u8]]) -> Self {
        let mut state = mix(seed ^ 0x5851_f42d_4c95_7f2d);
        for label in labels {
            state = mix(state ^ fnv1a(label));
        }
        Self { state }
    }

    /// A generator derived from this one for a numbered sub-stream (a day, a location).
    pub fn fork(&self, label: &str, number: u64) -> Self {
        Self { state: mix(self.state ^ fnv1a(label.as_bytes()) ^ mix(number.wrapping_add(1))) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in `0..bound` (`bound` > 0; 0 yields 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Multiply-shift: the bias is far below anything a dataset could show.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low).saturating_add(1);
        low.saturating_add_unsigned(self.below(span))
    }

    /// True with probability `percent`/100 (fractions of a percent in `per_mille`).
    pub fn chance_per_mille(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let len = u64::try_from(items.len()).ok()?;
        items.get(usize::try_from(self.below(len)).ok()?)
    }

    /// An index into a list of weights, chosen in proportion to them.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|weight| u64::from(*weight)).sum();
        let mut roll = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if roll < weight {
                return index;
            }
            roll -= weight;
        }
        weights.len().saturating_sub(1)
    }
}

const UPPER_DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER_DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Which Square object an id is for; each kind has its own id shape and stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    Location,
    TeamMember,
    Customer,
    Order,
    Payment,
    Refund,
    Payout,
    Timecard,
    Booking,
    Job,
    BankAccount,
    Catalog,
    Break,
}

impl IdKind {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Location => b"location",
            Self::TeamMember => b"team_member",
            Self::Customer => b"customer",
            Self::Order => b"order",
            Self::Payment => b"payment",
            Self::Refund => b"refund",
            Self::Payout => b"payout",
            Self::Timecard => b"timecard",
            Self::Booking => b"booking",
            Self::Job => b"job",
            Self::BankAccount => b"bank_account",
            Self::Catalog => b"catalog",
            Self::Break => b"break",
        }
    }
}

/// Mints the ids of one dataset. An id is a bijective mix of (kind, number), so two objects of
/// a kind never share an id, written in the alphabet and length Square uses for that kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdMinter {
    seed: u64,
}

impl IdMinter {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// The id of the `number`th object of `kind`.
    pub fn id(&self, kind: IdKind, number: u64) -> String {
        let key = mix(self.seed ^ fnv1a(kind.label()));
        // `mix` is a bijection and the leading block holds all 64 bits of it, so the id is unique
        // per number; the tail only pads to Square's length.
        let unique = mix(key ^ number);
        let padding = mix(unique ^ key);
        match kind {
            // Square location ids are 13 characters; 12 digits keep all but the top bits, which
            // cannot collide for the handful of locations a merchant has.
            IdKind::Location => format!("L{}", encode(unique, UPPER_DIGITS, 12)),
            IdKind::TeamMember => format!("TM{}{}", encode(unique, BASE62, 11), pad(padding, BASE62, 3)),
            IdKind::Customer => format!("{}{}", encode(unique, UPPER_DIGITS, 13), pad(padding, UPPER_DIGITS, 13)),
            IdKind::Order | IdKind::Payment => format!("{}{}", encode(unique, BASE62, 11), pad(padding, BASE62, 16)),
            IdKind::Refund => format!("{}{}", encode(unique, BASE62, 11), pad(padding, BASE62, 11)),
            IdKind::Payout => {
                let hex = format!("{unique:016x}{padding:016x}");
                format!("po_{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
            }
            IdKind::Timecard => encode(unique, UPPER_DIGITS, 13),
            IdKind::Booking => format!("{}{}", encode(unique, LOWER_DIGITS, 13), pad(padding, LOWER_DIGITS, 1)),
            IdKind::Job => format!("{}{}", encode(unique, BASE62, 11), pad(padding, BASE62, 13)),
            IdKind::BankAccount => format!("bact:{}{}", encode(unique, BASE62, 11), pad(padding, BASE62, 9)),
            IdKind::Catalog => format!("{}{}", encode(unique, UPPER_DIGITS, 13), pad(padding, UPPER_DIGITS, 11)),
            IdKind::Break => encode(unique, UPPER_DIGITS, 13),
        }
    }
}

/// `value` in `alphabet`, exactly `width` digits, least significant first (13 digits of a
/// 36-letter alphabet or 11 of a 62-letter one hold all 64 bits).
fn encode(mut value: u64, alphabet: &[u8], width: usize) -> String {
    let base = alphabet.len() as u64;
    let mut text = String::with_capacity(width);
    for _ in 0..width {
        let digit = usize::try_from(value % base).unwrap_or_default();
        text.push(char::from(alphabet[digit]));
        value /= base;
    }
    text
}

/// `width` random-looking digits drawn from `seed` (ten digits per mixed word, so no run of
/// zeros appears once a word's bits are used up).
fn pad(seed: u64, alphabet: &[u8], width: usize) -> String {
    let mut text = String::with_capacity(width);
    let mut word = 0;
    while text.len() < width {
        word += 1;
        let take = (width - text.len()).min(10);
        text.push_str(&encode(mix(seed ^ mix(word)), alphabet, take));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{IdKind, IdMinter, Rng, mix};

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_streams_differ() {
        let mut first = Rng::new(7, &[b"orders"]);
        let mut again = Rng::new(7, &[b"orders"]);
        let mut other = Rng::new(7, &[b"customers"]);
        let a: Vec<u64> = (0..5).map(|_| first.next_u64()).collect();
        let b: Vec<u64> = (0..5).map(|_| again.next_u64()).collect();
        let c: Vec<u64> = (0..5).map(|_| other.next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut rng = Rng::new(1, &[]);
        for _ in 0..10_000 {
            let value = rng.between(-3, 4);
            assert!((-3..=4).contains(&value));
            assert!(rng.below(10) < 10);
        }
        assert_eq!(rng.between(5, 5), 5);
        assert_eq!(rng.weighted(&[0, 3, 0]), 1);
    }

    #[test]
    fn ids_are_unique_per_kind_and_shaped_like_squares() {
        let minter = IdMinter::new(42);
        let ids: HashSet<String> = (0..50_000).map(|number| minter.id(IdKind::Order, number)).collect();
        assert_eq!(ids.len(), 50_000);
        let location = minter.id(IdKind::Location, 0);
        assert!(location.starts_with('L') && location.len() == 13, "{location}");
        assert_eq!(minter.id(IdKind::Customer, 3).len(), 26);
        assert_eq!(minter.id(IdKind::Order, 3).len(), 27);
        assert!(minter.id(IdKind::TeamMember, 1).starts_with("TM"));
        assert!(minter.id(IdKind::Payout, 1).starts_with("po_"));
        assert_eq!(minter.id(IdKind::Payout, 1).len(), 39);
        assert_ne!(mix(1), mix(2));
    }
}
