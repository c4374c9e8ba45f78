//! The CMOS real-time clock (RTC): the date and time at boot.
//!
//! The RTC sits behind an index port (0x70) and a data port (0x71). Reading
//! it consistently takes care: once a second the chip spends about 2 ms
//! updating its registers, flagged by update-in-progress (bit 7 of status
//! register A), and a read during the update can mix the old and new
//! second. [`read`] waits for the flag to clear, reads every field, and
//! repeats until two readings in a row agree.
//!
//! Firmware chooses the format: BCD or binary (bit 2 of status register
//! B set means binary), 24-hour or 12-hour (bit 1 set means 24-hour; in
//! 12-hour mode bit 7 of the hour means PM). The RTC is assumed to keep
//! UTC, as QEMU's `-rtc base=` and every Unix-like system set it.
//!
//! The year register holds only two digits; the century lives in another
//! register, whose index ACPI's FADT names. This kernel reads no ACPI
//! tables, so it reads index 0x32, where the IBM AT put the century and
//! where QEMU and most PC firmware keep it, and checks it is plausible: a
//! number in the chip's encoding from 1 to 99 ([`century`]). A value that
//! is not (0x00 or 0xff where there is no such register) is reported and
//! years are taken as 2000-2099. A century that is a number is never
//! replaced by a guess: 18 reads as 18xx (QEMU's RTC, for one, wraps to
//! 1677-1816 past 2262-04-11), and the clock cannot represent a time
//! before 1970-01-01 (Unix time 0): a reading before that is
//! [`RtcError::OutOfRange`], and the clock is then untrusted. So the RTC
//! can give any time from 1970-01-01 to 9999-12-31.
//!
//! [`decode`] turns raw register values into a [`WallTime`] without
//! touching hardware, so the format rules sit in one small, pure function.

use core::fmt;

use spin::Mutex;
use update_sched::civil::{CivilError, Date, LocalTime, UtcOffset, WallTime};
use x86_64::instructions::interrupts;
use x86_64::instructions::port::Port;

/// The CMOS index port; bit 7 of what is written there masks NMIs, which
/// this driver leaves enabled.
const CMOS_INDEX: u16 = 0x70;
/// The CMOS data port.
const CMOS_DATA: u16 = 0x71;

const REGISTER_SECONDS: u8 = 0x00;
const REGISTER_MINUTES: u8 = 0x02;
const REGISTER_HOURS: u8 = 0x04;
const REGISTER_DAY_OF_MONTH: u8 = 0x07;
const REGISTER_MONTH: u8 = 0x08;
const REGISTER_YEAR: u8 = 0x09;
const REGISTER_STATUS_A: u8 = 0x0a;
const REGISTER_STATUS_B: u8 = 0x0b;
/// The century, where the IBM AT and QEMU keep it (ACPI's FADT may name
/// another index; this kernel reads no ACPI tables).
const REGISTER_CENTURY: u8 = 0x32;

/// Status A: the chip is updating its time registers.
const STATUS_A_UPDATE_IN_PROGRESS: u8 = 0x80;
/// Status B: fields are binary, not BCD.
const STATUS_B_BINARY: u8 = 0x04;
/// Status B: hours run 0-23, not 1-12 with a PM flag.
const STATUS_B_24_HOUR: u8 = 0x02;
/// In 12-hour mode, the hour register's PM flag.
const HOUR_PM: u8 = 0x80;

/// The century assumed when the century register is not plausible.
const CENTURY_ASSUMED: u8 = 20;
/// The lowest plausible century register value: 0 is what a CMOS without
/// a century register commonly holds there; any other number is a century
/// as read, even one before the clock's range.
const CENTURY_MIN: u8 = 1;
/// The highest: two decimal digits.
const CENTURY_MAX: u8 = 99;

