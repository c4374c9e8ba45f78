//! Usage traces: a machine's recorded metrics as CSV, read strictly.
//!
//! The file starts with the header [`HEADER`]; each following line is one
//! sample, and each sample holds until the next one (the last until the
//! end of the run). Timestamps are Unix seconds and strictly increasing.
//! A malformed line is an error naming its line number: a trace that is
//! quietly shortened would make the figures lie.
//!
//! A trace file is read through [`read_text`], which reads at most
//! [`MAX_TRACE_BYTES`] plus one byte and refuses a larger file, so that a
//! device such as `/dev/zero` or a runaway file cannot exhaust memory.
//!
//! Also used by `tests/simulate_trace.rs`, through `#[path]`.

use std::fmt;
use std::io::Read as _;
use std::path::Path;

use update_sched::civil::WallTime;
use update_sched::gate::{Metrics, PowerSource};

/// The header line a trace must start with.
pub const HEADER: &str = "unix_seconds,cpu_permille,mem_permille,disk_kib_s,net_kib_s,sessions";

/// Largest trace file read, in bytes: 64 MiB. A row is at most 58
/// characters (a 20-digit timestamp, two 4-digit per-mille values, two
/// 10-digit rates and 5-digit sessions, with five commas), 60 bytes with a
/// Windows line end, so a million rows of the widest kind fit with room
/// to spare.
pub const MAX_TRACE_BYTES: u64 = 64 * 1_024 * 1_024;

/// The text of the trace file at `path`, or the message for the user.
///
/// Reads at most [`MAX_TRACE_BYTES`] plus one byte: a file with more is
/// refused without reading the rest, and so is one that is not UTF-8.
pub fn read_text(path: &Path) -> Result<String, String> {
    let cannot_read = |error: std::io::Error| format!("cannot read {}: {error}", path.display());
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut bytes = Vec::new();
    file.take(MAX_TRACE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_TRACE_BYTES {
        return Err(format!(
            "{}: larger than the limit of {MAX_TRACE_BYTES} bytes (64 MiB) for a trace",
            path.display()
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            error.utf8_error().valid_up_to()
        )
    })
}

/// A parsed trace: samples in time order, at least one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    samples: Vec<(WallTime, Metrics)>,
}

/// Why a trace was refused, and on which line (1 is the header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// Line number, counted from 1.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TraceError {}

impl Trace {
    /// Reads a whole trace file's text.
    pub fn parse(text: &str) -> Result<Trace, TraceError> {
        let error = |line, message: String| Err(TraceError { line, message });
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(index, line)| (index + 1, line));
        match lines.next() {
            Some((_, header)) if header.trim_start_matches('\u{feff}').trim_end() == HEADER => {}
            Some((line, header)) => {
                return error(
                    line,
                    format!(
                        "expected the header `{HEADER}`, found `{}`",
                        shown(header.trim_end())
                    ),
                )
            }
            None => return error(1, format!("empty file: expected the header `{HEADER}`")),
        }
        let mut samples: Vec<(WallTime, Metrics)> = Vec::new();
        for (line, text) in lines {
            let (at, metrics) = parse_row(text).map_err(|message| TraceError { line, message })?;
            if let Some(&(previous, _)) = samples.last() {
                if at <= previous {
                    return error(
                        line,
                        format!(
                            "unix_seconds {} is not after the previous row's {}",
                            at.as_unix_secs(),
                            previous.as_unix_secs()
                        ),
                    );
                }
            }
            samples.push((at, metrics));
        }
        if samples.is_empty() {
            return error(2, "no samples after the header".to_owned());
        }
        Ok(Trace { samples })
    }

    /// When the first sample was taken.
    pub fn start(&self) -> WallTime {
        self.samples[0].0
    }

    /// When the last sample was taken.
    pub fn end(&self) -> WallTime {
        self.samples[self.samples.len() - 1].0
    }

    /// The metrics in force at `wall`: those of the last sample taken at
    /// or before it (the first sample's before the trace starts).
    pub fn at(&self, wall: WallTime) -> Metrics {
        let after = self.samples.partition_point(|&(at, _)| at <= wall);
        self.samples[after.saturating_sub(1)].1
    }
}

/// One data row, or what is wrong with it.
fn parse_row(text: &str) -> Result<(WallTime, Metrics), String> {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return Err("empty line; every line after the header must be a sample".to_owned());
    }
    let fields: Vec<&str> = text.split(',').collect();
    if fields.len() != 6 {
        return Err(format!(
            "expected 6 comma-separated fields, found {}",
            fields.len()
        ));
    }
    let names = HEADER.split(',');
    let mut values = [0u64; 6];
    for ((value, field), name) in values.iter_mut().zip(&fields).zip(names) {
        *value = field
            .trim()
            .parse()
            .map_err(|_| format!("{name}: `{}` is not a whole number", shown(field.trim())))?;
    }
    let [at, cpu, memory, disk, network, sessions] = values;
    let permille = |name: &str, value: u64| {
        if value <= 1_000 {
            Ok(value as u16)
        } else {
            Err(format!("{name}: {value} is above 1000 per mille"))
        }
    };
    let fits = |name: &str, value: u64, max: u64| {
        if value <= max {
            Ok(value)
        } else {
            Err(format!("{name}: {value} is above {max}"))
        }
    };
    Ok((
        WallTime::from_unix_secs(at),
        Metrics {
            cpu_permille: permille("cpu_permille", cpu)?,
            memory_permille: permille("mem_permille", memory)?,
            disk_kib_s: fits("disk_kib_s", disk, u64::from(u32::MAX))? as u32,
            network_kib_s: fits("net_kib_s", network, u64::from(u32::MAX))? as u32,
            sessions: fits("sessions", sessions, u64::from(u16::MAX))? as u16,
            // A trace has no load-average column: the load gate sees an
            // unloaded machine, and the CPU column speaks for it.
            load_milli: 0,
            power: PowerSource::Ac,
        },
    ))
}

/// Characters of a file's text quoted in a message, at most; the header
/// is 67, so a near miss is shown whole.
const SHOWN_CHARS: usize = 80;

/// `text` as an error message quotes it: control characters (a NUL, a
/// carriage return, an escape sequence) escaped so that the message stays
/// one readable line, and at most [`SHOWN_CHARS`] characters of it, so that
/// a 60 MB field is not printed back whole.
fn shown(text: &str) -> String {
    let mut out = String::new();
    for (count, character) in text.chars().enumerate() {
        if count == SHOWN_CHARS {
            out.push_str("...");
            break;
        }
        if character.is_control() {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out
}

/// One CSV row for `metrics` taken at `wall`, without the line end.
pub fn format_row(wall: WallTime, metrics: &Metrics) -> String {
    format!(
        "{},{},{},{},{},{}",
        wall.as_unix_secs(),
        metrics.cpu_permille,
        metrics.memory_permille,
        metrics.disk_kib_s,
        metrics.network_kib_s,
        metrics.sessions
    )
}
