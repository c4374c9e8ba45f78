//! Maintenance windows and the calendars made of them.
//!
//! A [`Window`] is a set of weekdays, a start time (minute of the local day)
//! and a length of 1 minute ..= 7 days. It belongs to the day it starts on,
//! may run past midnight and past Sunday night into Monday, and is
//! half-open: open at its first minute, closed again at `start + length`.
//! A [`MaintenanceCalendar`] is the union of up to `W` windows, read on a
//! wall clock set to the calendar's [`UtcOffset`].
//!
//! Everything is computed on the local week, 10 080 minutes from Monday
//! 00:00, seen as a circle. Each window contributes one interval per weekday
//! (its occurrences). The calendar stores only the windows and derives the
//! merged intervals on demand: an opening edge is an occurrence start whose
//! preceding minute is uncovered, a closing edge an occurrence end that is
//! itself uncovered. That costs O((7 W)^2) small integer steps per question,
//! nothing for a handful of windows, and keeps the calendar at
//! `size_of::<MaintenanceCalendar<W>>() <= 6 * W + 152` bytes on 64-bit
//! targets (6 bytes per window, at most 128 for an optional time zone rule,
//! the `heapless::Vec` length, the offset and
//! padding), which matters because the kernel keeps one per profile.
//!
//! # Text form
//!
//! A window is `<days> <HH:MM> +<length>`, for example `Sat,Sun 22:30 +60m`.
//! The normalized form, which [`Window`]'s `Display` prints:
//!
//! - days in Monday-first order, separated by `,`; a run of three or more
//!   consecutive days within Monday..Sunday prints as a range `Mon..Fri`;
//!   all seven days print as `daily`. So Saturday, Sunday and Monday print
//!   as `Mon,Sat,Sun`, and Friday to Monday as `Mon,Fri..Sun`.
//! - the start as two-digit hour and minute, `09:05`;
//! - the length in minutes, `+60m`, `+90m`, `+360m`, except a whole number
//!   of days, which prints in days, `+1d`, `+7d` (so two hours print as
//!   `+120m` and 48 hours as `+2d`).
//!
//! Parsing also accepts day names in any ASCII case, full names (`Monday`),
//! ranges that wrap past Sunday (`Fri..Mon` is Friday, Saturday, Sunday and
//! Monday; `Mon..Mon` is Monday alone), lists mixing ranges and days
//! (`Mon..Wed,Sat`), spaces after the commas, a one-digit hour (`9:05`) and
//! any exact length in `m`, `h` or `d` (`+2h`, `+1440m`), and prints it back
//! in the normalized form (`+120m`, `+1d`). Normalized text parses and prints
//! back identically.
//!
//! A calendar is its windows, in the order they were added, followed by its
//! offset, all separated by `; `: `Mon..Fri 02:00 +120m; Sat,Sun 22:30 +60m;
//! UTC+01:00`. The offset prints as `UTC` when it is zero and as
//! `UTC+HH:MM` or `UTC-HH:MM` otherwise; an empty calendar prints only the
//! offset. When parsing, the offset element may stand anywhere, at most once,
//! and may be left out for UTC.
//!
//! Instead of the offset, the calendar may name a time zone by its POSIX TZ
//! rule (see [`crate::zone`]): `Mon..Fri 01:00 +180m;
//! CET-1CEST,M3.5.0,M10.5.0/3`. The rule prints back as written. An element
//! without spaces that holds a digit, `<` or `/` is read as a rule; a zone
//! name such as `Europe/Berlin` is resolved to its rule by the host before
//! it reaches this parser.

use core::fmt;
use core::str::FromStr;

use bitflags::bitflags;
use heapless::Vec;

use crate::civil::{
    Date, LocalTime, OffsetError, UtcOffset, WallTime, Weekday, MINUTES_PER_DAY, MINUTES_PER_WEEK,
    SECONDS_PER_WEEK,
};
use crate::time::Duration;
use crate::zone::{ZoneError, ZoneRule};

/// How many local days past the present a calendar in a time zone looks for
/// its next opening: a week, plus the longest merged window a calendar that
/// is not always open can have (under a week), plus slack for transitions.
const ZONE_SEARCH_DAYS: i64 = 16;

/// The longest window: a whole week, in minutes.
pub const MAX_WINDOW_MINUTES: u16 = MINUTES_PER_WEEK;

bitflags! {
    /// A set of weekdays. Bit `i` is the day with [`Weekday::index`] `i`.
    ///
    /// Prints and parses in the normalized day-list form described in the
    /// module documentation (`Mon..Fri`, `Sat,Sun`, `daily`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Weekdays: u8 {
        /// Monday.
        const MONDAY = 1 << 0;
        /// Tuesday.
        const TUESDAY = 1 << 1;
        /// Wednesday.
        const WEDNESDAY = 1 << 2;
        /// Thursday.
        const THURSDAY = 1 << 3;
        /// Friday.
        const FRIDAY = 1 << 4;
        /// Saturday.
        const SATURDAY = 1 << 5;
        /// Sunday.
        const SUNDAY = 1 << 6;
    }
}

impl Weekdays {
    /// The set holding only `day`.
    #[inline]
    pub const fn from_weekday(day: Weekday) -> Weekdays {
        Weekdays::from_bits_truncate(1 << day.index())
    }

    /// Whether `day` is in the set.
    #[inline]
    pub const fn contains_day(self, day: Weekday) -> bool {
        self.contains(Weekdays::from_weekday(day))
    }

    /// The days from `first` to `last` inclusive, wrapping past Sunday:
    /// `Fri..Mon` is Friday to Monday, `Mon..Mon` is Monday alone.
    #[inline]
    pub const fn range(first: Weekday, last: Weekday) -> Weekdays {
        let mut days = Weekdays::from_weekday(first);
        let mut day = first;
        while day.index() != last.index() {
            day = day.next();
            days = days.union(Weekdays::from_weekday(day));
        }
        days
    }
}

/// Prints the normalized day list: `Mon..Fri`, `Mon,Sat,Sun`, `daily`, and
/// nothing for the empty set.
impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("daily");
        }
        let mut separator = "";
        let mut index = 0;
        while index < 7 {
            if self.bits() & (1 << index) == 0 {
                index += 1;
                continue;
            }
            let run_start = index;
            while index < 7 && self.bits() & (1 << index) != 0 {
                index += 1;
            }
            let run_end = index - 1;
            let first = Weekday::ALL[run_start];
            if run_end - run_start >= 2 {
                write!(f, "{separator}{first}..{}", Weekday::ALL[run_end])?;
            } else {
                for day in &Weekday::ALL[run_start..=run_end] {
                    write!(f, "{separator}{day}")?;
                    separator = ",";
                }
            }
            separator = ",";
        }
        Ok(())
    }
}

/// Parses a day list: `daily`, or comma-separated day names and ranges
/// `first..last`, in any ASCII case, with optional spaces around items.
impl FromStr for Weekdays {
    type Err = WindowError;