/// Polls of update-in-progress before giving up. The flag is set for at
/// most about 2 ms a second; each poll is a port access of a microsecond
/// or more, so this bound is far beyond any working chip.
const UPDATE_POLLS: u32 = 1_000_000;

/// Readings taken, looking for two in a row that agree, before giving up.
const READ_ATTEMPTS: u32 = 8;

/// The CMOS ports: selecting a register and reading it must not be
/// interleaved with another access, so both happen under this lock, taken
/// with interrupts disabled.
static CMOS: Mutex<()> = Mutex::new(());

/// The RTC's registers as read, before decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawReading {
    /// Seconds register.
    pub seconds: u8,
    /// Minutes register.
    pub minutes: u8,
    /// Hours register, PM flag included in 12-hour mode.
    pub hours: u8,
    /// Day-of-month register.
    pub day: u8,
    /// Month register.
    pub month: u8,
    /// Two-digit year register.
    pub year: u8,
    /// Century register (index 0x32).
    pub century: u8,
    /// Status register B, which says how the others are encoded.
    pub status_b: u8,
}

/// The century a reading's two-digit year is taken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Century {
    /// The century register holds a plausible century, e.g. 20.
    Read(u8),
    /// The century register holds this value, which is no plausible
    /// century: years are taken as 2000-2099.
    Assumed(u8),
}

impl Century {
    /// The century's number: 20 for the years 2000-2099.
    pub const fn number(self) -> u8 {
        match self {
            Century::Read(century) => century,
            Century::Assumed(_) => CENTURY_ASSUMED,
        }
    }
}

/// A field of an RTC reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Day of the month.
    Day,
    /// Month.
    Month,
    /// Year within the century.
    Year,
}

/// Why the RTC could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcError {
    /// Update-in-progress never cleared: no RTC, or a stuck one.
    UpdateNeverEnds,
    /// Readings kept changing between two reads.
    Unsettled,
    /// A field is not a valid number in the chip's encoding.
    BadEncoding(Field, u8),
    /// The fields decode, but name no real date and time.
    NoSuchTime(CivilError),
    /// A real date, but before 1970-01-01, which the clock cannot
    /// represent.
    OutOfRange(Date),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Seconds => "seconds",
            Field::Minutes => "minutes",
            Field::Hours => "hours",
            Field::Day => "day",
            Field::Month => "month",
            Field::Year => "year",
        })
    }
}

impl fmt::Display for RtcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtcError::UpdateNeverEnds => f.write_str("the RTC never finished updating"),
            RtcError::Unsettled => f.write_str("the RTC gave a different time on every read"),
            RtcError::BadEncoding(field, value) => {
                write!(f, "the RTC's {field} register holds {value:#04x}")
            }
            RtcError::NoSuchTime(error) => write!(f, "the RTC names no real time: {error}"),
            RtcError::OutOfRange(date) => write!(
                f,
                "the RTC reads {date}, outside 1970-01-01..9999-12-31, the times the clock can represent"
            ),
        }
    }
}

impl core::error::Error for RtcError {}

/// Reads the date and time from the RTC.
pub fn read() -> Result<WallTime, RtcError> {
    decode(read_raw()?)
}

/// Reads the RTC's registers until two readings in a row agree.
pub fn read_raw() -> Result<RawReading, RtcError> {
    interrupts::without_interrupts(|| {
        let _cmos = CMOS.lock();
        let mut previous = read_once()?;
        for _ in 1..READ_ATTEMPTS {
            let reading = read_once()?;
            if reading == previous {
                return Ok(reading);
            }
            previous = reading;
        }
        Err(RtcError::Unsettled)
    })
}

