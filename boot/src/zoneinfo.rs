//! IANA time zone names in the boot config, resolved on the host.
//!
//! The kernel has no tz database: its calendar takes a zone as the POSIX TZ
//! rule that ends the zone's TZif file (for example Europe/Berlin's
//! `CET-1CEST,M3.5.0,M10.5.0/3`). The runner reads that rule from the
//! system's database (`/usr/share/zoneinfo`, Debian package `tzdata`, which
//! `make setup` installs; `$TZDIR` overrides the directory) and puts it in
//! place of the name before the config reaches the kernel.

use std::path::PathBuf;

use update_sched::zone::ZoneRule;

/// The tz database directory.
fn zoneinfo_dir() -> PathBuf {
    std::env::var_os("TZDIR").map_or_else(|| PathBuf::from("/usr/share/zoneinfo"), PathBuf::from)
}

/// Whether `name` has the shape of a zone name such as `Europe/Berlin` or
/// `America/Argentina/Buenos_Aires`: `/`-separated parts of letters,
/// digits, `_`, `-` and `+`, never `.`, `..` or an absolute path.
fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

/// The POSIX TZ rule of the IANA zone `name`.
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
    let bytes = std::fs::read(dir.join(name))
        .ok()
        .filter(|bytes| bytes.starts_with(b"TZif"))
        .ok_or_else(|| {
            format!(
                "unknown time zone '{name}': no such zone in {}",
                dir.display()
            )
        })?;
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let start = body
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    let text = String::from_utf8_lossy(&body[start..]).into_owned();
    text.parse()
        .map_err(|error| format!("time zone '{name}': its rule '{text}' is not usable: {error}"))
}

/// Calendar text with an element naming a zone (`Europe/Berlin`: no spaces,
/// a `/`) replaced by the zone's rule; `None` when it names none.
pub fn resolve_names(text: &str) -> Result<Option<String>, String> {
    let mut changed = false;
    let mut elements = Vec::new();
    for element in text.split(';') {
        let trimmed = element.trim();
        if trimmed.contains('/') && is_zone_name(trimmed) {
            elements.push(format!(" {}", rule_of(trimmed)?));
            changed = true;
        } else {
            elements.push(element.to_owned());
        }
    }
    Ok(changed.then(|| elements.join(";").trim().to_owned()))
}

/// `text`, a boot config's TOML, with a zone name in its `windows` field
/// replaced by the zone's rule; the line keeps its number. `Err` is the
/// message for a name that does not resolve.
pub fn resolve_config_windows(text: &str) -> Result<std::borrow::Cow<'_, str>, String> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        // The normal parse reports the error with its line.
        return Ok(text.into());
    };
    let Some(windows) = table.get("windows").and_then(toml::Value::as_str) else {
        return Ok(text.into());
    };
    let Some(resolved) = resolve_names(windows)? else {
        return Ok(text.into());
    };
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let is_windows = line
                .trim_start()
                .strip_prefix("windows")
                .is_some_and(|rest| rest.trim_start().starts_with('='));
            if is_windows {
                format!("windows = {}", toml::Value::String(resolved.clone()))
            } else {
                line.to_owned()
            }
        })
        .collect();
    Ok(lines.join("\n").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_zone_name_in_windows_resolves_to_its_rule() {
        if !std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
            eprintln!("/usr/share/zoneinfo is missing (install tzdata): test skipped");
            return;
        }
        let text = "speed = 60\nwindows = \"Mon..Fri 01:00 +180m; Europe/Berlin\"\n";
        let resolved = resolve_config_windows(text).unwrap();
        assert_eq!(
            resolved,
            "speed = 60\nwindows = \"Mon..Fri 01:00 +180m; CET-1CEST,M3.5.0,M10.5.0/3\""
        );
        let error =
            resolve_config_windows("windows = \"Mon 01:00 +1h; Europe/Nowhere\"").unwrap_err();
        assert!(
            error.contains("unknown time zone 'Europe/Nowhere'"),
            "{error}"
        );
        // Offsets, rules and texts without windows stay as they are.
        for text in [
            "windows = \"Mon 01:00 +1h; UTC+01:00\"",
            "windows = \"Mon 01:00 +1h; CET-1CEST,M3.5.0,M10.5.0/3\"",
            "speed = 60",
        ] {
            assert_eq!(resolve_config_windows(text).unwrap(), text);
        }
    }
}