    fn from_str(text: &str) -> Result<Weekdays, WindowError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(WindowError::NoDays);
        }
        if text.eq_ignore_ascii_case("daily") {
            return Ok(Weekdays::all());
        }
        let mut days = Weekdays::empty();
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(WindowError::Malformed {
                    expected: "a day name or range between commas",
                });
            }
            let day = |name: &str| {
                name.trim()
                    .parse::<Weekday>()
                    .map_err(|_| WindowError::UnknownDay)
            };
            days |= match item.split_once("..") {
                Some((first, last)) => Weekdays::range(day(first)?, day(last)?),
                None => Weekdays::from_weekday(day(item)?),
            };
        }
        Ok(days)
    }
}

/// One recurring maintenance window: on each of `days`, from the start
/// minute for `length` minutes, half-open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    days: Weekdays,
    start_minute: u16,
    length_minutes: u16,
}

impl Window {
    /// A window opening at `start_minute_of_day` (0 ..= 1439, minutes since
    /// local midnight) on each of `days`, open for `length_minutes`
    /// (1 ..= 10 080).
    #[inline]
    pub const fn new(
        days: Weekdays,
        start_minute_of_day: u16,
        length_minutes: u16,
    ) -> Result<Window, WindowError> {
        if days.is_empty() {
            return Err(WindowError::NoDays);
        }
        if start_minute_of_day >= MINUTES_PER_DAY {
            return Err(WindowError::StartHourOutOfRange);
        }
        if length_minutes == 0 {
            return Err(WindowError::ZeroLength);
        }
        if length_minutes > MAX_WINDOW_MINUTES {
            return Err(WindowError::LongerThanWeek);
        }
        Ok(Window {
            days,
            start_minute: start_minute_of_day,
            length_minutes,
        })
    }

    /// The days the window opens on.
    #[inline]
    pub const fn days(self) -> Weekdays {
        self.days
    }

    /// Minutes from local midnight to the opening, 0 ..= 1439.
    #[inline]
    pub const fn start_minute_of_day(self) -> u16 {
        self.start_minute
    }

    /// How long the window stays open, in minutes (1 ..= 10 080).
    #[inline]
    pub const fn length_minutes(self) -> u16 {
        self.length_minutes
    }

    /// How long the window stays open.
    #[inline]
    pub const fn length(self) -> Duration {
        Duration::from_minutes(self.length_minutes as u64)
    }

    /// Whether the window is open during local minute `minute_of_week`
    /// (0 = Monday 00:00). Minutes past the week wrap around.
    pub fn contains_minute_of_week(self, minute_of_week: u16) -> bool {
        let minute = minute_of_week % MINUTES_PER_WEEK;
        self.occurrences()
            .any(|(start, length)| minutes_after(start, minute) < length)
    }

    /// `(start minute of week, length)` for each day the window opens on.
    fn occurrences(self) -> impl Iterator<Item = (u16, u16)> {
        Weekday::ALL
            .into_iter()
            .filter(move |day| self.days.contains_day(*day))
            .map(move |day| {
                let start = u16::from(day.index()) * MINUTES_PER_DAY + self.start_minute;
                (start, self.length_minutes)
            })
    }
}

/// Prints the normalized form, e.g. `Mon..Fri 02:00 +120m`: the length in
/// minutes, or in days when it is a whole number of days (`+1d`, `+7d`).
impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:02}:{:02} +",
            self.days,
            self.start_minute / 60,
            self.start_minute % 60
        )?;
        let length = self.length_minutes;
        if length.is_multiple_of(MINUTES_PER_DAY) {
            write!(f, "{}d", length / MINUTES_PER_DAY)
        } else {
            write!(f, "{length}m")
        }
    }
}

/// Parses `<days> <HH:MM> +<length>`; see the module documentation.
impl FromStr for Window {
    type Err = WindowError;

    fn from_str(text: &str) -> Result<Window, WindowError> {
        let text = text.trim();
        // Day lists may contain spaces after commas, so they run up to the
        // first token that starts like a time; day names never start with a
        // digit or a sign.
        let days_end = text
            .find(|c: char| c.is_ascii_digit() || c == '+')
            .unwrap_or(text.len());
        let days: Weekdays = text[..days_end].parse()?;
        let mut tokens = text[days_end..].split_ascii_whitespace();
        let start = parse_start(tokens.next().ok_or(WindowError::Malformed {
            expected: "a start time like 22:30 after the days",
        })?)?;
        let length = parse_length(tokens.next().ok_or(WindowError::Malformed {
            expected: "a length like +90m, +2h or +1d after the start time",
        })?)?;
        if tokens.next().is_some() {
            return Err(WindowError::Malformed {
                expected: "nothing after the length",
            });
        }
        Window::new(days, start, length)
    }
}

/// Parses `HH:MM` (or `H:MM`) into minutes since midnight.
fn parse_start(text: &str) -> Result<u16, WindowError> {
    const EXPECTED: WindowError = WindowError::Malformed {
        expected: "a start time like 22:30",
    };
    let (hour, minute) = text.split_once(':').ok_or(EXPECTED)?;
    if !(1..=2).contains(&hour.len()) || minute.len() != 2 {
        return Err(EXPECTED);
    }
    let hour = parse_number(hour).ok_or(EXPECTED)?;
    let minute = parse_number(minute).ok_or(EXPECTED)?;
    if hour > 23 {
        return Err(WindowError::StartHourOutOfRange);
    }
    if minute > 59 {
        return Err(WindowError::StartMinuteOutOfRange);
    }
    // Both checked above: at most 23 * 60 + 59.
    Ok((hour * 60 + minute) as u16)
}

/// Parses `+<number><unit>` with unit `m`, `h` or `d` into minutes, checking
/// the range of a window's length.
fn parse_length(text: &str) -> Result<u16, WindowError> {
    const EXPECTED: WindowError = WindowError::Malformed {
        expected: "a length like +90m, +2h or +1d",
    };
    let text = text.strip_prefix('+').ok_or(EXPECTED)?;
    let unit_minutes: u32 = match text.as_bytes().last() {
        Some(b'm') => 1,
        Some(b'h') => 60,
        Some(b'd') => u32::from(MINUTES_PER_DAY),
        _ => return Err(EXPECTED),
    };
    let count = parse_number(&text[..text.len() - 1]).ok_or(EXPECTED)?;
    match count.checked_mul(unit_minutes) {
        Some(0) => Err(WindowError::ZeroLength),
        Some(minutes) if minutes <= u32::from(MAX_WINDOW_MINUTES) => Ok(minutes as u16),
        // A huge count overflows only because it is far longer than a week.
        _ => Err(WindowError::LongerThanWeek),
    }
}

/// The value of a non-empty run of ASCII digits, saturating at `u32::MAX`
/// (every caller rejects values that large).
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u32, |value, byte| {
        byte.is_ascii_digit().then(|| {
            value
                .saturating_mul(10)
                .saturating_add(u32::from(byte - b'0'))
        })
    })
}

/// Minutes from `from` forward to `to` on the circle of the week.
fn minutes_after(from: u16, to: u16) -> u16 {
    (to + MINUTES_PER_WEEK - from) % MINUTES_PER_WEEK
}

