//! Boot configuration files: TOML read into a [`BootConfig`] and checked,
//! with errors that name the file and, where they can, the line.
//!
//! The file's fields are `BootConfig`'s (see the `boot-config` crate and
//! the commented `config/demo.toml`); the runner validates the result with
//! the same code the kernel uses, so a bad file stops here, before QEMU.

use std::path::Path;

use boot_config::config::CONSOLE_SPEED;
use boot_config::BootConfig;

use crate::files::{printable, read_text_limited};

/// The configuration `cargo run` boots with when given none: the demo.
pub const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/demo.toml");

/// The longest boot config file read. A config sets a dozen short
/// fields (its encoded form fits in
/// [`boot_config::ramdisk::MAX_CONFIG_RAMDISK_LEN`], 1 KiB); the commented
/// `config/demo.toml` is under 2 KiB. 64 KiB leaves room for any comments.
pub const MAX_CONFIG_FILE_LEN: usize = 64 * 1024;

/// Reads and validates the TOML file at `path`.
pub fn read_config(path: &Path) -> Result<BootConfig, String> {
    let text = read_text_limited(path, MAX_CONFIG_FILE_LEN)
        .map_err(|error| format!("cannot read config {}: {error}", path.display()))?;
    parse_config(&text, &path.display().to_string())
}

/// Parses and validates TOML `text` read from `origin` (a file name, for
/// messages), with every error on one line:
/// `origin:3: speed: invalid type: string "fast", expected u32` or
/// `origin:3: invalid config: speed 0 is outside 1..=1000000`. A parse
/// error names the line and key but never quotes the text: a file given
/// by mistake (a secret key, say) is not echoed to the terminal.
pub fn parse_config(text: &str, origin: &str) -> Result<BootConfig, String> {
    // A zone name (`; Europe/Berlin`) becomes the zone's rule here: the
    // kernel has no tz database.
    let resolved =
        crate::zoneinfo::resolve_config_windows(text).map_err(|error| {
            match line_of_key(text, "windows") {
                Some(line) => format!("{origin}:{line}: windows: {error}"),
                None => format!("{origin}: windows: {error}"),
            }
        })?;
    let text = resolved.as_ref();
    let config: BootConfig = toml::from_str(text).map_err(|error| {
        let message = printable(error.message().trim_end());
        let Some(span) = error.span() else {
            return format!("{origin}: {message}");
        };
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        let key = text
            .lines()
            .nth(line - 1)
            .and_then(|line| line.split_once('='))
            .map(|(key, _)| key.trim())
            .filter(|key| {
                !key.is_empty()
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    && !message.contains(&format!("`{key}`"))
            });
        match key {
            Some(key) => format!("{origin}:{line}: {key}: {message}"),
            None => format!("{origin}:{line}: {message}"),
        }
    })?;
    if let Err(error) = config.validate() {
        return Err(match line_of_key(text, error.toml_key()) {
            Some(line) => format!("{origin}:{line}: invalid config: {error}"),
            None => format!("{origin}: invalid config: {error}"),
        });
    }
    Ok(config)
}

/// What `--console` changes: the console, one simulated minute per second,
/// nothing submitted ([`BootConfig::console`]); everything else stays.
pub fn apply_console(config: &mut BootConfig) {
    let console = BootConfig::console();
    config.mode = console.mode;
    config.speed = CONSOLE_SPEED;
    config.scenario = console.scenario;
}

