//! Shows how maintenance windows are read, like `systemd-analyze calendar`.
//!
//! ```text
//! cargo run -p update-sched --example calendar -- 'Sat,Sun 22:30 +60m' \
//!     --offset +01:00 --at 2026-11-28T22:45:00Z --next 3
//! ```
//!
//! The windows are read as the boot config's `windows` field is, by the
//! same parser into the same [`Calendar`] (at most [`MAX_WINDOWS`]
//! windows): all arguments together form one calendar text, joined by
//! `; `, so an argument may carry several windows and the offset
//! (`'Sat,Sun 22:30 +60m; UTC+01:00'`).
//!
//! Instead of an offset, the windows may follow a time zone: `--tz
//! Europe/Berlin`, or the zone's name or POSIX TZ rule as an element
//! (`'Mon..Fri 01:00 +180m; Europe/Berlin'`). Names are resolved to their
//! rule through the system's tz database. The report then says, for the
//! coming year, what daylight saving time does to each window: `on
//! 2027-03-28 the window opens at 03:00 CEST, 30 minutes later than
//! written`.
//!
//! Prints each argument as given and normalized, the whole calendar, its open
//! minutes per week, whether the instant `--at` (default: the system clock)
//! is inside it and when that changes, and the next openings in UTC and in
//! local time. With `--frequency`, the openings listed are the ones in which
//! that policy releases updates (`monthly 2nd Tue` lists the windows opening
//! on the second Tuesday of each month). `--next` lists at most [`MAX_OPENINGS`], and an option is
//! given at most once. Bad input prints `error: <message>` and exits with
//! status 2, the usual status for a usage error.

#[path = "cli/mod.rs"]
mod cli;
#[path = "cli/zoneinfo.rs"]
mod zoneinfo;

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::SystemTime;

use update_sched::civil::{Date, UtcOffset, WallTime};
use update_sched::config::{Calendar, MAX_WINDOWS};
use update_sched::policy::FrequencyPolicy;
use update_sched::window::{Window, WindowError};
use update_sched::zone::ZoneRule;
use update_sched::Duration;

use cli::{arguments, emit, escaped};

/// Openings listed unless `--next` says otherwise.
const DEFAULT_OPENINGS: usize = 5;
/// Most openings `--next` lists: about twenty years of a weekly window.
/// The report is built in memory, so an unbounded count would grow it
/// until memory runs out.
const MAX_OPENINGS: usize = 1_000;

const USAGE: &str = "\
usage: calendar WINDOW... [--offset +HH:MM | --tz ZONE] [--frequency POLICY]
                [--at TIMESTAMP] [--next N]

Shows when the maintenance windows WINDOW... are open. They are read as the
boot config's `windows` field is, by the same parser: all of them together
form one calendar of at most 8 windows.

  WINDOW              days, start and length, e.g. 'Sat,Sun 22:30 +60m' or
                      'Mon..Fri 02:00 +120m'; lengths in m, h or d (1m..7d),
                      printed in m, or in d when a whole number of days.
                      Also several, and the offset, separated by `;`, as
                      in the config: 'Sat,Sun 22:30 +60m; UTC+01:00'
  --offset +HH:MM     UTC offset of the local time the windows use (default Z;
                      give it here or in a WINDOW, not both)
  --tz ZONE           time zone of the local time instead, with daylight
                      saving: an IANA name such as Europe/Berlin (from the
                      system's tz database) or a POSIX TZ rule such as
                      CET-1CEST,M3.5.0,M10.5.0/3; a WINDOW may name it too
  --frequency POLICY  list only the openings in which POLICY releases updates:
                      daily, weekly Sat, monthly 1, monthly last,
                      monthly 2nd Tue, monthly last Fri (1st..4th or last)
  --at TIMESTAMP      the instant to ask about, RFC 3339 such as
                      2026-11-28T22:45:00Z (default: now)
  --next N            how many openings to list, 1..=1000 (default 5)
  --help              print this help

Each option is given at most once.
";

/// What the command line asks for.
struct Request {
    /// The windows as typed, each with its normalized form.
    texts: Vec<(String, String)>,
    calendar: Calendar,
    frequency: Option<FrequencyPolicy>,
    at: WallTime,
    openings: usize,
}

fn main() -> ExitCode {
    let args = match arguments() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {}", escaped(&message));
            return ExitCode::from(2);
        }
    };
    let result = if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        emit(USAGE)
    } else {
        parse_args(&args).and_then(|request| emit(&report(&request)))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", escaped(&message));
            ExitCode::from(2)
        }
    }
}