/// Why a window or calendar could not be built or parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowError {
    /// The window opens on no day at all.
    NoDays,
    /// A day name is none of `Mon`..`Sun`, `Monday`..`Sunday` or `daily`.
    UnknownDay,
    /// The start hour is not 00..=23 (or the start minute of the day is not
    /// below 1440).
    StartHourOutOfRange,
    /// The start minute is not 00..=59.
    StartMinuteOutOfRange,
    /// The window has no length.
    ZeroLength,
    /// The window is longer than a week (10 080 minutes).
    LongerThanWeek,
    /// The calendar's UTC offset is malformed or out of range.
    Offset(OffsetError),
    /// The calendar's time zone rule is malformed.
    Zone(ZoneError),
    /// The calendar text lists more windows than the calendar holds.
    TooManyWindows,
    /// The text does not have the expected shape.
    Malformed {
        /// What the parser expected where it stopped.
        expected: &'static str,
    },
}

impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowError::NoDays => f.write_str("the window opens on no day: name at least one"),
            WindowError::UnknownDay => f.write_str(
                "unknown day name: expected Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range like \
                 Mon..Fri, or daily",
            ),
            WindowError::StartHourOutOfRange => {
                f.write_str("start hour out of range: expected 00..=23")
            }
            WindowError::StartMinuteOutOfRange => {
                f.write_str("start minute out of range: expected 00..=59")
            }
            WindowError::ZeroLength => f.write_str("the window has zero length"),
            WindowError::LongerThanWeek => {
                f.write_str("the window is longer than a week: at most +7d (10080 minutes)")
            }
            WindowError::Offset(error) => error.fmt(f),
            WindowError::Zone(error) => error.fmt(f),
            WindowError::TooManyWindows => f.write_str("more windows than the calendar holds"),
            WindowError::Malformed { expected } => {
                write!(f, "malformed window: expected {expected}")
            }
        }
    }
}

impl core::error::Error for WindowError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            WindowError::Offset(error) => Some(error),
            WindowError::Zone(error) => Some(error),
            _ => None,
        }
    }
}

/// Why a window could not be added to a calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CalendarError {
    /// The calendar already holds as many windows as its capacity `W`.
    Full,
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::Full => f.write_str("the maintenance calendar is full"),
        }
    }
}

impl core::error::Error for CalendarError {}

/// The union of up to `W` maintenance windows on a wall clock set to a
/// fixed [`UtcOffset`] or following a time zone's [`ZoneRule`].
///
/// Overlapping and adjacent windows merge: the calendar opens once and
/// closes once for them. Every question takes the current [`WallTime`]; the
/// calendar never reads a clock.
///
/// In a time zone, a window on local date D starting at local time T opens
/// at the first instant at which the zone's wall clock, on date D, reads T
/// or later ([`ZoneRule::first_reading`]), and then lasts its stated length
/// in real minutes. So a start in a skipped hour opens when the gap ends, a
/// start in a repeated hour opens at its first occurrence only, and a window
/// never opens twice on one date. A calendar whose windows cover the whole
/// local week stays always open across transitions.
/// [`MaintenanceCalendar::open_minutes_per_week`] and
/// [`MaintenanceCalendar::longest_opening_minutes`] count the written week,
/// as if no transition happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaintenanceCalendar<const W: usize> {
    windows: Vec<Window, W>,
    offset: UtcOffset,
    zone: Option<ZoneRule>,
}

impl<const W: usize> Default for MaintenanceCalendar<W> {
    /// An empty calendar in UTC.
    fn default() -> Self {
        MaintenanceCalendar::new(UtcOffset::UTC)
    }
}

impl<const W: usize> MaintenanceCalendar<W> {
    /// An empty calendar (never open) read in local time at `offset`.
    #[inline]
    pub const fn new(offset: UtcOffset) -> Self {
        MaintenanceCalendar {
            windows: Vec::new(),
            offset,
            zone: None,
        }
    }

    /// An empty calendar (never open) read in local time in `zone`.
    pub fn in_zone(zone: ZoneRule) -> Self {
        MaintenanceCalendar {
            windows: Vec::new(),
            offset: zone.standard_offset(),
            zone: Some(zone),
        }
    }

    /// The offset of the local time the windows are stated in; in a time
    /// zone, its standard offset (see [`MaintenanceCalendar::offset_at`]).
    #[inline]
    pub const fn offset(&self) -> UtcOffset {
        self.offset
    }

    /// The time zone the windows are stated in, if they follow one rather
    /// than a fixed offset.
    pub fn zone(&self) -> Option<&ZoneRule> {
        self.zone.as_ref()
    }

    /// The offset of the calendar's local time at `wall`: the fixed offset,
    /// or the zone's offset in force at that instant.
    pub fn offset_at(&self, wall: WallTime) -> UtcOffset {
        match &self.zone {
            Some(zone) => zone.offset_at(wall),
            None => self.offset,
        }
    }

    /// The calendar's local date and time at `wall`.
    pub fn to_local(&self, wall: WallTime) -> LocalTime {
        wall.to_local(self.offset_at(wall))
    }

    /// Adds a window, or reports [`CalendarError::Full`] when `W` windows
    /// are already there.
    pub fn push(&mut self, window: Window) -> Result<(), CalendarError> {
        self.windows.push(window).map_err(|_| CalendarError::Full)
    }

    /// The windows, in the order they were added.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// Whether the calendar has no window, so it is never open.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Whether the windows cover the whole week, so it never closes.
    pub fn is_always_open(&self) -> bool {
        !self.is_empty() && self.opening_edges().next().is_none()
    }

    /// Whether a window is open at `wall`.
    pub fn contains(&self, wall: WallTime) -> bool {
        if let Some(zone) = &self.zone {
            return self.is_always_open()
                || self
                    .zoned_covering(zone, wall.as_unix_secs())
                    .next()
                    .is_some();
        }
        self.covers(local_minute_of_week(wall, self.offset))
    }

    /// The next instant at or after `wall` at which the calendar opens,
    /// that is, goes from closed to open.
    ///
    /// If `wall` is exactly such an instant it is returned. While the
    /// calendar is open (and `wall` is not its opening instant), this is
    /// the opening after the current merged window closes. `None` for an
    /// empty calendar, for one that is always open (it never opens), and
    /// past [`WallTime::MAX`]. Use [`MaintenanceCalendar::time_until_open`]
    /// to ask "how long until updates may run".
    pub fn next_open(&self, wall: WallTime) -> Option<WallTime> {
        if let Some(zone) = &self.zone {
            return self.zoned_next_open(zone, wall);
        }
        let now = wall.local_second_of_week(self.offset);
        let ahead = self
            .opening_edges()
            .map(|edge| seconds_after(now, u32::from(edge) * 60))
            .min()?;
        wall.checked_add(Duration::from_secs(u64::from(ahead)))
    }

