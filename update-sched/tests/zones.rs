//! Time zone rules against the system's tz database, zone by zone.
//!
//! Every TZif file under `/usr/share/zoneinfo` ends with the POSIX TZ rule
//! that [`ZoneRule`] implements. These tests parse every one of them and
//! check the rule against two references:
//!
//! - a brute-force search over minutes, for when a window opens;
//! - the zone's own transition table, read independently through the `tz-rs`
//!   crate, for the local time of instants and the opening of windows on
//!   every day from 2026 to 2035.
//!
//! A few zones have transitions their footer cannot express (Morocco's
//! yearly Ramadan change is listed date by date until 2087): their table
//! disagrees with their own footer, read by `tz-rs` too, and they are
//! reported and left out of the table comparison.
//!
//! Without `/usr/share/zoneinfo` (Debian package `tzdata`, which `make
//! setup` installs) the tests print why and pass without checking.

use std::collections::BTreeMap;
use std::path::Path;

use tz::TimeZone;
use update_sched::civil::{Date, WallTime};
use update_sched::window::MaintenanceCalendar;
use update_sched::zone::ZoneRule;

const ZONEINFO: &str = "/usr/share/zoneinfo";
const SECONDS_PER_DAY: i64 = 86_400;

/// Every zone file, name and contents, or `None` (with a message) when the
/// database is missing.
fn zone_files() -> Option<Vec<(String, Vec<u8>)>> {
    if !Path::new(ZONEINFO).is_dir() {
        eprintln!("{ZONEINFO} is missing (install tzdata, e.g. `make setup`): zone tests skipped");
        return None;
    }
    let mut zones = Vec::new();
    let mut stack = vec![Path::new(ZONEINFO).to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .strip_prefix(ZONEINFO)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("posix") || name.starts_with("right") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                if bytes.starts_with(b"TZif") {
                    zones.push((name, bytes));
                }
            }
        }
    }
    zones.sort();
    Some(zones)
}