/// Reads the command line; the error is the message for the user.
fn parse_args(args: &[String]) -> Result<Request, String> {
    let given = read_arguments(args)?;
    if given.texts.is_empty() {
        return Err("missing window, e.g. 'Sat,Sun 22:30 +60m' (see --help)".to_owned());
    }
    let texts: Vec<String> = given
        .texts
        .iter()
        .map(|text| zoneinfo::resolve_names(text))
        .collect::<Result<_, _>>()?;
    let (mut forms, calendar) = calendar_of(&texts, given.offset, given.zone)?;
    for ((original, _), typed) in forms.iter_mut().zip(&given.texts) {
        original.clone_from(typed);
    }
    let texts = forms;
    let at = match given.at {
        Some(at) => at,
        None => system_now()?,
    };
    Ok(Request {
        texts,
        calendar,
        frequency: given.frequency,
        at,
        openings: given.openings,
    })
}

/// The command line as given, each option checked on its own.
struct Arguments {
    /// The windows, as typed.
    texts: Vec<String>,
    offset: Option<UtcOffset>,
    frequency: Option<FrequencyPolicy>,
    zone: Option<ZoneRule>,
    at: Option<WallTime>,
    openings: usize,
}

/// Splits the command line into windows and options, and reads each
/// option's value.
fn read_arguments(args: &[String]) -> Result<Arguments, String> {
    let mut given = Arguments {
        texts: Vec::new(),
        offset: None,
        frequency: None,
        zone: None,
        at: None,
        openings: DEFAULT_OPENINGS,
    };
    // A repeated option is refused rather than the last one silently
    // winning.
    let mut flags: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if !arg.starts_with("--") {
            given.texts.push(arg.clone());
            continue;
        }
        // Both `--flag value` and `--flag=value`.
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        if !matches!(
            flag,
            "--offset" | "--tz" | "--frequency" | "--at" | "--next"
        ) {
            return Err(format!("unknown option {flag} (see --help)"));
        }
        if flags.contains(&flag) {
            return Err(format!("{flag} is given twice; give it once"));
        }
        if (flag == "--tz" && flags.contains(&"--offset"))
            || (flag == "--offset" && flags.contains(&"--tz"))
        {
            return Err("give --offset or --tz, not both".to_owned());
        }
        flags.push(flag);
        let value = match inline_value {
            Some(value) => value,
            None => args
                .next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))?,
        };
        given.read_option(flag, &value)?;
    }
    Ok(given)
}

impl Arguments {
    /// Reads `value` as the value of `flag`, one of `--offset`,
    /// `--frequency`, `--at` and `--next`.
    fn read_option(&mut self, flag: &str, value: &str) -> Result<(), String> {
        match flag {
            "--offset" => {
                self.offset = Some(
                    value
                        .parse::<UtcOffset>()
                        .map_err(|error| format!("--offset {value}: {error}"))?,
                );
            }
            "--frequency" => {
                let policy = value
                    .parse::<FrequencyPolicy>()
                    .map_err(|error| format!("--frequency {value}: {error}"))?;
                if matches!(policy, FrequencyPolicy::Manual | FrequencyPolicy::Adaptive) {
                    return Err(format!(
                        "--frequency {value}: {policy} does not release by the calendar; \
                         give daily, weekly or monthly"
                    ));
                }
                self.frequency = Some(policy);
            }
            "--tz" => {
                let rule = if value.contains(|c: char| c.is_ascii_digit() || c == '<')
                    && !value.contains('/')
                {
                    value
                        .parse::<ZoneRule>()
                        .map_err(|error| format!("--tz {value}: {error}"))?
                } else {
                    zoneinfo::rule_of(value).map_err(|error| format!("--tz {value}: {error}"))?
                };
                self.zone = Some(rule);
            }
            "--at" => {
                self.at = Some(
                    value
                        .parse()
                        .map_err(|error| format!("--at {value}: {error}"))?,
                );
            }
            _ => {
                self.openings = match value.parse::<usize>() {
                    Ok(count) if (1..=MAX_OPENINGS).contains(&count) => count,
                    _ => {
                        return Err(format!(
                            "--next {value}: expected a whole number from 1 to {MAX_OPENINGS}"
                        ))
                    }
                };
            }
        }
        Ok(())
    }
}