/// The 1-based line on which `key = ...` is set, if any.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use boot_config::{Failures, Mode, Name};
    use update_sched::civil::Weekday;
    use update_sched::config::Profile;
    use update_sched::policy::FrequencyPolicy;

    fn from_toml(text: &str) -> Result<BootConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn test_repository_configs_are_valid() {
        let demo = read_config(Path::new(DEMO_CONFIG)).unwrap();
        assert_eq!(demo, BootConfig::default());
        let console_file = DEMO_CONFIG.replace("demo.toml", "console.toml");
        let console = read_config(Path::new(&console_file)).unwrap();
        assert_eq!(console, BootConfig::console());
        let mut shorthand = BootConfig::default();
        apply_console(&mut shorthand);
        assert_eq!(shorthand, BootConfig::console());
    }

    #[test]
    fn test_config_read_from_dev_zero_is_refused_at_the_limit() {
        let error = read_config(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            error,
            format!(
                "cannot read config /dev/zero: larger than {MAX_CONFIG_FILE_LEN} bytes, the most \
                 allowed"
            )
        );
    }

    #[test]
    fn test_windows_in_a_named_zone_reach_the_kernel_as_its_rule() {
        if !Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
            eprintln!("/usr/share/zoneinfo is missing (install tzdata): test skipped");
            return;
        }
        let config = parse_config(
            "windows = \"Mon..Fri 01:00 +180m; Europe/Berlin\"",
            "x.toml",
        )
        .unwrap();
        let windows = config.windows.unwrap();
        assert_eq!(
            windows.to_string(),
            "Mon..Fri 01:00 +180m; CET-1CEST,M3.5.0,M10.5.0/3"
        );
        assert!(windows.zone().is_some());
        let error =
            parse_config("\nwindows = \"Mon 01:00 +1h; Mars/Olympus\"", "x.toml").unwrap_err();
        assert!(
            error.starts_with("x.toml:2: windows: unknown time zone 'Mars/Olympus'"),
            "{error}"
        );
    }

    #[test]
    fn test_empty_toml_is_the_default() {
        assert_eq!(from_toml("").unwrap(), BootConfig::default());
    }

    #[test]
    fn test_full_toml_applies_overrides() {
        let config = from_toml(
            r#"
            mode = "console"
            profile = "server"
            workload = "nightshift"
            speed = 600
            seed = 42
            scenario = "none"
            days = 3
            windows = "Sat,Sun 22:30 +60m; UTC+01:00"
            frequency = "weekly Sun"
            max_concurrent = 2
            [failures]
            firmware = 1000
            "#,
        )
        .unwrap();
        assert_eq!(config.mode, Mode::Console);
        assert_eq!(config.failures.as_array(), [0, 0, 100, 100, 1000]);
        let scheduler = config.validate().unwrap();
        assert_eq!(
            scheduler.frequency,
            FrequencyPolicy::Weekly(Weekday::Sunday)
        );
        assert_eq!(scheduler.max_concurrent, 2);
        assert_eq!(
            scheduler.windows.to_string(),
            "Sat,Sun 22:30 +60m; UTC+01:00"
        );
    }

    #[test]
    fn test_toml_unknown_key_is_an_error_naming_it() {
        let error = parse_config("sped = 5", "x.toml").unwrap_err();
        assert!(
            error.starts_with("x.toml:1: unknown field `sped`"),
            "{error}"
        );
        let error = from_toml("[failures]\ntoaster = 5")
            .unwrap_err()
            .to_string();
        assert!(error.contains("toaster"), "{error}");
    }

    #[test]
    fn test_toml_bad_values_name_the_problem() {
        let error = parse_config("\nwindows = \"Sat 25:00 +1h\"", "x.toml").unwrap_err();
        assert!(error.starts_with("x.toml:2: windows: "), "{error}");
        assert!(error.contains("start hour out of range"), "{error}");
        let error = from_toml("profile = \"laptop\"").unwrap_err().to_string();
        assert!(error.contains("unknown profile"), "{error}");
        let error = from_toml("mode = \"party\"").unwrap_err().to_string();
        assert!(error.contains("party"), "{error}");
        let error = from_toml("workload = \"a-very-long-workload-name\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("workload"), "{error}");
        let error = from_toml("speed = \"fast\"").unwrap_err().to_string();
        assert!(error.contains("speed"), "{error}");
    }

    #[test]
    fn test_config_parse_error_is_one_line_and_does_not_echo_the_file() {
        let secret = "0afd34a80462fd77f1b0e11d2000c81c6f19d70e2aab9551837c7c8670fc6822";
        for (text, expected) in [
            (
                format!("# a key file given as a config\n{secret}\n"),
                "k.toml:2: key with no value, expected `=`".to_string(),
            ),
            (
                "speed = 5\nspeed = 6\n".to_string(),
                "k.toml:2: speed: duplicate key".to_string(),
            ),
            (
                "mode = \"\\u001b[2J\"\n".to_string(),
                "k.toml:1: mode: unknown variant `\\u{1b}[2J`, expected `demo` or `console`"
                    .to_string(),
            ),
            (
                "speed = \"fast\"\n".to_string(),
                "k.toml:1: speed: invalid type: string \"fast\", expected u32".to_string(),
            ),
        ] {
            let error = parse_config(&text, "k.toml").unwrap_err();
            assert_eq!(error, expected);
            assert!(!error.contains(char::is_control), "{error}");
            assert!(!error.contains(secret), "{error}");
        }
    }

    #[test]
    fn test_invalid_values_name_file_and_line() {
        let text = "profile = \"basic\"\n\nspeed = 0\n";
        assert_eq!(
            parse_config(text, "bad.toml").unwrap_err(),
            "bad.toml:3: invalid config: speed 0 is outside 1..=1000000"
        );
        let text = "workload = \"gaming\"";
        assert_eq!(
            parse_config(text, "bad.toml").unwrap_err(),
            "bad.toml:1: invalid config: unknown workload: expected office, home, server, \
             nightshift, change, irregular or laptop"
        );
        let text = "[failures]\nkernel = 1001\n";
        assert!(parse_config(text, "bad.toml")
            .unwrap_err()
            .starts_with("bad.toml:2: invalid config: failure rate of kernel updates"));
        let text = "freezes = \"2026-12-20..2027-04-03\"\n";
        assert_eq!(
            parse_config(text, "bad.toml").unwrap_err(),
            "bad.toml:1: freezes: invalid freeze periods \"2026-12-20..2027-04-03\": freeze period 1 lasts 105 days; at most 90"
        );
        let text = "frequency = \"weekly Sun\"\n";
        assert!(parse_config(text, "bad.toml").unwrap_err().starts_with(
            "bad.toml:1: invalid config: scheduler configuration: the policy releases on"
        ));
    }

    #[test]
    fn test_toml_and_postcard_agree() {
        let config = BootConfig {
            mode: Mode::Console,
            profile: Profile::Server,
            workload: Name::try_from("nightshift").unwrap(),
            speed: 600,
            seed: u64::MAX - 7,
            scenario: Name::try_from("none").unwrap(),
            failures: Failures {
                security: 1,
                kernel: 2,
                driver: 3,
                application: 4,
                firmware: 1000,
            },
            days: 28,
            windows: Some(
                "Mon..Fri 01:00 +3h; Sat,Sun 22:30 +60m; UTC-05:30"
                    .parse()
                    .unwrap(),
            ),
            frequency: Some("monthly 2nd Sun".parse().unwrap()),
            max_concurrent: Some(3),
            freezes: Some(
                "2026-12-20..2027-01-03, 2027-06-01..2027-06-14"
                    .parse()
                    .unwrap(),
            ),
        };
        let text = toml::to_string(&config).unwrap();
        assert!(
            text.contains("freezes = \"2026-12-20..2027-01-03, 2027-06-01..2027-06-14\""),
            "{text}"
        );
        assert!(text.contains("frequency = \"monthly 2nd Sun\""), "{text}");
        assert!(
            text.contains("windows = \"Mon..Fri 01:00 +180m; Sat,Sun 22:30 +60m; UTC-05:30\""),
            "{text}"
        );
        let back = parse_config(&text, "written.toml").unwrap();
        assert_eq!(back, config);
        let mut buffer = [0u8; boot_config::ramdisk::MAX_CONFIG_RAMDISK_LEN];
        let len = boot_config::encode(&back, &mut buffer).unwrap();
        assert_eq!(boot_config::decode_config(&buffer[..len]), Ok(config));
    }
}