/// The footer of a TZif file: the text between its last two newlines.
fn footer(bytes: &[u8]) -> String {
    let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let start = text
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

fn unix(date: Date) -> i64 {
    date.days_since_epoch() * SECONDS_PER_DAY
}

fn date(year: i64, month: u8, day: u8) -> Date {
    Date::new(year, month, day).unwrap()
}

/// A zone's offset as pieces `(from, offset)`, each in force until the next.
struct Pieces(Vec<(i64, i32)>);

impl Pieces {
    /// The offsets of `zone` between `from` and `to` (Unix seconds), from
    /// its transition table, or found by search where the table ends.
    fn of(zone: &TimeZone, from: i64, to: i64) -> Pieces {
        let offset = |at: i64| zone.find_local_time_type(at).unwrap().ut_offset();
        let mut pieces = vec![(from, offset(from))];
        let table = zone.as_ref();
        if table
            .transitions()
            .last()
            .is_some_and(|last| last.unix_leap_time() > to)
        {
            // The table lists every transition of the range.
            for transition in table.transitions() {
                let at = transition.unix_leap_time();
                let offset =
                    table.local_time_types()[transition.local_time_type_index()].ut_offset();
                if at > from && at <= to && pieces.last().unwrap().1 != offset {
                    pieces.push((at, offset));
                }
            }
            return Pieces(pieces);
        }
        let mut at = from;
        // Hourly steps, then bisection to the second: independent of how
        // the table is stored (explicit transitions or a footer rule).
        while at < to {
            let next = at + 3_600;
            if offset(next) != offset(at) {
                let (mut low, mut high) = (at, next);
                while high - low > 1 {
                    let middle = (low + high) / 2;
                    if offset(middle) == offset(at) {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                pieces.push((high, offset(high)));
            }
            at = next;
        }
        Pieces(pieces)
    }

    fn offset_at(&self, at: i64) -> i32 {
        let index = self.0.partition_point(|&(from, _)| from <= at);
        self.0[index.max(1) - 1].1
    }

    /// The first instant whose local time lies in `[target, day_end)`.
    fn first_reading(&self, target: i64, day_end: i64) -> Option<i64> {
        self.0
            .iter()
            .enumerate()
            .find_map(|(index, &(from, offset))| {
                let until = self.0.get(index + 1).map_or(i64::MAX, |&(next, _)| next);
                let offset = i64::from(offset);
                let at = from.max(target - offset);
                (at < until && at + offset < day_end).then_some(at)
            })
    }
}

#[test]
fn test_every_zone_footer_parses_and_prints_back() {
    let Some(zones) = zone_files() else { return };
    let mut footers = BTreeMap::new();
    for (name, bytes) in &zones {
        footers.entry(footer(bytes)).or_insert(name.clone());
    }
    for (text, name) in &footers {
        let rule: ZoneRule = text
            .parse()
            .unwrap_or_else(|error| panic!("{name}: {text:?}: {error}"));
        assert_eq!(rule.to_string(), *text, "{name}");
    }
    eprintln!(
        "{} zone files, {} distinct footers parsed",
        zones.len(),
        footers.len()
    );
    assert!(footers.len() > 50);
}

/// Brute force: walk the minutes around `date` and note, for each minute of
/// the day, the first instant at which the zone's clock reads it or later.
fn brute_force_day(rule: &ZoneRule, day: Date) -> Vec<Option<i64>> {
    let mut first = vec![None; 1_440];
    let mut reached = 0usize;
    let start = unix(day) - 16 * 3_600;
    for minute in 0..(24 + 32) * 60 {
        let at = start + minute * 60;
        let local = rule.to_local(WallTime::from_unix_secs(at as u64));
        if local.date() != day {
            continue;
        }
        let minute_of_day = usize::from(local.minute_of_day());
        while reached <= minute_of_day {
            first[reached].get_or_insert(at);
            reached += 1;
        }
    }
    first
}

#[test]
fn test_every_footer_first_reading_matches_brute_force_over_minutes() {
    let Some(zones) = zone_files() else { return };
    let mut footers: Vec<String> = zones.iter().map(|(_, bytes)| footer(bytes)).collect();
    footers.sort();
    footers.dedup();
    let mut checked = 0u64;
    for text in &footers {
        let rule: ZoneRule = text.parse().unwrap();
        // The days on which the offset changes (and their neighbours) in
        // 2026 and 2027, plus one ordinary day a month.
        let mut days = Vec::new();
        let first = unix(date(2026, 1, 1));
        for hour in 0..2 * 366 * 24 {
            let at = (first + hour * 3_600) as u64;
            let before = rule.offset_at(WallTime::from_unix_secs(at));
            let after = rule.offset_at(WallTime::from_unix_secs(at + 3_600));
            if before != after {
                let day = rule.to_local(WallTime::from_unix_secs(at)).date();
                for delta in -1..=1 {
                    days.push(Date::from_days_since_epoch(day.days_since_epoch() + delta).unwrap());
                }
            }
        }
        for month in 1..=12 {
            days.push(date(2026, month, 1 + month * 2));
        }
        days.sort();
        days.dedup();
        for day in days {
            let expected = brute_force_day(&rule, day);
            for (minute, expected) in expected.iter().enumerate() {
                let got = rule
                    .first_reading(day, minute as u16)
                    .map(|at| at.as_unix_secs() as i64);
                // The brute force walks whole minutes; the rules in the
                // database change offsets on whole minutes too.
                assert_eq!(got, *expected, "{text} on {day} at minute {minute}");
                checked += 1;
            }
        }
    }
    eprintln!(
        "{} footers, {checked} (date, time) openings match the minute search",
        footers.len()
    );
}

/// A version 3 TZif file with no transitions and `rule` as its footer, so
/// that `tz-rs` reads the rule with the RFC 8536 extensions (hours beyond
/// 24 and negative times), as it does for the footers of real files.
fn footer_only_tzif(rule: &str) -> Vec<u8> {
    let mut block = Vec::new();
    block.extend_from_slice(b"TZif3");
    block.extend_from_slice(&[0; 15]);
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
    for count in [0u32, 0, 0, 0, 1, 4] {
        block.extend_from_slice(&count.to_be_bytes());
    }
    // One local time type, UTC, and its designation.
    block.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    block.extend_from_slice(b"UTC\0");
    let mut file = block.clone();
    file.extend_from_slice(&block);
    file.extend_from_slice(format!("\n{rule}\n").as_bytes());
    file
}

/// Zones whose transition table for 2026..=2035 is the one their footer
/// describes (both read by `tz-rs`), with their pieces.
fn comparable_zones(
    zones: &[(String, Vec<u8>)],
    from: i64,
    to: i64,
) -> Vec<(String, ZoneRule, Pieces)> {
    let mut comparable = Vec::new();
    let mut skipped = Vec::new();
    let mut by_footer = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for (name, bytes) in zones {
        // Links are copies: compare each distinct file once.
        if !seen.insert(bytes) {
            continue;
        }
        let text = footer(bytes);
        let table = TimeZone::from_tz_data(bytes).unwrap();
        let pieces = Pieces::of(&table, from, to);
        let by_footer = by_footer.entry(text.clone()).or_insert_with(|| {
            TimeZone::from_tz_data(&footer_only_tzif(&text))
                .map(|zone| Pieces::of(&zone, from, to).0)
                .ok()
        });
        if by_footer.as_ref() == Some(&pieces.0) {
            comparable.push((name.clone(), text.parse().unwrap(), pieces));
        } else {
            skipped.push(name.as_str());
        }
    }
    eprintln!(
        "{} zones compared; {} have 2026..2035 transitions their footer does not describe: {}",
        comparable.len(),
        skipped.len(),
        skipped.join(", ")
    );
    comparable
}

/// Compares every zone, every day 2026..=2035: the local time of instants
/// (every `step` seconds and around every transition), the opening of a
/// window at `minutes_per_day` (every quarter hour near a transition) of
/// each day, and the next opening of daily calendars from instants every
/// `grid` seconds.
fn compare_with_tables(step: i64, minutes_per_day: &[u16], grid: i64) {
    let Some(zones) = zone_files() else { return };
    let from = unix(date(2025, 12, 30));
    let to = unix(date(2036, 1, 2));
    let zones = comparable_zones(&zones, from, to);
    let (mut instants, mut openings) = (0u64, 0u64);
    for (name, rule, pieces) in &zones {
        let offset_of = |at: i64| {
            rule.offset_at(WallTime::from_unix_secs(at as u64))
                .as_seconds()
        };
        let mut at = unix(date(2026, 1, 1));
        while at < unix(date(2036, 1, 1)) {
            assert_eq!(offset_of(at), pieces.offset_at(at), "{name} at {at}");
            at += step;
            instants += 1;
        }
        for &(change, offset) in &pieces.0[1..] {
            assert_eq!(offset_of(change), offset, "{name} at transition {change}");
            assert_eq!(
                offset_of(change - 1),
                pieces.offset_at(change - 1),
                "{name} before {change}"
            );
            instants += 2;
        }
        let first_day = date(2026, 1, 1).days_since_epoch();
        let last_day = date(2035, 12, 31).days_since_epoch();
        for day in first_day..=last_day {
            let local_date = Date::from_days_since_epoch(day).unwrap();
            let transition_day = pieces.0[1..]
                .iter()
                .any(|&(change, _)| (change - unix(local_date)).abs() < 2 * SECONDS_PER_DAY);
            let every_minute: Vec<u16>;
            let minutes = if transition_day {
                every_minute = (0..1_440).step_by(15).collect();
                &every_minute[..]
            } else {
                minutes_per_day
            };
            for &minute in minutes {
                let target = unix(local_date) + i64::from(minute) * 60;
                let expected = pieces.first_reading(target, unix(local_date) + SECONDS_PER_DAY);
                let got = rule
                    .first_reading(local_date, minute)
                    .map(|at| at.as_unix_secs() as i64);
                assert_eq!(got, expected, "{name} on {local_date} at minute {minute}");
                openings += 1;
            }
        }
        // Next openings of a daily window from a grid of instants.
        for minute in [90u16, 150, 1_410] {
            let text = format!("daily {:02}:{:02} +60m; {rule}", minute / 60, minute % 60);
            let calendar: MaintenanceCalendar<2> = text.parse().unwrap();
            let mut at = unix(date(2026, 1, 1)) + 1_234;
            while at < unix(date(2035, 12, 20)) {
                let local_day = (at + i64::from(pieces.offset_at(at))).div_euclid(SECONDS_PER_DAY);
                let expected = (local_day - 1..=local_day + 2)
                    .filter_map(|day| {
                        let target = day * SECONDS_PER_DAY + i64::from(minute) * 60;
                        pieces.first_reading(target, (day + 1) * SECONDS_PER_DAY)
                    })
                    .find(|&open| open >= at);
                let got = calendar
                    .next_open(WallTime::from_unix_secs(at as u64))
                    .map(|open| open.as_unix_secs() as i64);
                assert_eq!(got, expected, "{name}: next opening of {text} after {at}");
                at += grid;
                openings += 1;
            }
        }
    }
    eprintln!("{instants} instants and {openings} openings match the zones' tables");
}

#[test]
fn test_every_zone_matches_its_table_2026_to_2035_sampled() {
    compare_with_tables(6 * 3_600 + 17 * 60, &[0, 150, 1_439], 31 * 3_600 + 13 * 60);
}

/// The exhaustive form: every 15 minutes and every quarter hour of each day
/// (`cargo test -p update-sched --test zones -- --ignored`).
#[test]
#[ignore = "exhaustive; run with --ignored"]
fn test_every_zone_matches_its_table_2026_to_2035_exhaustive() {
    let quarters: Vec<u16> = (0..1_440).step_by(15).collect();
    compare_with_tables(15 * 60, &quarters, 3_600 + 7 * 60);
}
