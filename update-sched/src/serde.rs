//! `serde` support (feature `serde`): configuration types travel as their
//! text forms.
//!
//! Each type below serializes as the string its `Display` prints and
//! deserializes by parsing a string the way its `FromStr` (or `from_name`)
//! does, so a TOML file says `windows = "Sat,Sun 22:30 +60m; UTC+01:00"` or
//! `frequency = "weekly Sun"`, and a compact binary format such as postcard
//! carries the same text. A text that does not parse is a deserialization
//! error whose message names the type and the parser's own complaint, e.g.
//! `invalid maintenance calendar "Sat 25:00 +1h": start hour out of range:
//! expected 00..=23`.
//!
//! Nothing here allocates: serialization goes through
//! `Serializer::collect_str` and deserialization borrows or copies the
//! string only for as long as the parse takes.

use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};
use serde::Deserialize;

use crate::civil::{UtcOffset, Weekday};
use crate::config::Profile;
use crate::freeze::Freezes;
use crate::policy::FrequencyPolicy;
use crate::update::{Priority, UpdateKind};
use crate::window::MaintenanceCalendar;

/// A type with a text form: what it is called in error messages and how
/// its text parses.
trait TextForm: Sized {
    /// What the text describes, for error messages ("UTC offset").
    const WHAT: &'static str;
    /// What a valid text looks like, for serde's `expecting`.
    const EXPECTING: &'static str;
    /// Why a text did not parse.
    type Error: fmt::Display;
    /// Parses `text`.
    fn parse_text(text: &str) -> Result<Self, Self::Error>;
}

/// Implements [`TextForm`] through `FromStr`.
macro_rules! text_form_from_str {
    ($type:ty, $what:literal, $expecting:literal) => {
        impl TextForm for $type {
            const WHAT: &'static str = $what;
            const EXPECTING: &'static str = $expecting;
            type Error = <$type as FromStr>::Err;
            fn parse_text(text: &str) -> Result<Self, Self::Error> {
                text.parse()
            }
        }
    };
}

text_form_from_str!(
    Profile,
    "profile",
    "a profile: basic, server, desktop or iot"
);
text_form_from_str!(
    FrequencyPolicy,
    "frequency policy",
    "a frequency policy: daily, weekly <day>, monthly <1..28|last|2nd Tue|last Fri>, manual or adaptive"
);
text_form_from_str!(
    Freezes,
    "freeze periods",
    "freeze periods such as \"2026-12-20..2027-01-03, 2027-06-01..2027-06-14\""
);
text_form_from_str!(
    UtcOffset,
    "UTC offset",
    "a UTC offset such as Z, +01:00 or -05:30"
);
text_form_from_str!(Weekday, "weekday", "a weekday such as Mon or Sunday");

impl<const W: usize> TextForm for MaintenanceCalendar<W> {
    const WHAT: &'static str = "maintenance calendar";
    const EXPECTING: &'static str =
        "a maintenance calendar such as \"Sat,Sun 22:30 +60m; UTC+01:00\"";
    type Error = <MaintenanceCalendar<W> as FromStr>::Err;
    fn parse_text(text: &str) -> Result<Self, Self::Error> {
        text.parse()
    }
}

/// A name that is none of a type's names.
#[derive(Clone, Copy, Debug)]
struct UnknownName(&'static str);

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}", self.0)
    }
}

impl TextForm for Priority {
    const WHAT: &'static str = "priority";
    const EXPECTING: &'static str = "a priority: critical, security, important, optional or low";
    type Error = UnknownName;
    fn parse_text(text: &str) -> Result<Self, UnknownName> {
        Priority::from_name(text.trim()).ok_or(UnknownName(
            "critical, security, important, optional or low",
        ))
    }
}

impl TextForm for UpdateKind {
    const WHAT: &'static str = "update kind";
    const EXPECTING: &'static str =
        "an update kind: security, kernel, driver, application or firmware";
    type Error = UnknownName;
    fn parse_text(text: &str) -> Result<Self, UnknownName> {
        UpdateKind::from_name(text.trim()).ok_or(UnknownName(
            "security, kernel, driver, application or firmware",
        ))
    }
}

/// Visits a string and parses it as a `T`.
struct TextVisitor<T>(PhantomData<T>);

impl<T: TextForm> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        T::parse_text(text)
            .map_err(|error| E::custom(format_args!("invalid {} {text:?}: {error}", T::WHAT)))
    }
}