    /// How long until a window is open: zero while one is open, otherwise
    /// the time until [`MaintenanceCalendar::next_open`]. `None` for an
    /// empty calendar.
    pub fn time_until_open(&self, wall: WallTime) -> Option<Duration> {
        if self.contains(wall) {
            return Some(Duration::ZERO);
        }
        Some(self.next_open(wall)?.saturating_duration_since(wall))
    }

    /// When the merged window open at `wall` closes.
    ///
    /// `None` when the calendar is closed at `wall`, and also when it never
    /// closes because its windows cover the whole week (tell the two apart
    /// with [`MaintenanceCalendar::contains`] or
    /// [`MaintenanceCalendar::is_always_open`]), and past [`WallTime::MAX`].
    pub fn current_close(&self, wall: WallTime) -> Option<WallTime> {
        if let Some(zone) = &self.zone {
            return self.zoned_current_close(zone, wall);
        }
        let now = wall.local_second_of_week(self.offset);
        if !self.covers((now / 60) as u16) {
            return None;
        }
        // Open now, so the first closing edge after now ends this merged
        // window; none lies at `now` itself because that minute is covered.
        let ahead = self
            .closing_edges()
            .map(|edge| seconds_after(now, u32::from(edge) * 60))
            .min()?;
        wall.checked_add(Duration::from_secs(u64::from(ahead)))
    }

    /// How long the window open at `wall` stays open; `None` in the same
    /// cases as [`MaintenanceCalendar::current_close`].
    pub fn time_until_close(&self, wall: WallTime) -> Option<Duration> {
        Some(self.current_close(wall)?.saturating_duration_since(wall))
    }

    /// When the merged window open at `wall` opened: the latest opening
    /// instant at or before `wall`. `None` when the calendar is closed at
    /// `wall` or always open. Frequency policies use its local date: a
    /// window that opens on Sunday night and runs into Monday still
    /// belongs to Sunday.
    pub fn current_open_since(&self, wall: WallTime) -> Option<WallTime> {
        if let Some(zone) = &self.zone {
            return self.zoned_current_open_since(zone, wall);
        }
        let now = wall.local_second_of_week(self.offset);
        if !self.covers((now / 60) as u16) {
            return None;
        }
        let back = self
            .opening_edges()
            .map(|edge| seconds_after(u32::from(edge) * 60, now))
            .min()?;
        wall.checked_sub(Duration::from_secs(u64::from(back)))
    }

    /// The longest merged opening, in minutes (10 080 when always open, 0
    /// when empty). An update estimated to take longer than this can never
    /// fit inside a window.
    pub fn longest_opening_minutes(&self) -> u32 {
        if self.is_always_open() {
            return u32::from(MINUTES_PER_WEEK);
        }
        self.opening_edges()
            .map(|edge| {
                self.closing_edges()
                    .map(|close| u32::from(minutes_after(edge, close)))
                    .min()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }

    /// Minutes per week during which the calendar is open, counting
    /// overlapping windows once: 0 ..= 10 080.
    pub fn open_minutes_per_week(&self) -> u32 {
        let mut total = 0;
        let mut any_edge = false;
        for (index, (edge, _)) in self.occurrences().enumerate() {
            if !self.is_opening_edge(edge) {
                continue;
            }
            any_edge = true;
            // Several occurrences may open at the same minute; count the
            // merged window once, at the first of them.
            if self
                .occurrences()
                .take(index)
                .any(|(start, _)| start == edge)
            {
                continue;
            }
            // A closing edge is uncovered and an opening edge covered, so
            // none coincide and every distance is positive. There is one,
            // because a calendar that opens somewhere also closes somewhere.
            let length = self
                .closing_edges()
                .map(|close| minutes_after(edge, close))
                .min()
                .unwrap_or(0);
            total += u32::from(length);
        }
        match (any_edge, self.is_empty()) {
            (true, _) => total,
            // No edge at all: either nothing is open or everything is.
            (false, true) => 0,
            (false, false) => u32::from(MINUTES_PER_WEEK),
        }
    }

    /// The next `count` opening instants at or after `from`, as
    /// [`MaintenanceCalendar::next_open`] finds them one after the other.
    pub fn openings(&self, from: WallTime, count: usize) -> Openings<'_, W> {
        Openings {
            calendar: self,
            from: Some(from),
            remaining: count,
        }
    }

    /// Every `(open, close)` in Unix seconds of every window on the local
    /// days `first..=last` (day counts since 1970-01-01) in `zone`.
    fn zoned_occurrences<'a>(
        &'a self,
        zone: &'a ZoneRule,
        first: i64,
        last: i64,
    ) -> impl Iterator<Item = (u64, u64)> + 'a {
        (first..=last)
            .filter_map(Date::from_days_since_epoch)
            .flat_map(move |date| {
                self.windows
                    .iter()
                    .filter(move |window| window.days().contains_day(date.weekday()))
                    .filter_map(move |window| {
                        let open = zone
                            .first_reading(date, window.start_minute_of_day())?
                            .as_unix_secs();
                        Some((open, open + u64::from(window.length_minutes()) * 60))
                    })
            })
    }

    /// The occurrences open at Unix second `at` in `zone`.
    fn zoned_covering<'a>(
        &'a self,
        zone: &'a ZoneRule,
        at: u64,
    ) -> impl Iterator<Item = (u64, u64)> + 'a {
        let day = zoned_day(zone, at);
        // A window lasts at most a week, and a fall-back can show the
        // previous date after an opening.
        self.zoned_occurrences(zone, day - 8, day + 1)
            .filter(move |&(open, close)| open <= at && at < close)
    }

    fn zoned_next_open(&self, zone: &ZoneRule, wall: WallTime) -> Option<WallTime> {
        if self.is_always_open() {
            return None;
        }
        let at = wall.as_unix_secs();
        let today = zoned_day(zone, at);
        let mut best: Option<u64> = None;
        for day in today - 1..=today + ZONE_SEARCH_DAYS {
            if best.is_some_and(|best| day > zoned_day(zone, best) + 1) {
                break;
            }
            for (open, _) in self.zoned_occurrences(zone, day, day) {
                let earlier = best.is_none_or(|best| open < best);
                if open >= at
                    && earlier
                    && (open == 0 || self.zoned_covering(zone, open - 1).next().is_none())
                {
                    best = Some(open);
                }
            }
        }
        best.map(WallTime::from_unix_secs)
    }

    fn zoned_current_close(&self, zone: &ZoneRule, wall: WallTime) -> Option<WallTime> {
        if self.is_always_open() {
            return None;
        }
        let mut close = self
            .zoned_covering(zone, wall.as_unix_secs())
            .map(|(_, close)| close)
            .max()?;
        // Follow overlapping windows; a calendar that is not always open
        // closes within a few weeks' worth of occurrences.
        for _ in 0..(8 * W + 16) {
            match self.zoned_covering(zone, close).map(|(_, end)| end).max() {
                Some(end) => close = end,
                None => return Some(WallTime::from_unix_secs(close)),
            }
        }
        None
    }

    fn zoned_current_open_since(&self, zone: &ZoneRule, wall: WallTime) -> Option<WallTime> {
        if self.is_always_open() {
            return None;
        }
        let mut open = self
            .zoned_covering(zone, wall.as_unix_secs())
            .map(|(open, _)| open)
            .min()?;
        for _ in 0..(8 * W + 16) {
            let before = match open.checked_sub(1) {
                Some(before) => before,
                None => return Some(WallTime::from_unix_secs(open)),
            };
            match self
                .zoned_covering(zone, before)
                .map(|(start, _)| start)
                .min()
            {
                Some(start) => open = start,
                None => return Some(WallTime::from_unix_secs(open)),
            }
        }
        None
    }

    /// Every `(start minute of week, length)` of every window.
    fn occurrences(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.windows.iter().flat_map(|window| window.occurrences())
    }

    /// Whether any window is open during local minute `minute_of_week`.
    fn covers(&self, minute_of_week: u16) -> bool {
        self.windows
            .iter()
            .any(|window| window.contains_minute_of_week(minute_of_week))
    }

    /// Whether an occurrence starting at `start` opens the calendar, that
    /// is, the minute before it is closed.
    fn is_opening_edge(&self, start: u16) -> bool {
        !self.covers((start + MINUTES_PER_WEEK - 1) % MINUTES_PER_WEEK)
    }

    /// Minutes of the week at which the calendar opens (repeats possible).
    fn opening_edges(&self) -> impl Iterator<Item = u16> + '_ {
        self.occurrences()
            .map(|(start, _)| start)
            .filter(|&start| self.is_opening_edge(start))
    }

    /// Minutes of the week at which the calendar closes (repeats possible):
    /// occurrence ends that no other window covers.
    fn closing_edges(&self) -> impl Iterator<Item = u16> + '_ {
        self.occurrences()
            .map(|(start, length)| (start + length) % MINUTES_PER_WEEK)
            .filter(|&end| !self.covers(end))
    }
}