/// Waits for update-in-progress to clear, then reads every field once.
/// Call with the CMOS lock held.
fn read_once() -> Result<RawReading, RtcError> {
    let mut polls = 0;
    while register(REGISTER_STATUS_A) & STATUS_A_UPDATE_IN_PROGRESS != 0 {
        polls += 1;
        if polls == UPDATE_POLLS {
            return Err(RtcError::UpdateNeverEnds);
        }
        core::hint::spin_loop();
    }
    Ok(RawReading {
        seconds: register(REGISTER_SECONDS),
        minutes: register(REGISTER_MINUTES),
        hours: register(REGISTER_HOURS),
        day: register(REGISTER_DAY_OF_MONTH),
        month: register(REGISTER_MONTH),
        year: register(REGISTER_YEAR),
        century: register(REGISTER_CENTURY),
        status_b: register(REGISTER_STATUS_B),
    })
}

/// Reads one CMOS register. Call with the CMOS lock held.
fn register(index: u8) -> u8 {
    let mut index_port = Port::<u8>::new(CMOS_INDEX);
    let mut data_port = Port::<u8>::new(CMOS_DATA);
    // SAFETY: 0x70/0x71 are the CMOS index and data ports on every PC;
    // the caller holds the CMOS lock, so no other access comes between
    // selecting the register and reading it. `index` is below 0x80, so NMIs
    // stay enabled, and reading these registers has no side effects.
    unsafe {
        index_port.write(index);
        data_port.read()
    }
}

/// Decodes a reading of the RTC's registers into the time it names.
pub fn decode(raw: RawReading) -> Result<WallTime, RtcError> {
    let binary = raw.status_b & STATUS_B_BINARY != 0;
    let number = |field: Field, value: u8| {
        let decoded = if binary { Some(value) } else { from_bcd(value) };
        decoded.ok_or(RtcError::BadEncoding(field, value))
    };
    let hours = if raw.status_b & STATUS_B_24_HOUR != 0 {
        number(Field::Hours, raw.hours)?
    } else {
        let hour_of_half_day = number(Field::Hours, raw.hours & !HOUR_PM)?;
        to_24_hour(hour_of_half_day, raw.hours & HOUR_PM != 0)
            .ok_or(RtcError::BadEncoding(Field::Hours, raw.hours))?
    };
    let year = i64::from(century(raw).number()) * 100 + i64::from(number(Field::Year, raw.year)?);
    let date = Date::new(
        year,
        number(Field::Month, raw.month)?,
        number(Field::Day, raw.day)?,
    )
    .map_err(RtcError::NoSuchTime)?;
    let time = LocalTime::new(
        date,
        hours,
        number(Field::Minutes, raw.minutes)?,
        number(Field::Seconds, raw.seconds)?,
        UtcOffset::UTC,
    )
    .map_err(RtcError::NoSuchTime)?;
    time.to_wall().ok_or(RtcError::OutOfRange(date))
}

/// The century of a reading: its century register if that holds a
/// plausible century (1 to 99 in the chip's encoding), else 20, assumed.
pub fn century(raw: RawReading) -> Century {
    let value = if raw.status_b & STATUS_B_BINARY != 0 {
        Some(raw.century)
    } else {
        from_bcd(raw.century)
    };
    match value {
        Some(century) if (CENTURY_MIN..=CENTURY_MAX).contains(&century) => Century::Read(century),
        _ => Century::Assumed(raw.century),
    }
}

/// The value of a two-digit BCD byte, or `None` if a digit is above 9.
const fn from_bcd(value: u8) -> Option<u8> {
    let (tens, ones) = (value >> 4, value & 0x0f);
    if tens > 9 || ones > 9 {
        None
    } else {
        Some(tens * 10 + ones)
    }
}

/// The hour 0-23 for `hour` 1-12 on a 12-hour clock: 12 AM is midnight
/// (0), 12 PM is noon (12). `None` outside 1-12.
const fn to_24_hour(hour: u8, pm: bool) -> Option<u8> {
    match (hour, pm) {
        (1..=11, false) => Some(hour),
        (12, false) => Some(0),
        (1..=11, true) => Some(hour + 12),
        (12, true) => Some(12),
        _ => None,
    }
}