/// The windows `texts`, each with its normalized form, and all of them
/// (with `offset`, if given) as one calendar.
fn calendar_of(
    texts: &[String],
    offset: Option<UtcOffset>,
    zone: Option<ZoneRule>,
) -> Result<(Vec<(String, String)>, Calendar), String> {
    // Each argument alone, for its normalized form and so that an error
    // names the argument; then all of them as one calendar, which is what
    // the capacity and a repeated offset are checked on.
    let mut forms = Vec::new();
    for text in texts {
        let (calendar, named) =
            Calendar::parse_noting_offset(text).map_err(|error| windows_error(text, error))?;
        forms.push((text.clone(), normalized(&calendar, named)));
    }
    let mut joined = texts.join("; ");
    let (_, named) =
        Calendar::parse_noting_offset(&joined).map_err(|error| windows_error(&joined, error))?;
    if let Some(offset) = offset {
        if named {
            return Err(format!(
                "the UTC offset is given twice, by --offset and in '{}': give it once",
                quoted(&joined)
            ));
        }
        joined = format!("{joined}; {}", offset_element(offset));
    }
    if let Some(zone) = zone {
        if named {
            return Err(format!(
                "the time zone is given twice, by --tz and in '{}': give it once",
                quoted(&joined)
            ));
        }
        joined = format!("{joined}; {zone}");
    }
    let calendar = joined
        .parse::<Calendar>()
        .map_err(|error| windows_error(&joined, error))?;
    if calendar.is_empty() {
        return Err(format!(
            "'{}' names no window, e.g. 'Sat,Sun 22:30 +60m' (see --help)",
            quoted(&joined)
        ));
    }
    Ok((forms, calendar))
}

/// The message for windows `text` that did not parse.
fn windows_error(text: &str, error: WindowError) -> String {
    match error {
        WindowError::TooManyWindows => format!(
            "'{}': {error}: at most {MAX_WINDOWS} windows, as in the boot config's `windows`",
            quoted(text)
        ),
        _ => format!("'{}': {error}", quoted(text)),
    }
}

/// Characters of the windows' text an error message quotes, at most:
/// about a calendar's worth of windows, so that the message stays a line
/// when thousands of arguments are given.
const QUOTED_CHARS: usize = 300;

/// `text` as an error message quotes it: whole, or its first
/// [`QUOTED_CHARS`] characters and `...`.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// The normalized form of one argument: its windows, and its offset if it
/// named one.
fn normalized(calendar: &Calendar, named_offset: bool) -> String {
    let mut parts: Vec<String> = calendar.windows().iter().map(ToString::to_string).collect();
    if let (true, Some(zone)) = (named_offset, calendar.zone()) {
        parts.push(zone.to_string());
    } else if named_offset {
        parts.push(offset_element(calendar.offset()));
    }
    parts.join("; ")
}

/// `offset` as a calendar's text names it: `UTC`, `UTC+01:00`.
fn offset_element(offset: UtcOffset) -> String {
    if offset == UtcOffset::UTC {
        "UTC".to_owned()
    } else {
        format!("UTC{offset}")
    }
}

/// The system clock as a [`WallTime`]; the library itself never reads one.
fn system_now() -> Result<WallTime, String> {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|since| WallTime::from_unix_secs(since.as_secs()))
        .map_err(|_| "the system clock reads before 1970; pass --at".to_owned())
}

/// The whole report, one `label: value` line after another.
fn report(request: &Request) -> String {
    let calendar = &request.calendar;
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        // Right-aligned labels, as systemd-analyze prints them; a value
        // continuing a list gets no label and no colon.
        let separator = if label.is_empty() { ' ' } else { ':' };
        writeln!(out, "{label:>15}{separator} {value}").expect("writing to a String cannot fail");
    };
    for (text, normalized) in &request.texts {
        line("Original form", &escaped(text));
        line("Normalized form", normalized);
    }
    line("Calendar", &calendar.to_string());
    let minutes = calendar.open_minutes_per_week();
    line(
        "Open per week",
        &format!(
            "{minutes} minutes ({})",
            span(Duration::from_minutes(minutes.into()))
        ),
    );
    line("At", &instant(calendar, request.at));
    let state = if calendar.contains(request.at) {
        match calendar.current_close(request.at) {
            Some(close) => format!(
                "open, closes in {}: {}",
                span(close.saturating_duration_since(request.at)),
                instant(calendar, close)
            ),
            None => "open, never closes".to_owned(),
        }
    } else {
        match calendar.next_open(request.at) {
            Some(open) => format!(
                "closed, opens in {}: {}",
                span(open.saturating_duration_since(request.at)),
                instant(calendar, open)
            ),
            None => "closed, never opens".to_owned(),
        }
    };
    line("State", &state);
    let mut label = "Openings";
    if let Some(policy) = request.frequency {
        line("Frequency", &policy.to_string());
        label = "Releases";
    }
    let mut any = false;
    for opening in releasing_openings(request) {
        line(label, &instant(calendar, opening));
        label = "";
        any = true;
    }
    if !any {
        line(label, "none, the calendar never closes");
    }
    if let Some(zone) = calendar.zone() {
        let notes = daylight_notes(calendar, zone, request.at);
        let mut label = "Daylight saving";
        if notes.is_empty() {
            line(label, "changes no window in the coming year");
        }
        for note in notes {
            line(label, &note);
            label = "";
        }
    }
    out
}