/// Prints the normalized calendar form, e.g. `Sat,Sun 22:30 +60m; UTC+01:00`.
impl<const W: usize> fmt::Display for MaintenanceCalendar<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for window in &self.windows {
            write!(f, "{window}; ")?;
        }
        if let Some(zone) = &self.zone {
            return write!(f, "{zone}");
        }
        if self.offset == UtcOffset::UTC {
            f.write_str("UTC")
        } else {
            write!(f, "UTC{}", self.offset)
        }
    }
}

/// Parses windows and at most one `UTC`/`UTC+HH:MM` element separated by
/// `;`; see the module documentation.
impl<const W: usize> FromStr for MaintenanceCalendar<W> {
    type Err = WindowError;

    fn from_str(text: &str) -> Result<Self, WindowError> {
        MaintenanceCalendar::parse_noting_offset(text).map(|(calendar, _)| calendar)
    }
}

impl<const W: usize> MaintenanceCalendar<W> {
    /// Parses the text form exactly as `FromStr` does, and also says
    /// whether the text named the offset (`false`: it was left out, and the
    /// calendar reads in UTC). A tool that takes the offset from elsewhere
    /// too can then tell a repeated offset from a missing one.
    pub fn parse_noting_offset(text: &str) -> Result<(Self, bool), WindowError> {
        let mut windows = Vec::new();
        let mut offset = None;
        let mut zone: Option<ZoneRule> = None;
        for element in text.split(';') {
            let element = element.trim();
            let is_offset = element
                .get(..3)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("utc"))
                && matches!(element.as_bytes().get(3), None | Some(b'+' | b'-'));
            if !is_offset && looks_like_zone(element) {
                if offset.is_some() || zone.is_some() {
                    return Err(WindowError::Malformed {
                        expected: "at most one UTC offset or time zone",
                    });
                }
                zone = Some(element.parse().map_err(WindowError::Zone)?);
                continue;
            }
            let offset_text = element
                .get(..3)
                .filter(|prefix| prefix.eq_ignore_ascii_case("utc"))
                .map(|_| &element[3..]);
            match offset_text {
                Some(_) if offset.is_some() || zone.is_some() => {
                    return Err(WindowError::Malformed {
                        expected: "at most one UTC offset",
                    })
                }
                Some("") => offset = Some(UtcOffset::UTC),
                Some(rest) if rest.starts_with(['+', '-']) => {
                    offset = Some(rest.parse().map_err(WindowError::Offset)?);
                }
                Some(_) => {
                    return Err(WindowError::Malformed {
                        expected: "an offset like UTC+01:00",
                    })
                }
                None if element.is_empty() => {
                    return Err(WindowError::Malformed {
                        expected: "a window or a UTC offset between semicolons",
                    })
                }
                None => windows
                    .push(element.parse()?)
                    .map_err(|_| WindowError::TooManyWindows)?,
            }
        }
        let named = offset.is_some() || zone.is_some();
        let calendar = MaintenanceCalendar {
            windows,
            offset: zone
                .as_ref()
                .map_or(offset.unwrap_or(UtcOffset::UTC), ZoneRule::standard_offset),
            zone,
        };
        Ok((calendar, named))
    }
}

/// The opening instants of a calendar, one after the other; see
/// [`MaintenanceCalendar::openings`].
#[derive(Clone, Debug)]
pub struct Openings<'a, const W: usize> {
    calendar: &'a MaintenanceCalendar<W>,
    from: Option<WallTime>,
    remaining: usize,
}

impl<const W: usize> Iterator for Openings<'_, W> {
    type Item = WallTime;

    fn next(&mut self) -> Option<WallTime> {
        if self.remaining == 0 {
            return None;
        }
        let opening = self.calendar.next_open(self.from?)?;
        self.remaining -= 1;
        // Openings lie on whole minutes, so one second later is past this
        // one and before the next.
        self.from = opening.checked_add(Duration::from_secs(1));
        Some(opening)
    }
}

/// The local day (count since 1970-01-01) of Unix second `at` in `zone`.
fn zoned_day(zone: &ZoneRule, at: u64) -> i64 {
    zone.to_local(WallTime::from_unix_secs(at))
        .date()
        .days_since_epoch()
}

/// Whether a calendar element is a time zone rule rather than a window: a
/// window always has spaces, a rule never, and a rule has a digit (its
/// offset) or an angle bracket; a `/` is an unresolved zone name.
fn looks_like_zone(element: &str) -> bool {
    !element.contains(char::is_whitespace)
        && element.contains(|c: char| c.is_ascii_digit() || c == '<' || c == '/')
}

/// Local minute of the week (0 = Monday 00:00) of `wall` at `offset`.
fn local_minute_of_week(wall: WallTime, offset: UtcOffset) -> u16 {
    // At most 604 799 / 60 = 10 079.
    (wall.local_second_of_week(offset) / 60) as u16
}

