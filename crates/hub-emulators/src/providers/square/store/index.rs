//! Pre-sorted indexes and keyset pages over them. An index holds `(sort key, position)` pairs in
//! order; a page starts by binary search just after the last `(key, position)` a cursor saw and
//! merges the indexes of the locations asked for, so serving a page never scans the dataset
//! and a record whose key moves forward (an update sorted by `updated_at`) is met again later
//! instead of being skipped.

/// `(key, position)` pairs sorted by key, then position.
#[derive(Debug, Clone, Default)]
pub(crate) struct SortedIndex<K> {
    entries: Vec<(K, u32)>,
}

impl<K: Ord + Clone> SortedIndex<K> {
    /// Sorts the pairs once.
    pub fn from_unsorted(mut entries: Vec<(K, u32)>) -> Self {
        entries.sort_unstable();
        Self { entries }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds one entry in place (appending when it sorts last, as new records do).
    pub fn insert(&mut self, key: K, position: u32) {
        let at = self.entries.partition_point(|(k, p)| (k, *p) < (&key, position));
        self.entries.insert(at, (key, position));
    }

    /// Removes one entry; false when it was not there.
    pub fn remove(&mut self, key: &K, position: u32) -> bool {
        match self.entries.binary_search_by(|(k, p)| (k, *p).cmp(&(key, position))) {
            Ok(at) => {
                self.entries.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Moves an entry to a new key.
    pub fn rekey(&mut self, old: &K, new: K, position: u32) {
        self.remove(old, position);
        self.insert(new, position);
    }

    /// The entries inside `range` (and past `after` in `direction`), as a slice.
    fn window(&self, range: &KeyRange<K>, direction: Direction, after: Option<&(K, u32)>) -> &[(K, u32)] {
        let mut start = match &range.low {
            Some(low) => self.entries.partition_point(|(k, _)| k < low),
            None => 0,
        };
        let mut end = match &range.high {
            Some(Bound::Inclusive(high)) => self.entries.partition_point(|(k, _)| k <= high),
            Some(Bound::Exclusive(high)) => self.entries.partition_point(|(k, _)| k < high),
            None => self.entries.len(),
        };
        if let Some((key, position)) = after {
            match direction {
                Direction::Ascending => {
                    start = start.max(self.entries.partition_point(|(k, p)| (k, *p) <= (key, *position)));
                }
                Direction::Descending => {
                    end = end.min(self.entries.partition_point(|(k, p)| (k, *p) < (key, *position)));
                }
            }
        }
        self.entries.get(start..end.max(start)).unwrap_or(&[])
    }
}

/// Which way a page walks its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Ascending,
    Descending,
}

/// The upper end of a key range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bound<K> {
    Inclusive(K),
    Exclusive(K),
}

/// Keys from `low` (inclusive) up to `high`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange<K> {
    pub low: Option<K>,
    pub high: Option<Bound<K>>,
}

impl<K> KeyRange<K> {
    pub fn all() -> Self {
        Self { low: None, high: None }
    }
}

/// One page: positions in walk order, and the last `(key, position)` when more may follow.
#[derive(Debug, Clone)]
pub(crate) struct Page<K> {
    pub positions: Vec<u32>,
    pub next: Option<(K, u32)>,
}

/// What one page asks for.
pub(crate) struct PageQuery<'a, K> {
    /// One index per location searched; positions are unique across them.
    pub sources: Vec<&'a SortedIndex<K>>,
    pub range: KeyRange<K>,
    pub direction: Direction,
    pub after: Option<(K, u32)>,
    pub limit: usize,
}

/// Walks the sources in key order from the cursor, keeping positions `accept` takes, until the
/// page is full; `next` is set only when at least one more accepted entry exists.
pub(crate) fn page<K: Ord + Clone>(query: PageQuery<'_, K>, mut accept: impl FnMut(u32) -> bool) -> Page<K> {
    let direction = query.direction;
    let mut windows: Vec<&[(K, u32)]> =
        query.sources.iter().map(|index| index.window(&query.range, direction, query.after.as_ref())).collect();
    let limit = query.limit.max(1);
    let mut positions = Vec::with_capacity(limit.min(1024));
    let mut last: Option<&(K, u32)> = None;
    loop {
        let Some(source) = next_source(&windows, direction) else {
            return Page { positions, next: None };
        };
        let window = windows[source];
        let (entry, rest) = match direction {
            Direction::Ascending => (&window[0], &window[1..]),
            Direction::Descending => (&window[window.len() - 1], &window[..window.len() - 1]),
        };
        windows[source] = rest;
        if !accept(entry.1) {
            continue;
        }
        if positions.len() == limit {
            // One more accepted entry exists: the page ends at the last one taken.
            return Page { positions, next: last.cloned() };
        }
        positions.push(entry.1);
        last = Some(entry);
    }
}

