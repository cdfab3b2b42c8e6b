//! Flow log records aggregated as they are read: per group (interface, direction, destination
//! port, reply side, protocol, action, record status, source class) the records, packets, bytes,
//! window and earliest position, and the distinct sources of each group. Memory follows the
//! number of groups and of distinct (group, source) pairs, never the number of records: a
//! pair is 8 bytes for an IPv4 source (group and address packed into one `u64`), and the pair
//! lists are sorted and de-duplicated whenever they have doubled.

use std::collections::HashMap;

/// The pair lists are first compacted at this length.
const FIRST_COMPACTION: usize = 1 << 16;

/// What a record is grouped by (codes, not names; see [`super::flow`]'s value lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Index into [`FlowSummary::interfaces`].
    pub interface: u32,
    /// Index into [`super::flow::DIRECTIONS`].
    pub direction: Option<u32>,
    /// Destination port.
    pub port: Option<u32>,
    /// Whether the record looks like the reply side of a connection the interface opened: from
    /// a well-known source port (below 1024) to an ephemeral one (1024 and above). Unknown
    /// without `srcport`.
    pub reply: Option<bool>,
    /// IANA protocol number.
    pub protocol: Option<u32>,
    /// Index into [`super::flow::ACTIONS`].
    pub action: Option<u32>,
    /// Index into [`super::flow::LOG_STATUSES`].
    pub status: u32,
    /// Whether the source is an internet address (not a special-purpose or private one).
    pub internet: Option<bool>,
}

/// What the records of one group add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowTotals {
    /// Number of records.
    pub records: u64,
    /// Packets (a record without the field adds nothing).
    pub packets: u64,
    /// Bytes (likewise).
    pub bytes: u64,
    /// Earliest window start, seconds since the epoch.
    pub start: Option<i64>,
    /// Latest window end, seconds since the epoch.
    pub end: Option<i64>,
    /// The earliest record's position (see [`crate::tables::flow`]).
    pub position: u64,
}

impl FlowTotals {
    fn add(&mut self, other: &FlowTotals) {
        self.records += other.records;
        self.packets = self.packets.saturating_add(other.packets);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.start = earliest(self.start, other.start);
        self.end = self.end.max(other.end);
        self.position = self.position.min(other.position);
    }
}

/// The smaller of two optional values, ignoring an absent one.
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => a.or(b),
    }
}

/// Distinct (group, source) pairs: IPv4 sources packed with their group into one `u64`, the
/// others kept whole. A source is IPv4 by value (below 2³²), as the address numbering puts it.
#[derive(Debug, Default)]
struct SourcePairs {
    v4: Vec<u64>,
    v6: Vec<(u32, u128)>,
    v4_compact_at: usize,
    v6_compact_at: usize,
}

impl SourcePairs {
    fn insert(&mut self, group: u32, source: u128) {
        match u32::try_from(source) {
            Ok(v4) => {
                self.v4.push(u64::from(group) << 32 | u64::from(v4));
                compact_when_doubled(&mut self.v4, &mut self.v4_compact_at);
            }
            Err(_) => {
                self.v6.push((group, source));
                compact_when_doubled(&mut self.v6, &mut self.v6_compact_at);
            }
        }
    }

    /// Distinct sources per group, for `groups` groups.
    fn counts(mut self, groups: usize) -> Vec<u32> {
        let mut counts = vec![0; groups];
        compact(&mut self.v4);
        compact(&mut self.v6);
        for pair in self.v4 {
            counts[(pair >> 32) as usize] += 1;
        }
        for (group, _) in self.v6 {
            counts[group as usize] += 1;
        }
        counts
    }
}

fn compact<T: Ord>(pairs: &mut Vec<T>) {
    pairs.sort_unstable();
    pairs.dedup();
}

/// Sorts and de-duplicates `pairs` once they reach `at`, then waits for them to double.
fn compact_when_doubled<T: Ord>(pairs: &mut Vec<T>, at: &mut usize) {
    if pairs.len() >= (*at).max(FIRST_COMPACTION) {
        compact(pairs);
        *at = 2 * pairs.len();
    }
}

/// Flow records aggregated per [`FlowKey`], with their distinct sources.
#[derive(Debug, Default)]
pub struct FlowSummary {
    /// Interface ids, indexed by [`FlowKey::interface`].
    pub interfaces: Vec<String>,
    numbers: HashMap<String, u32>,
    groups: HashMap<FlowKey, u32>,
    keys: Vec<FlowKey>,
    totals: Vec<FlowTotals>,
    sources: SourcePairs,
    records: usize,
    file: u32,
}

impl FlowSummary {
    /// Number of records read into it.
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether no record was read into it.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The evidence file it was read from (see [`FlowSummary::set_file`]).
    pub fn file(&self) -> u32 {
        self.file
    }