/// Seconds from `from` forward to `to` on the circle of the week, both in
/// seconds of the week.
fn seconds_after(from: u32, to: u32) -> u32 {
    (to + SECONDS_PER_WEEK - from) % SECONDS_PER_WEEK
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn test_open_calendar_reports_when_it_opened() {
        let calendar: MaintenanceCalendar<4> =
            "Sun 23:00 +120m; Mon 00:30 +60m".parse().expect("calendar");
        // Monday 2026-11-30 01:00 UTC: inside the merged Sun 23:00 - Mon 01:30.
        let wall: WallTime = "2026-11-30T01:00:00Z".parse().expect("time");
        let opened = calendar.current_open_since(wall).expect("open");
        assert_eq!(opened.to_string(), "2026-11-29T23:00:00Z");
        let closed: WallTime = "2026-11-30T02:00:00Z".parse().expect("time");
        assert_eq!(calendar.current_open_since(closed), None);
        assert_eq!(calendar.longest_opening_minutes(), 150);
        let empty: MaintenanceCalendar<1> = MaintenanceCalendar::default();
        assert_eq!(empty.longest_opening_minutes(), 0);
    }

    use crate::civil::LocalTime;

    fn wall(text: &str) -> WallTime {
        text.parse().unwrap()
    }

    fn window(text: &str) -> Window {
        text.parse().unwrap()
    }

    fn calendar(text: &str) -> MaintenanceCalendar<8> {
        text.parse().unwrap()
    }

    /// Saturday and Sunday 22:30 to 23:30 at +01:00.
    fn weekend_evenings() -> MaintenanceCalendar<8> {
        calendar("Sat,Sun 22:30 +1h; UTC+01:00")
    }

    /// Sunday 23:00 for two hours, into Monday, in UTC.
    fn sunday_night() -> MaintenanceCalendar<8> {
        calendar("Sun 23:00 +2h")
    }

    /// Two overlapping windows and one adjacent to them, in UTC:
    /// Monday 01:00..04:00, 02:00..05:00 and 05:00..06:00.
    fn overlapping_monday() -> MaintenanceCalendar<8> {
        calendar("Mon 01:00 +3h; Mon 02:00 +3h; Mon 05:00 +1h")
    }

    /// 2026-11-23 is a Monday.
    fn monday_utc(hour: u64, minute: u64) -> WallTime {
        WallTime::from_unix_secs(
            wall("2026-11-23T00:00:00Z").as_unix_secs() + hour * 3_600 + minute * 60,
        )
    }

    #[test]
    fn test_weekend_evenings_offset_shifts_to_utc() {
        let calendar = weekend_evenings();
        // 22:30 local at +01:00 is 21:30 UTC.
        assert!(!calendar.contains(wall("2026-11-28T21:29:59Z")));
        assert!(calendar.contains(wall("2026-11-28T21:30:00Z")));
        assert!(calendar.contains(wall("2026-11-28T22:29:59Z")));
        assert!(!calendar.contains(wall("2026-11-28T22:30:00Z")));
        assert_eq!(
            calendar.next_open(wall("2026-11-28T12:00:00Z")),
            Some(wall("2026-11-28T21:30:00Z"))
        );
        assert_eq!(
            calendar.current_close(wall("2026-11-28T21:45:00Z")),
            Some(wall("2026-11-28T22:30:00Z"))
        );
    }

    #[test]
    fn test_sunday_night_week_wrap_contains_monday() {
        let calendar = sunday_night();
        // 2026-11-29 is a Sunday, 2026-11-30 the Monday after it.
        assert!(calendar.contains(wall("2026-11-30T00:30:00Z")));
        assert!(calendar.contains(wall("2026-11-29T23:00:00Z")));
        assert!(!calendar.contains(wall("2026-11-30T01:00:00Z")));
        assert!(!calendar.contains(wall("2026-11-29T22:59:59Z")));
        assert_eq!(
            calendar.current_close(wall("2026-11-30T00:30:00Z")),
            Some(wall("2026-11-30T01:00:00Z"))
        );
        assert_eq!(calendar.open_minutes_per_week(), 120);
    }

    #[test]
    fn test_friday_night_midnight_wrap_contains_saturday() {
        let calendar: MaintenanceCalendar<8> = calendar("Fri 23:30 +90m");
        // 2026-11-27 is a Friday.
        assert!(calendar.contains(wall("2026-11-28T00:59:00Z")));
        assert!(!calendar.contains(wall("2026-11-28T01:00:00Z")));
        assert!(!calendar.contains(wall("2026-11-27T00:30:00Z")));
    }

    #[test]
    fn test_half_open_window_boundaries() {
        let calendar: MaintenanceCalendar<8> = calendar("Mon 01:00 +1m");
        assert!(!calendar.contains(monday_utc(0, 59)));
        assert!(calendar.contains(monday_utc(1, 0)));
        assert!(!calendar.contains(monday_utc(1, 1)));
        assert_eq!(calendar.next_open(monday_utc(1, 0)), Some(monday_utc(1, 0)));
        assert_eq!(
            calendar.time_until_open(monday_utc(1, 0)),
            Some(Duration::ZERO)
        );
        assert_eq!(
            calendar.time_until_close(monday_utc(1, 0)),
            Some(Duration::from_secs(60))
        );
        // One second after opening, the next opening is a week later.
        let just_after = WallTime::from_unix_secs(monday_utc(1, 0).as_unix_secs() + 1);
        assert_eq!(
            calendar.next_open(just_after),
            Some(WallTime::from_unix_secs(
                monday_utc(1, 0).as_unix_secs() + 604_800
            ))
        );
    }

    #[test]
    fn test_overlapping_monday_merges_and_counts_once() {
        let calendar = overlapping_monday();
        assert_eq!(calendar.open_minutes_per_week(), 5 * 60);
        assert_eq!(
            calendar.current_close(monday_utc(1, 30)),
            Some(monday_utc(6, 0))
        );
        assert_eq!(
            calendar.time_until_close(monday_utc(4, 30)),
            Some(Duration::from_minutes(90))
        );
        // The later windows start inside the first, so they are no openings.
        let openings: std::vec::Vec<_> = calendar.openings(monday_utc(0, 0), 3).collect();
        let week = 604_800;
        let first = monday_utc(1, 0).as_unix_secs();
        assert_eq!(
            openings,
            [first, first + week, first + 2 * week].map(WallTime::from_unix_secs)
        );
    }

    #[test]
    fn test_empty_calendar_never_opens() {
        let calendar = MaintenanceCalendar::<4>::default();
        assert!(calendar.is_empty());
        assert!(!calendar.contains(monday_utc(1, 0)));
        assert_eq!(calendar.next_open(monday_utc(1, 0)), None);
        assert_eq!(calendar.time_until_open(monday_utc(1, 0)), None);
        assert_eq!(calendar.current_close(monday_utc(1, 0)), None);
        assert_eq!(calendar.open_minutes_per_week(), 0);
        assert_eq!(calendar.openings(monday_utc(1, 0), 5).count(), 0);
        assert_eq!(calendar.to_string(), "UTC");
    }

    #[test]
    fn test_whole_week_calendar_never_closes() {
        for text in [
            "Mon 00:00 +7d",
            "Wed 13:17 +7d",
            "daily 00:00 +1d",
            "daily 06:00 +20h; daily 02:00 +4h",
        ] {
            let calendar: MaintenanceCalendar<8> = calendar(text);
            assert!(calendar.is_always_open(), "{text}");
            assert!(calendar.contains(monday_utc(3, 0)));
            assert_eq!(calendar.current_close(monday_utc(3, 0)), None);
            assert_eq!(calendar.next_open(monday_utc(3, 0)), None);
            assert_eq!(
                calendar.time_until_open(monday_utc(3, 0)),
                Some(Duration::ZERO)
            );
            assert_eq!(calendar.open_minutes_per_week(), 10_080, "{text}");
        }
    }

    #[test]
    fn test_daily_long_windows_overlap_across_days() {
        let calendar: MaintenanceCalendar<8> = calendar("daily 22:00 +23h");
        // Each occurrence ends at 21:00 the next day, an hour before the
        // next one opens: 7 hours closed in total.
        assert_eq!(calendar.open_minutes_per_week(), 10_080 - 7 * 60);
        assert!(!calendar.contains(monday_utc(21, 30)));
        assert_eq!(
            calendar.current_close(monday_utc(3, 0)),
            Some(monday_utc(21, 0))
        );
    }

    #[test]
    fn test_full_calendar_push_is_rejected() {
        let mut calendar = MaintenanceCalendar::<1>::new(UtcOffset::UTC);
        assert_eq!(calendar.push(window("Mon 01:00 +1h")), Ok(()));
        assert_eq!(
            calendar.push(window("Tue 01:00 +1h")),
            Err(CalendarError::Full)
        );
        assert_eq!(calendar.windows(), &[window("Mon 01:00 +1h")]);
        assert_eq!(
            "Mon 01:00 +1h; Tue 01:00 +1h".parse::<MaintenanceCalendar<1>>(),
            Err(WindowError::TooManyWindows)
        );
        assert!(CalendarError::Full.to_string().contains("full"));
    }

    #[test]
    fn test_calendar_size_stays_within_documented_bound() {
        let zone = core::mem::size_of::<Option<ZoneRule>>();
        assert!(zone <= 128, "{zone}");
        assert!(core::mem::size_of::<MaintenanceCalendar<1>>() <= 24 + 128 + 6);
        assert!(core::mem::size_of::<MaintenanceCalendar<4>>() <= 24 + 128 + 6 * 4);
        assert!(core::mem::size_of::<MaintenanceCalendar<16>>() <= 24 + 128 + 6 * 16);
    }

    #[test]
    fn test_window_text_normalizes() {
        let cases = [
            ("Sat,Sun 22:30 +60m", "Sat,Sun 22:30 +60m"),
            ("Sat,Sun 22:30 +1h", "Sat,Sun 22:30 +60m"),
            ("sun,SAT 22:30 +90m", "Sat,Sun 22:30 +90m"),
            ("Mon..Fri 2:00 +2h", "Mon..Fri 02:00 +120m"),
            ("Mon 03:00 +6h", "Mon 03:00 +360m"),
            ("Mon..Wed,Sat 09:05 +1d", "Mon..Wed,Sat 09:05 +1d"),
            ("Fri..Mon 00:00 +1h", "Mon,Fri..Sun 00:00 +60m"),
            ("Sat..Mon 00:00 +1h", "Mon,Sat,Sun 00:00 +60m"),
            ("Mon..Sun 00:00 +7d", "daily 00:00 +7d"),
            ("DAILY 23:59 +1m", "daily 23:59 +1m"),
            ("Monday, Tuesday 12:00 +24h", "Mon,Tue 12:00 +1d"),
            ("Mon..Mon 12:00 +1440m", "Mon 12:00 +1d"),
            ("Sun 12:00 +48h", "Sun 12:00 +2d"),
            ("Tue,Thu,Sat  06:00   +10080m", "Tue,Thu,Sat 06:00 +7d"),
            ("Mon,Tue,Wed,Fri 06:00 +25h", "Mon..Wed,Fri 06:00 +1500m"),
            ("Wed 06:00 +10079m", "Wed 06:00 +10079m"),
        ];
        for (text, normalized) in cases {
            assert_eq!(window(text).to_string(), normalized, "{text}");
            assert_eq!(window(normalized).to_string(), normalized);
        }
    }

    #[test]
    fn test_window_text_errors_are_distinct() {
        let cases = [
            ("22:30 +1h", WindowError::NoDays),
            ("Sat,Funday 22:30 +1h", WindowError::UnknownDay),
            ("Sat..Xyz 22:30 +1h", WindowError::UnknownDay),
            ("Sat 24:00 +1h", WindowError::StartHourOutOfRange),
            ("Sat 22:60 +1h", WindowError::StartMinuteOutOfRange),
            ("Sat 22:30 +0m", WindowError::ZeroLength),
            ("Sat 22:30 +0d", WindowError::ZeroLength),
            ("Sat 22:30 +10081m", WindowError::LongerThanWeek),
            ("Sat 22:30 +8d", WindowError::LongerThanWeek),
            ("Sat 22:30 +99999999999999d", WindowError::LongerThanWeek),
        ];
        for (text, error) in cases {
            assert_eq!(text.parse::<Window>(), Err(error), "{text}");
        }
        for text in [
            "",
            "Sat",
            "Sat 22:30",
            "Sat +1h",
            "Sat 2230 +1h",
            "Sat 22:3 +1h",
            "Sat 22:30 1h",
            "Sat 22:30 +1w",
            "Sat 22:30 +h",
            "Sat 22:30 +1h extra",
            "Sat,,Sun 22:30 +1h",
            "Sat 22:30 +1H",
            "Sat 22:30 +½h",
        ] {
            assert!(
                matches!(
                    text.parse::<Window>(),
                    Err(WindowError::Malformed { .. }) | Err(WindowError::NoDays)
                ),
                "{text}: {:?}",
                text.parse::<Window>()
            );
        }
        assert_eq!(
            Window::new(Weekdays::empty(), 0, 1),
            Err(WindowError::NoDays)
        );
        assert_eq!(
            Window::new(Weekdays::MONDAY, 1_440, 1),
            Err(WindowError::StartHourOutOfRange)
        );
        assert_eq!(
            Window::new(Weekdays::MONDAY, 0, 0),
            Err(WindowError::ZeroLength)
        );
        assert_eq!(
            Window::new(Weekdays::MONDAY, 0, 10_081),
            Err(WindowError::LongerThanWeek)
        );
    }

    #[test]
    fn test_calendar_text_says_whether_it_named_the_offset() {
        let named = MaintenanceCalendar::<2>::parse_noting_offset("Sat 22:30 +1h; UTC+01:00");
        let (calendar, said) = named.unwrap();
        assert!(said);
        assert_eq!(calendar.offset(), "+01:00".parse().unwrap());
        assert!(
            MaintenanceCalendar::<2>::parse_noting_offset("UTC")
                .unwrap()
                .1
        );
        let (calendar, said) =
            MaintenanceCalendar::<2>::parse_noting_offset("Sat 22:30 +1h").unwrap();
        assert!(!said);
        assert_eq!(calendar, "Sat 22:30 +1h; UTC".parse().unwrap());
    }

    #[test]
    fn test_calendar_text_offset_errors_are_reported() {
        assert_eq!(
            "Sat 22:30 +1h; UTC+15:00".parse::<MaintenanceCalendar<2>>(),
            Err(WindowError::Offset(OffsetError::OutOfRange))
        );
        assert_eq!(
            "Sat 22:30 +1h; UTC+1:00".parse::<MaintenanceCalendar<2>>(),
            Err(WindowError::Offset(OffsetError::Malformed))
        );
        for text in [
            "",
            "Sat 22:30 +1h;",
            "UTC; UTC+01:00",
            "Sat 22:30 +1h; UTCx",
        ] {
            assert!(
                matches!(
                    text.parse::<MaintenanceCalendar<2>>(),
                    Err(WindowError::Malformed { .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn test_calendar_text_round_trips() {
        let cases = [
            (
                "utc-05:30; Mon..Fri 02:00 +2h",
                "Mon..Fri 02:00 +120m; UTC-05:30",
            ),
            ("Sat,Sun 22:30 +60m", "Sat,Sun 22:30 +60m; UTC"),
            ("UTC+01:00", "UTC+01:00"),
            ("UTC", "UTC"),
        ];
        for (text, normalized) in cases {
            let parsed: MaintenanceCalendar<2> = text.parse().unwrap();
            assert_eq!(parsed.to_string(), normalized);
            assert_eq!(normalized.parse::<MaintenanceCalendar<2>>(), Ok(parsed));
        }
    }

    #[test]
    fn test_errors_display_what_was_wrong() {
        let messages = [
            (WindowError::NoDays, "no day"),
            (WindowError::UnknownDay, "unknown day"),
            (WindowError::StartHourOutOfRange, "hour"),
            (WindowError::StartMinuteOutOfRange, "minute"),
            (WindowError::ZeroLength, "zero length"),
            (WindowError::LongerThanWeek, "longer than a week"),
            (WindowError::Offset(OffsetError::OutOfRange), "offset"),
            (WindowError::TooManyWindows, "more windows"),
            (
                WindowError::Malformed {
                    expected: "a start time",
                },
                "expected a start time",
            ),
        ];
        for (error, part) in messages {
            assert!(error.to_string().contains(part), "{error}");
        }
    }

    /// The window definition, checked minute by minute: open if some day of
    /// the window started at most `length - 1` minutes before, going back
    /// across midnight and across the start of the week.
    fn brute_force_open(calendar: &MaintenanceCalendar<4>, local: LocalTime) -> bool {
        let minute = i32::from(local.minute_of_week());
        calendar.windows().iter().any(|window| {
            (0..i32::from(window.length_minutes())).any(|back| {
                let start = (minute - back).rem_euclid(10_080);
                let day = Weekday::from_index((start / 1_440) as u8).unwrap();
                window.days().contains_day(day)
                    && (start % 1_440) as u16 == window.start_minute_of_day()
            })
        })
    }

    fn any_window() -> impl Strategy<Value = Window> {
        (
            1u8..128,
            0u16..1_440,
            prop_oneof![1u16..=180, 1u16..=10_080, Just(10_080u16)],
        )
            .prop_map(|(days, start, length)| {
                Window::new(Weekdays::from_bits_truncate(days), start, length).unwrap()
            })
    }

    fn any_calendar() -> impl Strategy<Value = MaintenanceCalendar<4>> {
        (
            proptest::collection::vec(any_window(), 0..=4),
            -720i16..=840,
        )
            .prop_map(|(windows, minutes)| {
                let mut calendar =
                    MaintenanceCalendar::new(UtcOffset::from_minutes(minutes).unwrap());
                for window in windows {
                    calendar.push(window).unwrap();
                }
                calendar
            })
    }

    /// Instants from 1970 to 2199.
    fn any_wall() -> impl Strategy<Value = WallTime> {
        (0u64..=7_258_118_399).prop_map(WallTime::from_unix_secs)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn test_any_window_text_round_trips(window in any_window()) {
            let text = window.to_string();
            let parsed: Window = text.parse().unwrap();
            prop_assert_eq!(parsed, window);
            prop_assert_eq!(parsed.to_string(), text);
        }

        #[test]
        fn test_any_calendar_text_round_trips(calendar in any_calendar()) {
            let text = calendar.to_string();
            let parsed: MaintenanceCalendar<4> = text.parse().unwrap();
            prop_assert_eq!(&parsed, &calendar);
            prop_assert_eq!(parsed.to_string(), text);
        }

        #[test]
        fn test_any_calendar_contains_matches_definition(calendar in any_calendar(), wall in any_wall()) {
            let local = wall.to_local(calendar.offset());
            prop_assert_eq!(calendar.contains(wall), brute_force_open(&calendar, local));
        }

        #[test]
        fn test_any_calendar_next_open_is_first_open_minute(calendar in any_calendar(), wall in any_wall()) {
            let opening = calendar.next_open(wall);
            if let Some(opening) = opening {
                // Always an edge: open, and closed the minute before.
                let minute_before = opening.checked_sub(Duration::from_secs(60)).unwrap();
                prop_assert!(opening >= wall);
                prop_assert!(calendar.contains(opening));
                prop_assert!(!calendar.contains(minute_before));
            }
            if calendar.contains(wall) {
                return Ok(());
            }
            // Closed now: walk minute by minute (at most a week) to the first
            // open minute start, which must be the opening found.
            let first_minute = wall.as_unix_secs().div_ceil(60) * 60;
            let brute_force = (0..=10_080u64)
                .map(|step| WallTime::from_unix_secs(first_minute + step * 60))
                .find(|&candidate| calendar.contains(candidate));
            prop_assert_eq!(opening, brute_force);
            if let Some(opening) = opening {
                prop_assert_eq!(
                    calendar.time_until_open(wall),
                    Some(Duration::from_secs(opening.as_unix_secs() - wall.as_unix_secs()))
                );
            }
        }

        #[test]
        fn test_any_calendar_current_close_is_first_closed_minute(calendar in any_calendar(), wall in any_wall()) {
            let close = calendar.current_close(wall);
            if !calendar.contains(wall) {
                prop_assert_eq!(close, None);
                return Ok(());
            }
            let first_minute = wall.as_unix_secs().div_ceil(60) * 60;
            let brute_force = (0..=10_080u64)
                .map(|step| WallTime::from_unix_secs(first_minute + step * 60))
                .find(|&candidate| !calendar.contains(candidate));
            prop_assert_eq!(close, brute_force);
            prop_assert_eq!(close.is_none(), calendar.is_always_open());
        }

        #[test]
        fn test_any_calendar_open_minutes_match_count(calendar in any_calendar()) {
            let monday = monday_utc(0, 0).as_unix_secs();
            let offset = i64::from(calendar.offset().as_seconds());
            // Local Monday 00:00 of that week, in UTC seconds.
            let local_monday = (monday as i64 - offset) as u64;
            let open = (0..10_080u64)
                .filter(|minute| calendar.contains(WallTime::from_unix_secs(local_monday + minute * 60)))
                .count();
            prop_assert_eq!(calendar.open_minutes_per_week() as usize, open);
        }
    }
}
