//! Resolves IANA time zone names to the POSIX TZ rule the library takes.
//!
//! The rule of a zone is the footer of its TZif file in the system's tz
//! database (`/usr/share/zoneinfo`, Debian package `tzdata`; `$TZDIR`
//! overrides the directory).

use std::path::{Path, PathBuf};

use update_sched::zone::ZoneRule;

/// The tz database directory.
fn zoneinfo_dir() -> PathBuf {
    std::env::var_os("TZDIR").map_or_else(|| PathBuf::from("/usr/share/zoneinfo"), PathBuf::from)
}

/// Whether `name` has the shape of a zone name: letters, digits, `_`, `-`,
/// `+` and `/`-separated parts, never `..` or an absolute path.
fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

/// The POSIX TZ rule of the IANA zone `name`, such as `Europe/Berlin`.
pub fn rule_of(name: &str) -> Result<ZoneRule, String> {
    let dir = zoneinfo_dir();
    if !is_zone_name(name) {
        return Err(format!(
            "'{name}' is not a time zone name like Europe/Berlin"
        ));
    }
    if !dir.is_dir() {
        return Err(format!(
            "cannot resolve time zone '{name}': {} is missing (install the tzdata package, \
             e.g. with `make setup`)",
            dir.display()
        ));
    }
    let path = dir.join(name);
    let bytes = std::fs::read(&path)
        .ok()
        .filter(|bytes| bytes.starts_with(b"TZif"))
        .ok_or_else(|| {
            format!(
                "unknown time zone '{name}': no such zone in {}",
                dir.display()
            )
        })?;
    let text = footer(&bytes);
    if text.is_empty() {
        return Err(format!(
            "time zone '{name}' has no rule for future dates in {}",
            path.display()
        ));
    }
    text.parse()
        .map_err(|error| format!("time zone '{name}': its rule '{text}' is not usable: {error}"))
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

/// `text`, a calendar text, with every element that names a zone (it has
/// a `/`, or is a file of the database such as `Japan`, and no spaces)
/// replaced by the zone's rule. Elements the library reads itself (`UTC`,
/// `UTC+01:00`, windows, rules) are kept.
pub fn resolve_names(text: &str) -> Result<String, String> {
    let dir = zoneinfo_dir();
    let elements: Result<Vec<String>, String> = text
        .split(';')
        .map(|element| {
            let trimmed = element.trim();
            let lower = trimmed.to_ascii_lowercase();
            let library_form =
                lower == "utc" || lower.starts_with("utc+") || lower.starts_with("utc-");
            let names_zone = !library_form
                && is_zone_name(trimmed)
                && (trimmed.contains('/') || Path::new(&dir).join(trimmed).is_file());
            if names_zone {
                Ok(format!(" {}", rule_of(trimmed)?))
            } else {
                Ok(element.to_owned())
            }
        })
        .collect();
    Ok(elements?.join(";").trim().to_owned())
}