    /// Points every record at file `file` (positions are filled in before its index is known).
    pub fn set_file(&mut self, file: u32) {
        self.file = file;
        for t in &mut self.totals {
            t.position |= u64::from(file) << 32;
        }
    }

    /// The number of interface `id`, numbering it if it is new.
    pub fn interface_number(&mut self, id: &str) -> u32 {
        if let Some(number) = self.numbers.get(id) {
            return *number;
        }
        let number = self.interfaces.len() as u32;
        self.numbers.insert(id.to_string(), number);
        self.interfaces.push(id.to_string());
        number
    }

    /// Adds one record: its group, what it counts, and its source when it has one.
    pub fn add(&mut self, key: FlowKey, totals: &FlowTotals, source: Option<u128>) {
        self.records += 1;
        let group = self.group(key, totals);
        if let Some(source) = source {
            self.sources.insert(group, source);
        }
    }

    /// Folds `totals` into `key`'s group, opening it if new; its index.
    fn group(&mut self, key: FlowKey, totals: &FlowTotals) -> u32 {
        match self.groups.get(&key) {
            Some(group) => {
                self.totals[*group as usize].add(totals);
                *group
            }
            None => {
                let group = self.keys.len() as u32;
                self.groups.insert(key, group);
                self.keys.push(key);
                self.totals.push(*totals);
                group
            }
        }
    }

    /// Takes in another summary (another file's), renumbering its interfaces and groups.
    pub fn absorb(&mut self, other: FlowSummary) {
        self.records += other.records;
        let interface: Vec<u32> = (other.interfaces.iter())
            .map(|id| self.interface_number(id))
            .collect();
        let group: Vec<u32> = (other.keys.iter().zip(&other.totals))
            .map(|(key, totals)| {
                let key = FlowKey {
                    interface: interface[key.interface as usize],
                    ..*key
                };
                self.group(key, totals)
            })
            .collect();
        for pair in other.sources.v4 {
            self.sources
                .insert(group[(pair >> 32) as usize], u128::from(pair as u32));
        }
        for (g, source) in other.sources.v6 {
            self.sources.insert(group[g as usize], source);
        }
    }

    /// Every group: its key, its totals and its number of distinct sources.
    pub fn groups(self) -> Vec<(FlowKey, FlowTotals, u32)> {
        let counts = self.sources.counts(self.keys.len());
        (self.keys.into_iter().zip(self.totals).zip(counts))
            .map(|((key, totals), sources)| (key, totals, sources))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(interface: u32, port: u32) -> FlowKey {
        FlowKey {
            interface,
            direction: None,
            port: Some(port),
            reply: None,
            protocol: Some(6),
            action: Some(0),
            status: 0,
            internet: Some(true),
        }
    }

    fn once(position: u64, packets: u64, start: i64) -> FlowTotals {
        FlowTotals {
            records: 1,
            packets,
            bytes: 0,
            start: Some(start),
            end: Some(start + 60),
            position,
        }
    }

    #[test]
    fn groups_add_up_and_count_each_source_once_across_files() {
        let mut first = FlowSummary::default();
        let eni = first.interface_number("eni-1");
        first.add(key(eni, 22), &once(2, 5, 100), Some(7));
        first.add(key(eni, 22), &once(3, 1, 50), Some(7));
        first.add(key(eni, 22), &once(4, 1, 80), Some(1 << 100));
        let mut second = FlowSummary::default();
        let other = second.interface_number("eni-2");
        let eni = second.interface_number("eni-1");
        second.add(key(other, 22), &once(2, 1, 10), Some(7));
        second.add(key(eni, 22), &once(9, 2, 10), Some(7));
        second.add(key(eni, 22), &once(8, 2, 10), Some(8));
        second.set_file(1);
        first.absorb(second);
        assert_eq!(first.len(), 6);
        let groups = first.groups();
        assert_eq!(groups.len(), 2);
        let (k, totals, sources) = groups[0];
        assert_eq!((k, sources), (key(0, 22), 3));
        assert_eq!((totals.records, totals.packets), (5, 11));
        assert_eq!(
            (totals.start, totals.end, totals.position),
            (Some(10), Some(160), 2)
        );
        assert_eq!((groups[1].0.interface, groups[1].2), (1, 1));
    }

    #[test]
    fn compaction_keeps_every_distinct_pair() {
        let mut pairs = SourcePairs::default();
        for i in 0..(3 * FIRST_COMPACTION as u128) {
            pairs.insert((i % 3) as u32, i % 1000);
        }
        // Group i % 3 meets source i % 1000 for every one of the 3,000 combinations.
        assert_eq!(pairs.counts(3), [1000, 1000, 1000]);
    }
}