/// Implements `Serialize` (as the `Display` text) and `Deserialize` (by
/// parsing a string) for a [`TextForm`] type.
macro_rules! serde_as_text {
    ($($type:ty),* $(,)?) => {
        $(
            impl Serialize for $type {
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.collect_str(self)
                }
            }

            impl<'de> Deserialize<'de> for $type {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    deserializer.deserialize_str(TextVisitor(PhantomData))
                }
            }
        )*
    };
}

serde_as_text!(
    Profile,
    FrequencyPolicy,
    UtcOffset,
    Weekday,
    Priority,
    UpdateKind,
    Freezes
);

impl<const W: usize> Serialize for MaintenanceCalendar<W> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, const W: usize> Deserialize<'de> for MaintenanceCalendar<W> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Calendar;
    use serde::de::value::StrDeserializer;
    use serde::de::IntoDeserializer;

    /// A deserialization error that keeps its message. serde's own
    /// `value::Error` keeps it only when serde's `std` or `alloc` feature
    /// is on, which this crate does not ask for: the messages tested here
    /// must not depend on another crate turning it on.
    #[derive(Debug)]
    struct TextError(String);

    impl fmt::Display for TextError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl serde::de::StdError for TextError {}

    impl serde::de::Error for TextError {
        fn custom<T: fmt::Display>(message: T) -> Self {
            TextError(message.to_string())
        }
    }

    /// Parses `text` as a `T` through serde, as a text-based format would.
    fn from_text<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, TextError> {
        let deserializer: StrDeserializer<'_, TextError> = text.into_deserializer();
        T::deserialize(deserializer)
    }

    /// Serialization is `collect_str` of the `Display` text; the text
    /// each type prints parses back to the same value, so what is
    /// serialized deserializes unchanged (`boot-config` checks the whole
    /// trip through TOML and postcard).
    #[test]
    fn test_display_text_deserializes_to_the_same_value() {
        let calendar: Calendar = from_text("sat, sun 22:30 +1h; utc+01:00").unwrap();
        assert_eq!(calendar.to_string(), "Sat,Sun 22:30 +60m; UTC+01:00");
        assert_eq!(
            from_text::<Calendar>(&calendar.to_string()).unwrap(),
            calendar
        );
        for profile in Profile::ALL {
            assert_eq!(from_text::<Profile>(&profile.to_string()).unwrap(), profile);
        }
        for text in [
            "daily",
            "weekly Sun",
            "monthly 1",
            "monthly last",
            "manual",
            "adaptive",
        ] {
            let policy: FrequencyPolicy = from_text(text).unwrap();
            assert_eq!(policy.to_string(), text);
        }
        let offset: UtcOffset = from_text("-05:30").unwrap();
        assert_eq!(offset.to_string(), "-05:30");
        for kind in UpdateKind::ALL {
            assert_eq!(from_text::<UpdateKind>(&kind.to_string()).unwrap(), kind);
        }
        for priority in Priority::ALL {
            assert_eq!(
                from_text::<Priority>(&priority.to_string()).unwrap(),
                priority
            );
        }
        for day in Weekday::ALL {
            assert_eq!(from_text::<Weekday>(&day.to_string()).unwrap(), day);
        }
    }

    #[test]
    fn test_bad_text_error_names_type_text_and_problem() {
        let error = from_text::<Calendar>("Sat 25:00 +1h")
            .unwrap_err()
            .to_string();
        assert!(error.contains("maintenance calendar"), "{error}");
        assert!(error.contains("\"Sat 25:00 +1h\""), "{error}");
        assert!(error.contains("start hour out of range"), "{error}");
        let error = from_text::<Profile>("laptop").unwrap_err().to_string();
        assert!(
            error.contains("invalid profile \"laptop\": unknown profile"),
            "{error}"
        );
        let error = from_text::<FrequencyPolicy>("weekly")
            .unwrap_err()
            .to_string();
        assert!(error.contains("weekly needs a weekday"), "{error}");
        let error = from_text::<UtcOffset>("+15:00").unwrap_err().to_string();
        assert!(error.contains("out of range"), "{error}");
        let error = from_text::<UpdateKind>("toaster").unwrap_err().to_string();
        assert!(error.contains("expected security, kernel"), "{error}");
    }
}