/// The source whose head comes first in walk order.
fn next_source<K: Ord>(windows: &[&[(K, u32)]], direction: Direction) -> Option<usize> {
    let mut best: Option<(usize, &(K, u32))> = None;
    for (source, window) in windows.iter().enumerate() {
        let head = match direction {
            Direction::Ascending => window.first(),
            Direction::Descending => window.last(),
        };
        let Some(head) = head else { continue };
        let better = match best {
            None => true,
            Some((_, current)) => match direction {
                Direction::Ascending => (&head.0, head.1) < (&current.0, current.1),
                Direction::Descending => (&head.0, head.1) > (&current.0, current.1),
            },
        };
        if better {
            best = Some((source, head));
        }
    }
    best.map(|(source, _)| source)
}

#[cfg(test)]
mod tests {
    use super::{Bound, Direction, KeyRange, PageQuery, SortedIndex, page};

    fn walk(
        sources: &[&SortedIndex<i64>],
        range: &KeyRange<i64>,
        direction: Direction,
        limit: usize,
        accept: impl Fn(u32) -> bool,
    ) -> Vec<u32> {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let query = PageQuery { sources: sources.to_vec(), range: range.clone(), direction, after, limit };
            let result = page(query, &accept);
            assert!(result.positions.len() <= limit);
            seen.extend(result.positions);
            match result.next {
                Some(next) => after = Some(next),
                None => return seen,
            }
        }
    }

    #[test]
    fn merged_walks_see_every_entry_once_in_order_whatever_the_page_size() {
        let even = SortedIndex::from_unsorted((0..50).map(|n| (i64::from(n / 3), n * 2)).collect());
        let odd = SortedIndex::from_unsorted((0..50).map(|n| (i64::from(n / 2), n * 2 + 1)).collect());
        for limit in [1, 3, 7, 100] {
            let ascending = walk(&[&even, &odd], &KeyRange::all(), Direction::Ascending, limit, |_| true);
            assert_eq!(ascending.len(), 100, "limit {limit}");
            let mut sorted = ascending.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 100);
            let descending = walk(&[&even, &odd], &KeyRange::all(), Direction::Descending, limit, |_| true);
            assert_eq!(descending.iter().rev().copied().collect::<Vec<_>>(), ascending);
        }
    }

    #[test]
    fn ranges_filters_and_the_last_page_have_no_dangling_cursor() {
        let index = SortedIndex::from_unsorted((0..20).map(|n| (i64::from(n), n)).collect());
        let range = KeyRange { low: Some(5), high: Some(Bound::Exclusive(15)) };
        let seen = walk(&[&index], &range, Direction::Ascending, 4, |position| position % 2 == 0);
        assert_eq!(seen, vec![6, 8, 10, 12, 14]);
        let exact = page(
            PageQuery {
                sources: vec![&index],
                range: range.clone(),
                direction: Direction::Ascending,
                after: None,
                limit: 10,
            },
            |_| true,
        );
        assert_eq!(exact.positions.len(), 10);
        assert!(exact.next.is_none(), "a full last page needs no cursor");
        let inclusive = KeyRange { low: Some(18), high: Some(Bound::Inclusive(19)) };
        assert_eq!(walk(&[&index], &inclusive, Direction::Ascending, 5, |_| true), vec![18, 19]);
    }

    #[test]
    fn an_entry_moved_forward_during_a_walk_is_met_again() {
        let mut index = SortedIndex::from_unsorted((0..10).map(|n| (i64::from(n), n)).collect());
        let first = page(
            PageQuery {
                sources: vec![&index],
                range: KeyRange::all(),
                direction: Direction::Ascending,
                after: None,
                limit: 5,
            },
            |_| true,
        );
        assert_eq!(first.positions, vec![0, 1, 2, 3, 4]);
        index.rekey(&2, 100, 2);
        let rest = page(
            PageQuery {
                sources: vec![&index],
                range: KeyRange::all(),
                direction: Direction::Ascending,
                after: first.next,
                limit: 50,
            },
            |_| true,
        );
        assert_eq!(rest.positions, vec![5, 6, 7, 8, 9, 2]);
        assert!(index.remove(&100, 2));
        assert!(!index.remove(&100, 2));
        assert_eq!(index.len(), 9);
    }
}