/// The next openings after `request.at`, only those in which the
/// `--frequency` policy releases updates if one is given.
fn releasing_openings(request: &Request) -> Vec<WallTime> {
    let calendar = &request.calendar;
    let Some(policy) = request.frequency else {
        return calendar.openings(request.at, request.openings).collect();
    };
    // A monthly rule releases in about one opening of thirty; searching a
    // bounded number of openings keeps a policy that matches no window
    // (say weekly Sun over Saturday windows) from searching for ever.
    calendar
        .openings(request.at, 200 * MAX_OPENINGS)
        .filter(|opening| policy.releases_on(calendar.to_local(*opening).date()))
        .take(request.openings)
        .collect()
}

/// Local days ahead of `--at` that the daylight saving notes cover.
const NOTE_DAYS: i64 = 366;

/// What daylight saving time does to each window over the coming year:
/// openings moved by a skipped hour, openings in a repeated hour, and
/// windows whose real length differs from what the clock shows.
fn daylight_notes(calendar: &Calendar, zone: &ZoneRule, at: WallTime) -> Vec<String> {
    let mut notes = Vec::new();
    let today = zone.to_local(at).date().days_since_epoch();
    for day in today..today + NOTE_DAYS {
        let Some(date) = Date::from_days_since_epoch(day) else {
            continue;
        };
        for window in calendar.windows() {
            if !window.days().contains_day(date.weekday()) {
                continue;
            }
            notes.extend(window_note(zone, window, date));
        }
    }
    notes.dedup();
    notes
}

/// The note for `window` on `date`, if daylight saving changes it.
fn window_note(zone: &ZoneRule, window: &Window, date: Date) -> Option<String> {
    let written = i64::from(window.start_minute_of_day());
    let Some(open) = zone.first_reading(date, window.start_minute_of_day()) else {
        return Some(format!(
            "on {date} the window does not open: the clock skips the whole rest of the day"
        ));
    };
    let local = zone.to_local(open);
    let clock = |wall: WallTime| {
        let local = zone.to_local(wall);
        local.date().days_since_epoch() * 1_440 + i64::from(local.minute_of_day())
    };
    let hhmm = |minutes: i64| format!("{:02}:{:02}", minutes.rem_euclid(1_440) / 60, minutes % 60);
    let name = |wall: WallTime| zone.abbreviation_at(wall).to_owned();
    let late = i64::from(local.minute_of_day()) - written;
    if late != 0 {
        return Some(format!(
            "on {date} the window opens at {} {}, {late} minutes later than written",
            hhmm(i64::from(local.minute_of_day())),
            name(open)
        ));
    }
    // The clock shows the start again later: a repeated hour.
    let length = i64::from(window.length_minutes());
    let open_clock = clock(open);
    let close = open.saturating_add(Duration::from_minutes(length as u64));
    let shown = clock(close) - open_clock;
    let repeat = (1..=180)
        .map(|minutes| open.saturating_add(Duration::from_minutes(minutes)))
        .find(|&later| clock(later) == open_clock);
    if let Some(again) = repeat {
        return Some(format!(
            "on {date} the clock shows {} twice ({} and {}); the window opens at the first only",
            hhmm(written),
            name(open),
            name(again)
        ));
    }
    if shown != length {
        let difference = shown - length;
        let (amount, direction) = if difference > 0 {
            (difference, "later")
        } else {
            (-difference, "earlier")
        };
        return Some(format!(
            "on {date} the window closes at {} {}, {amount} minutes {direction} on the clock than written (it lasts {length} real minutes)",
            hhmm(clock(close)),
            name(close)
        ));
    }
    None
}

/// `2026-11-28T21:30:00Z = Sat 2026-11-28 22:30 +01:00`.
fn instant(calendar: &Calendar, wall: WallTime) -> String {
    match calendar.zone() {
        Some(zone) => format!(
            "{wall} = {} {}",
            zone.to_local(wall),
            zone.abbreviation_at(wall)
        ),
        None => format!("{wall} = {}", wall.to_local(calendar.offset())),
    }
}

/// A duration in days, hours, minutes and seconds, skipping zero parts:
/// `22h 45m`, `6d 23h`, `0s`.
fn span(duration: Duration) -> String {
    let mut secs = duration.as_secs();
    let mut parts = Vec::new();
    for (size, unit) in [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")] {
        if secs >= size {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if parts.is_empty() {
        return "0s".to_owned();
    }
    parts.join(" ")
}
