//! Manifest files: a TOML list of updates, read, checked, and signed into
//! a bundle (see [`crate::bundle`]).
//!
//! ```toml
//! version = 1                 # manifest version: must rise with each new manifest
//! valid_for = "90d"           # expiry after signing; or expires = "2027-01-01T00:00:00Z"
//!
//! [[update]]
//! id = 1
//! name = "openssl"            # 1 to 16 characters of [A-Za-z0-9._+-]
//! kind = "security"           # security, kernel, driver, application or firmware
//! priority = "security"       # critical, security, important, optional or low
//! version = "1.1.1"           # exactly MAJOR.MINOR.PATCH, no leading zeros
//! estimate = "20m"            # whole minutes, 1m to 1092m (18h12m)
//! reboot = false
//! runs_alone = false          # optional, default false
//! available_after = "7m"      # after the kernel accepts the manifest; at most 90d
//! depends_on = []             # optional, at most 2 update ids
//! payload = "payloads/openssl-1.1.1.txt"   # relative to the TOML file, inside its directory
//! ```
//!
//! Each payload's size and SHA-256 are taken from its file and signed
//! with the rest. Every problem is an error on one line naming the file,
//! the line where it can, the update and the field:
//! `updates.toml:14: update 3: priority "urgent": expected critical,
//! security, important, optional or low`.
//!
//! A payload must lie inside the manifest file's directory: absolute
//! paths, `..`, symbolic links that lead outside, and an empty path or one
//! with control characters (which would reach the terminal in messages)
//! are refused. Every file is read with a size limit
//! ([`MAX_MANIFEST_FILE_LEN`], and [`MAX_PAYLOAD_LEN`] for a payload).
//!
//! This file is also compiled into `boot`'s build script, which signs
//! the example manifest (`boot/manifests/example.toml`): it uses only
//! `std`, `serde`, `toml`, the workspace's `no_std` crates, and
//! [`crate::bundle`] and [`crate::files`].

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use boot_config::Tag;
use serde::Deserialize;
use update_manifest::{
    is_name_byte, sha256, DependencyGraph, Entry, KeyId, SigningKey, MAX_AVAILABLE_AFTER_MINUTES,
    MAX_ENTRIES, MAX_ESTIMATE_MINUTES, MAX_PAYLOAD_LEN, NAME_CAPACITY,
};
use update_sched::civil::WallTime;
use update_sched::update::{check_dependencies, parse_estimate, UpdateName, Version};
use update_sched::{Duration, Priority, UpdateId, UpdateKind};

use crate::bundle::{payload_section, sign_manifest, write_container, OwnedSection};
use crate::files::{
    kind_of, parent_directory, printable, read_limited, read_text_limited, ReadError,
};

/// The repository's example manifest: the demo's week of updates. `boot`'s
/// build script signs it; see [`crate::EXAMPLE_BUNDLE`].
pub const EXAMPLE_MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/manifests/example.toml");

/// The longest manifest file read. An update takes a dozen short lines,
/// so [`MAX_ENTRIES`] of them fit in well under 64 KiB; 256 KiB leaves
/// room for comments.
pub const MAX_MANIFEST_FILE_LEN: usize = 256 * 1024;

/// The file as written: every field checked for presence and type only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    version: u64,
    valid_for: Option<String>,
    expires: Option<String>,
    #[serde(default)]
    update: Vec<UpdateToml>,
}

/// One `[[update]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateToml {
    id: u32,
    name: String,
    kind: String,
    priority: String,
    version: String,
    estimate: String,
    reboot: bool,
    #[serde(default)]
    runs_alone: bool,
    available_after: String,
    #[serde(default)]
    depends_on: Vec<u32>,
    payload: String,
}

/// The last expiry `sign` writes, 9999-12-31T23:59:59Z in Unix seconds:
/// the kernel's clock (its RTC driver) represents no later time, so a
/// manifest expiring later would in effect never expire. `expires` cannot
/// name a later time; this bounds `valid_for`.
pub const LAST_EXPIRY: i64 = 253_402_300_799;

/// When a signed manifest expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// This long after signing (`valid_for`).
    After(Duration),
    /// At this wall-clock time (`expires`).
    At(WallTime),
}

impl Expiry {
    /// Reads `90d` (a duration after signing) or `2027-01-01T00:00:00Z` (an
    /// RFC 3339 time), as `--expires` takes them.
    pub fn parse(text: &str) -> Result<Expiry, String> {
        if text.starts_with(|c: char| c.is_ascii_digit()) && !text.contains('-') {
            parse_valid_for(text).map(Expiry::After)
        } else {
            text.parse::<WallTime>()
                .map(Expiry::At)
                .map_err(|error| format!("{text:?}: {error}"))
        }
    }

    /// The expiry in Unix seconds for a manifest signed at `issued_at`.
    pub fn at(self, issued_at: i64) -> Result<i64, String> {
        let expires_at = match self {
            Expiry::After(duration) => i64::try_from(duration.as_secs())
                .ok()
                .and_then(|secs| issued_at.checked_add(secs))
                .ok_or_else(|| format!("valid_for {duration} is too long"))?,
            Expiry::At(time) => i64::try_from(time.as_unix_secs())
                .map_err(|_| format!("expires {time} is too far in the future"))?,
        };
        if expires_at > LAST_EXPIRY {
            return Err(format!(
                "expires {}: after {}, the last time the kernel's clock represents",
                describe_unix_secs(expires_at),
                wall_time(LAST_EXPIRY)
            ));
        }
        if expires_at <= issued_at {
            return Err(format!(
                "expires {} is not after the signing time {}",
                wall_time(expires_at),
                wall_time(issued_at)
            ));
        }
        Ok(expires_at)
    }
}

/// Unix seconds for a message: an RFC 3339 time through [`LAST_EXPIRY`],
/// past it the seconds and the year, roughly.
fn describe_unix_secs(unix_secs: i64) -> String {
    if unix_secs <= LAST_EXPIRY {
        wall_time(unix_secs).to_string()
    } else {
        format!(
            "{unix_secs} s after 1970 (about the year {})",
            1970 + unix_secs / 31_556_952
        )
    }
}

/// Unix seconds as an RFC 3339 UTC time, for messages (negative ones as
/// the epoch: signing times never are).
pub fn wall_time(unix_secs: i64) -> WallTime {
    WallTime::from_unix_secs(u64::try_from(unix_secs).unwrap_or(0))
}

/// A `valid_for` duration: whole seconds, above zero.
fn parse_valid_for(text: &str) -> Result<Duration, String> {
    let duration: Duration = text
        .parse()
        .map_err(|error| format!("valid_for {text:?}: {error}"))?;
    if duration.as_millis() == 0 || !duration.as_millis().is_multiple_of(1000) {
        return Err(format!(
            "valid_for {text:?}: must be a whole number of seconds above 0, e.g. \"90d\""
        ));
    }
    Ok(duration)
}

/// One update of a manifest file, checked: the manifest entry (with the
/// payload's size and digest filled in) and the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    /// The entry that will be signed.
    pub entry: Entry,
    /// The payload's bytes.
    pub payload: Vec<u8>,
    /// The payload file.
    pub payload_path: PathBuf,
}

/// A manifest file, read and checked, ready to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestFile {
    /// The manifest version.
    pub version: u64,
    /// When it expires.
    pub expiry: Expiry,
    /// Its updates, in file order.
    pub updates: Vec<Update>,
}

/// A signed bundle and what it says, for the one-line summary.
#[derive(Clone, Debug)]
pub struct SignedBundle {
    /// The bundle: a ramdisk container with one manifest section and one
    /// payload section per update.
    pub bytes: Vec<u8>,
    /// The manifest version.
    pub version: u64,
    /// Number of updates.
    pub entries: usize,
    /// The signing key's id.
    pub key_id: KeyId,
    /// Signing time, Unix seconds.
    pub issued_at: i64,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

impl SignedBundle {
    /// `manifest version 1, 21 updates, key 1a2b3c4d5e6f7a8b, expires
    /// 2027-02-24T15:00:00Z, 5123 bytes`.
    pub fn summary(&self) -> String {
        format!(
            "manifest version {}, {} update{}, key {}, expires {}, {} bytes",
            self.version,
            self.entries,
            if self.entries == 1 { "" } else { "s" },
            self.key_id,
            wall_time(self.expires_at),
            self.bytes.len()
        )
    }
}

impl ManifestFile {
    /// Signs the manifest with `key` at `now_unix` and packs it with the
    /// payloads into a bundle: the manifest section, then the payload
    /// sections in the order of the updates.
    pub fn sign(&self, key: &SigningKey, now_unix: i64) -> Result<SignedBundle, String> {
        let expires_at = self.expiry.at(now_unix)?;
        let entries: Vec<Entry> = self
            .updates
            .iter()
            .map(|update| update.entry.clone())
            .collect();
        let manifest = sign_manifest(self.version, now_unix, expires_at, &entries, key)
            .map_err(|error| format!("cannot sign the manifest: {error}"))?;
        let mut sections: Vec<OwnedSection> = vec![(Tag::MANIFEST, manifest)];
        for update in &self.updates {
            sections.push((
                Tag::PAYLOAD,
                payload_section(update.entry.id, &update.payload),
            ));
        }
        let bytes = write_container(&sections)
            .map_err(|error| format!("cannot write the bundle: {error}"))?;
        Ok(SignedBundle {
            bytes,
            version: self.version,
            entries: entries.len(),
            key_id: KeyId::of(&key.verifying_key().to_bytes()),
            issued_at: now_unix,
            expires_at,
        })
    }
}

/// Reads and checks the manifest file at `path`; payload paths are
/// relative to its directory (if `path` is a symbolic link, the directory
/// of the file it leads to).
pub fn read_manifest_file(path: &Path) -> Result<ManifestFile, String> {
    let text = read_text_limited(path, MAX_MANIFEST_FILE_LEN)
        .map_err(|error| format!("cannot read manifest {}: {error}", path.display()))?;
    // Payloads lie beside the manifest file itself: when `path` is a
    // symbolic link, beside the file it leads to.
    let resolved = match path.symlink_metadata() {
        Ok(metadata) if metadata.file_type().is_symlink() => std::fs::canonicalize(path)
            .map_err(|error| format!("cannot read manifest {}: {error}", path.display()))?,
        _ => path.to_path_buf(),
    };
    let base = parent_directory(&resolved);
    parse_manifest_file(&text, &path.display().to_string(), base)
}

/// Parses and checks manifest TOML `text` read from `origin` (a file
/// name, for messages), reading payloads relative to `base`.
pub fn parse_manifest_file(text: &str, origin: &str, base: &Path) -> Result<ManifestFile, String> {
    let layout = Layout::of(text);
    let file: FileToml = toml::from_str(text).map_err(|error| {
        let message = printable(error.message().trim_end());
        let message = message.as_str();
        match error.span() {
            Some(span) => layout.locate(origin, span, message),
            None => format!("{origin}: {message}"),
        }
    })?;
    let top = |key: &str, message: String| match layout.top_level_line(key) {
        Some(line) => format!("{origin}:{line}: {message}"),
        None => format!("{origin}: {message}"),
    };
    if file.version == 0 {
        return Err(top("version", "version must be at least 1".into()));
    }
    let expiry = match (&file.valid_for, &file.expires) {
        (Some(valid_for), None) => {
            Expiry::After(parse_valid_for(valid_for).map_err(|error| top("valid_for", error))?)
        }
        (None, Some(expires)) => Expiry::At(
            expires
                .parse::<WallTime>()
                .map_err(|error| top("expires", format!("expires {expires:?}: {error}")))?,
        ),
        _ => {
            return Err(format!(
                "{origin}: give exactly one of valid_for (e.g. \"90d\") and expires \
                 (e.g. \"2027-01-01T00:00:00Z\")"
            ))
        }
    };
    if file.update.len() > MAX_ENTRIES {
        return Err(format!(
            "{origin}: {} updates, at most {MAX_ENTRIES} fit in one manifest",
            file.update.len()
        ));
    }
    let mut seen = HashSet::new();
    let mut updates = Vec::with_capacity(file.update.len());
    for (index, update) in file.update.iter().enumerate() {
        let fail = |key: &str, message: String| {
            let id = update.id;
            match layout.update_line(index, key) {
                Some(line) => format!("{origin}:{line}: update {id}: {message}"),
                None => format!("{origin}: update {id}: {message}"),
            }
        };
        if !seen.insert(update.id) {
            return Err(fail("id", "listed twice".into()));
        }
        updates.push(check_update(update, base).map_err(|(key, message)| fail(key, message))?);
    }
    // A cycle could never install; the kernel refuses it too.
    let graph = DependencyGraph::of(updates.iter().map(|update| &update.entry))
        .map_err(|error| format!("{origin}: {error}"))?;
    if let Err(cycle) = graph.queue_order() {
        let first = cycle.ids()[0];
        let index = updates
            .iter()
            .position(|update| update.entry.id == first)
            .unwrap_or(0);
        let message = format!("depends_on: {cycle}");
        return Err(match layout.update_line(index, "depends_on") {
            Some(line) => format!("{origin}:{line}: update {}: {message}", first.0),
            None => format!("{origin}: update {}: {message}", first.0),
        });
    }
    Ok(ManifestFile {
        version: file.version,
        expiry,
        updates,
    })
}

// The scheduler's estimate limit and the manifest format's are one.
const _: () = assert!(MAX_ESTIMATE_MINUTES as u64 == update_sched::scheduler::MAX_ESTIMATE_MINUTES);

/// Checks one update's fields and reads its payload; an error names the
/// field.
fn check_update(update: &UpdateToml, base: &Path) -> Result<Update, (&'static str, String)> {
    let name = &update.name;
    if name.is_empty() || name.len() > NAME_CAPACITY || !name.bytes().all(is_name_byte) {
        return Err((
            "name",
            format!("name {name:?}: must be 1 to {NAME_CAPACITY} characters of [A-Za-z0-9._+-]"),
        ));
    }
    let kind = UpdateKind::from_name(&update.kind).ok_or_else(|| {
        (
            "kind",
            format!(
                "kind {:?}: expected security, kernel, driver, application or firmware",
                update.kind
            ),
        )
    })?;
    let priority = Priority::from_name(&update.priority).ok_or_else(|| {
        (
            "priority",
            format!(
                "priority {:?}: expected critical, security, important, optional or low",
                update.priority
            ),
        )
    })?;
    let version = Version::parse(&update.version).ok_or_else(|| {
        (
            "version",
            format!(
                "version {:?}: expected MAJOR.MINOR.PATCH, numbers 0 to 65535 without leading zeros",
                update.version
            ),
        )
    })?;
    // The console's grammar: whole minutes, 1m to the scheduler's limit,
    // which is the manifest format's (checked below), so it fits a `u16`.
    let estimate = parse_estimate(&update.estimate).map_err(|error| {
        (
            "estimate",
            format!("estimate {:?}: {error}", update.estimate),
        )
    })?;
    let estimate_minutes = u16::try_from(estimate.as_minutes()).unwrap_or(MAX_ESTIMATE_MINUTES);
    let available_after = minutes("available_after", &update.available_after)?;
    let available_after_minutes = u32::try_from(available_after)
        .ok()
        .filter(|minutes| *minutes <= MAX_AVAILABLE_AFTER_MINUTES)
        .ok_or_else(|| {
            (
                "available_after",
                format!(
                    "available_after {:?}: must be at most 90d",
                    update.available_after
                ),
            )
        })?;
    let dependencies = check_dependencies(
        UpdateId(update.id),
        update.depends_on.iter().copied().map(UpdateId),
    )
    .map_err(|error| ("depends_on", format!("depends_on: {error}")))?;
    let payload_path = base.join(&update.payload);
    let inside = payload_inside(base, &update.payload).map_err(|message| ("payload", message))?;
    let payload = read_limited(&inside, MAX_PAYLOAD_LEN as usize).map_err(|error| {
        let message = match error {
            ReadError::Io(error) => format!("cannot read: {error}"),
            error => error.to_string(),
        };
        (
            "payload",
            format!("payload {}: {message}", payload_path.display()),
        )
    })?;
    let payload_size = u32::try_from(payload.len())
        .ok()
        .filter(|size| *size <= MAX_PAYLOAD_LEN)
        .ok_or_else(|| {
            (
                "payload",
                format!(
                    "payload {}: {} bytes, at most {MAX_PAYLOAD_LEN} allowed",
                    payload_path.display(),
                    payload.len()
                ),
            )
        })?;
    Ok(Update {
        entry: Entry {
            id: UpdateId(update.id),
            name: UpdateName::try_from(name.as_str())
                .map_err(|_| ("name", format!("name {name:?} is too long")))?,
            kind,
            priority,
            version,
            needs_reboot: update.reboot,
            runs_alone: update.runs_alone,
            estimate_minutes,
            available_after_minutes,
            payload_size,
            payload_sha256: sha256(&payload),
            dependencies,
        },
        payload,
        payload_path,
    })
}

/// The payload file a manifest names as `written`, relative to the
/// manifest's directory `base`, with every symbolic link resolved. A
/// payload must lie inside that directory, or a manifest could sign any
/// file the signer can read (the secret key, say) into a bundle: an
/// absolute path, a `..` component, and a path that a symbolic link (to
/// the file or to a directory on the way) takes outside are refused, and
/// so is anything but a regular file.
fn payload_inside(base: &Path, written: &str) -> Result<PathBuf, String> {
    let relative = Path::new(written);
    if written.is_empty() || written.chars().any(char::is_control) {
        return Err(format!(
            "payload {written:?}: give the path of a file, without control characters"
        ));
    }
    if relative.has_root() {
        return Err(format!(
            "payload {written:?}: an absolute path; give a path relative to the manifest's \
             directory, inside it"
        ));
    }
    if relative
        .components()
        .any(|part| part == Component::ParentDir)
    {
        return Err(format!(
            "payload {written:?}: a `..` component leaves the manifest's directory; payloads \
             must lie inside it"
        ));
    }
    let joined = base.join(relative);
    let cannot_read = |path: &Path, error: std::io::Error| {
        format!("payload {}: cannot read: {error}", path.display())
    };
    let base = std::fs::canonicalize(base).map_err(|error| cannot_read(base, error))?;
    let resolved = std::fs::canonicalize(&joined).map_err(|error| cannot_read(&joined, error))?;
    if !resolved.starts_with(&base) {
        return Err(format!(
            "payload {written:?}: a symbolic link leads to {}, outside the manifest's \
             directory {}; payloads must lie inside it",
            resolved.display(),
            base.display()
        ));
    }
    let metadata = std::fs::metadata(&resolved).map_err(|error| cannot_read(&joined, error))?;
    if !metadata.is_file() {
        return Err(format!(
            "payload {}: is {}, not a regular file",
            joined.display(),
            kind_of(metadata.file_type())
        ));
    }
    Ok(resolved)
}

/// A duration field in whole minutes.
fn minutes(key: &'static str, text: &str) -> Result<u64, (&'static str, String)> {
    let duration: Duration = text
        .parse()
        .map_err(|error| (key, format!("{key} {text:?}: {error}")))?;
    if !duration.as_millis().is_multiple_of(60_000) {
        return Err((
            key,
            format!("{key} {text:?}: must be whole minutes, e.g. \"90m\" or \"2h30m\""),
        ));
    }
    Ok(duration.as_minutes())
}

/// Where things are in the TOML text, for messages: the lines, and the
/// byte range of each `[[update]]` table.
struct Layout<'a> {
    text: &'a str,
    /// Byte ranges of the `[[update]]` tables, header to the next header.
    updates: Vec<Range<usize>>,
    /// End of the top-level keys: the first table header.
    top_end: usize,
}

impl<'a> Layout<'a> {
    fn of(text: &'a str) -> Layout<'a> {
        let mut updates: Vec<Range<usize>> = Vec::new();
        let mut top_end = text.len();
        let mut offset = 0;
        let mut in_update = false;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                top_end = top_end.min(offset);
                if in_update {
                    if let Some(last) = updates.last_mut() {
                        last.end = offset;
                    }
                }
                let header: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
                in_update = header.starts_with("[[update]]");
                if in_update {
                    updates.push(offset..text.len());
                }
            }
            offset += line.len();
        }
        Layout {
            text,
            updates,
            top_end,
        }
    }

    /// The 1-based line of byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    /// The line on which `key = ...` is set within `range`.
    fn key_line(&self, range: Range<usize>, key: &str) -> Option<usize> {
        let mut offset = range.start;
        for line in self.text[range].split_inclusive('\n') {
            if line_key(line) == Some(key) {
                return Some(self.line_of(offset));
            }
            offset += line.len();
        }
        None
    }

    fn top_level_line(&self, key: &str) -> Option<usize> {
        self.key_line(0..self.top_end, key)
    }

    fn update_line(&self, index: usize, key: &str) -> Option<usize> {
        let range = self.updates.get(index)?.clone();
        self.key_line(range.clone(), key)
            .or_else(|| Some(self.line_of(range.start)))
    }

    /// A parse error at `span` as one line: the file and line, the update
    /// it is in (by its id, else its position), and the key on that line
    /// when the message does not name it already.
    fn locate(&self, origin: &str, span: Range<usize>, message: &str) -> String {
        let line = self.line_of(span.start);
        let mut located = format!("{origin}:{line}: ");
        if let Some(index) = self.updates.iter().position(|r| r.contains(&span.start)) {
            let range = self.updates[index].clone();
            let id = self.text[range]
                .lines()
                .find(|line| line_key(line) == Some("id"))
                .and_then(|line| {
                    line.split_once('=')?
                        .1
                        .split('#')
                        .next()?
                        .trim()
                        .parse()
                        .ok()
                })
                .map(|id: u32| id.to_string());
            match id {
                Some(id) => located.push_str(&format!("update {id}: ")),
                None => located.push_str(&format!("update #{} (no id): ", index + 1)),
            }
        }
        let line_text = self.text.lines().nth(line - 1).unwrap_or("");
        if let Some(key) = line_key(line_text) {
            if !message.contains(&format!("`{key}`")) {
                located.push_str(key);
                located.push_str(": ");
            }
        }
        located.push_str(message);
        located
    }
}

/// The bare key a `key = value` line sets.
fn line_key(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    bare.then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use update_manifest::Policy;

    use crate::keys::{read_public_key, read_signing_key, DEV_PUBLIC_KEY_FILE};

    const NOW: i64 = 1_795_000_000;

    /// A directory with `payloads/a.txt` (`alpha\n`).
    fn workdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("boot-manifest-{}-{name}", std::process::id()));
        std::fs::create_dir_all(dir.join("payloads")).unwrap();
        std::fs::write(dir.join("payloads/a.txt"), "alpha\n").unwrap();
        dir
    }

    const GOOD: &str = r#"
version = 4
valid_for = "30d"

[[update]]
id = 1
name = "openssl"
kind = "security"
priority = "security"
version = "1.1.1"
estimate = "20m"
reboot = false
available_after = "7m"
payload = "payloads/a.txt"

[[update]]
id = 2
name = "linux"
kind = "kernel"
priority = "critical"
version = "6.1.0"
estimate = "1h30m"
reboot = true
runs_alone = true
available_after = "1d2h7m"
depends_on = [1]
payload = "payloads/a.txt"
"#;

    fn parse(name: &str, text: &str) -> Result<ManifestFile, String> {
        let dir = workdir(name);
        let result = parse_manifest_file(text, "m.toml", &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        result
    }

    /// `GOOD` with the first occurrence of `from` replaced by `to`.
    fn edited(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from}");
        GOOD.replacen(from, to, 1)
    }

    #[test]
    fn test_manifest_file_reads_every_field() {
        let file = parse("good", GOOD).unwrap();
        assert_eq!(file.version, 4);
        assert_eq!(file.expiry, Expiry::After(Duration::from_secs(30 * 86_400)));
        let linux = &file.updates[1].entry;
        assert_eq!(linux.id, UpdateId(2));
        assert_eq!(linux.kind, UpdateKind::Kernel);
        assert_eq!(linux.priority, Priority::Critical);
        assert_eq!(linux.version, Version::new(6, 1, 0));
        assert_eq!(linux.estimate_minutes, 90);
        assert_eq!(linux.available_after_minutes, (26 * 60) + 7);
        assert!(linux.needs_reboot && linux.runs_alone);
        assert_eq!(linux.dependencies.as_slice(), &[UpdateId(1)]);
        assert_eq!(linux.payload_size, 6);
        assert_eq!(linux.payload_sha256, sha256(b"alpha\n"));
        assert!(!file.updates[0].entry.runs_alone);
        assert!(file.updates[0].entry.dependencies.is_empty());
    }

    #[test]
    fn test_manifest_file_sign_verifies_with_dev_key() {
        let file = parse("sign", GOOD).unwrap();
        let key = read_signing_key(Path::new(crate::keys::DEV_SECRET_KEY_FILE)).unwrap();
        let bundle = file.sign(&key, NOW).unwrap();
        assert_eq!(bundle.expires_at, NOW + 30 * 86_400);
        let sections = crate::bundle::read_bundle(&bundle.bytes).unwrap();
        let tags: Vec<Tag> = sections.iter().map(|(tag, _)| *tag).collect();
        assert_eq!(tags, [Tag::MANIFEST, Tag::PAYLOAD, Tag::PAYLOAD]);
        let trusted = read_public_key(Path::new(DEV_PUBLIC_KEY_FILE)).unwrap();
        let policy = Policy {
            last_version: Some(3),
            now_unix: NOW + 3600,
        };
        let manifest = update_manifest::verify(&sections[0].1, &trusted, &policy).unwrap();
        assert_eq!(manifest.version(), 4);
        assert_eq!(manifest.header().key_id, trusted.id());
        let entries: Vec<Entry> = manifest.entries().collect();
        let expected: Vec<Entry> = file.updates.iter().map(|u| u.entry.clone()).collect();
        assert_eq!(entries, expected);
        assert_eq!(&sections[2].1[..4], &2u32.to_le_bytes());
        entries[1].check_payload(&sections[2].1[4..]).unwrap();
        let summary = bundle.summary();
        assert!(
            summary.starts_with(&format!(
                "manifest version 4, 2 updates, key {}, expires ",
                trusted.id()
            )),
            "{summary}"
        );
    }

    #[test]
    fn test_manifest_file_unknown_field_names_it_line_and_update() {
        let error = parse(
            "unknown",
            &edited("reboot = true", "reboot = true\nrebooot = 1"),
        )
        .unwrap_err();
        assert!(error.starts_with("m.toml:24: update 2: "), "{error}");
        assert!(error.contains("unknown field `rebooot`"), "{error}");
        assert!(!error.contains('\n'), "{error}");
        let error = parse(
            "unknown-top",
            &edited("version = 4", "version = 4\ncolour = 1"),
        )
        .unwrap_err();
        assert!(error.starts_with("m.toml:3: "), "{error}");
        assert!(error.contains("unknown field `colour`"), "{error}");
    }

    #[test]
    fn test_manifest_file_bad_values_name_the_field() {
        let cases = [
            (
                edited("priority = \"security\"", "priority = \"urgent\""),
                "m.toml:9: update 1: priority \"urgent\": expected critical, security, \
                 important, optional or low",
            ),
            (
                edited("name = \"openssl\"", "name = \"open ssl\""),
                "m.toml:7: update 1: name \"open ssl\": must be 1 to 16 characters of \
                 [A-Za-z0-9._+-]",
            ),
            (
                edited("name = \"linux\"", "name = \"a-name-longer-than-16\""),
                "m.toml:18: update 2: name \"a-name-longer-than-16\": must be 1 to 16",
            ),
            (
                edited("kind = \"kernel\"", "kind = \"kernal\""),
                "m.toml:19: update 2: kind \"kernal\": expected security, kernel",
            ),
            (
                edited("version = \"6.1.0\"", "version = \"6.x\""),
                "m.toml:21: update 2: version \"6.x\": expected MAJOR.MINOR.PATCH",
            ),
            (
                edited("estimate = \"20m\"", "estimate = \"20\""),
                "m.toml:11: update 1: estimate \"20\": a number needs a unit",
            ),
            (
                edited("estimate = \"20m\"", "estimate = \"90s\""),
                "m.toml:11: update 1: estimate \"90s\": must be whole minutes",
            ),
            (
                edited("estimate = \"20m\"", "estimate = \"19h\""),
                "m.toml:11: update 1: estimate \"19h\": must be 1m to 1092m",
            ),
            (
                edited("estimate = \"20m\"", "estimate = \"18h13m\""),
                "m.toml:11: update 1: estimate \"18h13m\": must be 1m to 1092m (18h12m)",
            ),
            (
                edited("available_after = \"7m\"", "available_after = \"91d\""),
                "m.toml:13: update 1: available_after \"91d\": must be at most 90d",
            ),
            (
                edited("depends_on = [1]", "depends_on = [2]"),
                "m.toml:26: update 2: depends_on: an update cannot depend on itself",
            ),
            (
                edited("depends_on = [1]", "depends_on = [1, 3, 4]"),
                "m.toml:26: update 2: depends_on: at most 2 updates",
            ),
            (
                edited("id = 2", "id = 1"),
                "m.toml:17: update 1: listed twice",
            ),
            (
                edited("version = 4", "version = 0"),
                "m.toml:2: version must be at least 1",
            ),
            (
                edited("valid_for = \"30d\"", "valid_for = \"soon\""),
                "m.toml:3: valid_for \"soon\": expected a number",
            ),
            (
                edited(
                    "valid_for = \"30d\"",
                    "expires = \"2027-01-01T00:00:00Z\"\nvalid_for = \"30d\"",
                ),
                "m.toml: give exactly one of valid_for",
            ),
            (
                edited("valid_for = \"30d\"", "expires = \"2027-13-01T00:00:00Z\""),
                "m.toml:3: expires \"2027-13-01T00:00:00Z\": invalid timestamp",
            ),
            (
                edited("id = 1", "id = \"one\""),
                "m.toml:6: update #1 (no id): id: invalid type: string \"one\", expected u32",
            ),
            (
                edited("reboot = false", "reboot = \"no\""),
                "m.toml:12: update 1: reboot: invalid type: string \"no\", expected a boolean",
            ),
        ];
        for (index, (text, expected)) in cases.iter().enumerate() {
            let error = parse(&format!("bad-{index}"), text).unwrap_err();
            assert!(error.starts_with(expected), "{expected}\n{error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn test_sign_refuses_short_or_zero_padded_versions_and_repeated_dependencies() {
        for version in ["6.1", "6", "06.01.00", "6.1.0.1"] {
            let error = parse(
                "loose-version",
                &edited("version = \"6.1.0\"", &format!("version = \"{version}\"")),
            )
            .unwrap_err();
            assert!(
                error.starts_with(&format!(
                    "m.toml:21: update 2: version \"{version}\": expected MAJOR.MINOR.PATCH"
                )),
                "{error}"
            );
        }
        let error = parse(
            "repeated-dependency",
            &edited("id = 2", "id = 3").replace("depends_on = [1]", "depends_on = [1, 1]"),
        )
        .unwrap_err();
        assert!(
            error.starts_with("m.toml:26: update 3: depends_on: #1 is listed twice"),
            "{error}"
        );
    }

    #[test]
    fn test_manifest_file_missing_field_and_payload() {
        let error = parse("missing", &edited("reboot = false\n", "")).unwrap_err();
        assert!(error.starts_with("m.toml:"), "{error}");
        assert!(error.contains("missing field `reboot`"), "{error}");
        let error = parse(
            "no-payload",
            &edited(
                "payload = \"payloads/a.txt\"",
                "payload = \"payloads/nope.txt\"",
            ),
        )
        .unwrap_err();
        assert!(
            error.starts_with("m.toml:14: update 1: payload "),
            "{error}"
        );
        assert!(
            error.contains("payloads/nope.txt: cannot read: "),
            "{error}"
        );
        let error = read_manifest_file(Path::new("/nonexistent/m.toml")).unwrap_err();
        assert!(error.starts_with("cannot read manifest /nonexistent/m.toml: "));
    }

    /// The error for `GOOD` with update 1's payload set to `payload`, in
    /// `dir`.
    fn payload_error(dir: &Path, payload: &str) -> String {
        let text = edited(
            "payload = \"payloads/a.txt\"",
            &format!("payload = {payload:?}"),
        );
        parse_manifest_file(&text, "m.toml", dir).unwrap_err()
    }

    #[test]
    fn test_sign_refuses_payload_path_with_parent_dir() {
        let dir = workdir("parent-dir");
        for payload in ["../../keys/dev.key", "payloads/../payloads/a.txt", ".."] {
            let error = payload_error(&dir, payload);
            assert_eq!(
                error,
                format!(
                    "m.toml:14: update 1: payload {payload:?}: a `..` component leaves the \
                     manifest's directory; payloads must lie inside it"
                )
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_sign_refuses_empty_payload_path_or_one_with_control_characters() {
        let dir = workdir("control");
        for (toml, payload) in [
            ("", ""),
            ("payloads/a.txt\\u0000", "payloads/a.txt\0"),
            ("payloads/a\\u001b[2J.txt", "payloads/a\u{1b}[2J.txt"),
            ("payloads/\\n", "payloads/\n"),
        ] {
            let text = edited(
                "payload = \"payloads/a.txt\"",
                &format!("payload = \"{toml}\""),
            );
            assert_eq!(
                parse_manifest_file(&text, "m.toml", &dir).unwrap_err(),
                format!(
                    "m.toml:14: update 1: payload {payload:?}: give the path of a file, without \
                     control characters"
                )
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_manifest_parse_error_does_not_print_control_characters() {
        let text = edited("reboot = false", "\"\\u001b[2J\" = 1\nreboot = false");
        let error = parse("control-key", &text).unwrap_err();
        assert!(error.contains("unknown field `\\u{1b}[2J`"), "{error}");
        assert!(!error.contains(char::is_control), "{error}");
    }

    #[test]
    fn test_sign_refuses_absolute_payload_path() {
        let dir = workdir("absolute");
        let inside = dir.join("payloads/a.txt");
        for payload in [
            "/etc/passwd",
            crate::keys::DEV_SECRET_KEY_FILE,
            path_str(&inside),
        ] {
            let error = payload_error(&dir, payload);
            assert_eq!(
                error,
                format!(
                    "m.toml:14: update 1: payload {payload:?}: an absolute path; give a path \
                     relative to the manifest's directory, inside it"
                )
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn path_str(path: &Path) -> &str {
        path.to_str().unwrap()
    }

    #[test]
    fn test_sign_refuses_payload_symlink_leading_outside() {
        use std::os::unix::fs::symlink;

        let dir = workdir("symlink");
        let keys = Path::new(crate::keys::DEV_SECRET_KEY_FILE)
            .parent()
            .unwrap();
        symlink(crate::keys::DEV_SECRET_KEY_FILE, dir.join("payloads/key")).unwrap();
        symlink(keys, dir.join("keys")).unwrap();
        symlink("/etc/passwd", dir.join("passwd")).unwrap();
        for payload in ["payloads/key", "keys/dev.key", "passwd"] {
            let error = payload_error(&dir, payload);
            assert!(
                error.starts_with(&format!(
                    "m.toml:14: update 1: payload {payload:?}: a symbolic link leads to "
                )),
                "{error}"
            );
            assert!(error.ends_with("; payloads must lie inside it"), "{error}");
        }
        // A link that stays inside is followed.
        symlink("a.txt", dir.join("payloads/alias")).unwrap();
        let text = edited("payloads/a.txt", "payloads/alias");
        let file = parse_manifest_file(&text, "m.toml", &dir).unwrap();
        assert_eq!(file.updates[0].payload, b"alpha\n");
        // So is a manifest directory reached through a link.
        let linked_dir = dir.with_extension("link");
        let _ = std::fs::remove_file(&linked_dir);
        symlink(&dir, &linked_dir).unwrap();
        assert!(parse_manifest_file(GOOD, "m.toml", &linked_dir).is_ok());
        std::fs::remove_file(&linked_dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_sign_refuses_payload_that_is_not_a_regular_file() {
        let dir = workdir("not-regular");
        let error = payload_error(&dir, "payloads");
        assert_eq!(
            error,
            format!(
                "m.toml:14: update 1: payload {}: is a directory, not a regular file",
                dir.join("payloads").display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_sign_refuses_unbounded_manifest_and_payload_reads() {
        let error = read_manifest_file(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            error,
            format!(
                "cannot read manifest /dev/zero: larger than {MAX_MANIFEST_FILE_LEN} bytes, the \
                 most allowed"
            )
        );
        let dir = workdir("large-payload");
        let large = std::fs::File::create(dir.join("payloads/large")).unwrap();
        large.set_len(u64::from(MAX_PAYLOAD_LEN) + 1).unwrap();
        let error = payload_error(&dir, "payloads/large");
        assert_eq!(
            error,
            format!(
                "m.toml:14: update 1: payload {}: larger than {MAX_PAYLOAD_LEN} bytes, the most \
                 allowed",
                dir.join("payloads/large").display()
            )
        );
        large.set_len(u64::from(MAX_PAYLOAD_LEN)).unwrap();
        let text = edited("payloads/a.txt", "payloads/large");
        let file = parse_manifest_file(&text, "m.toml", &dir).unwrap();
        assert_eq!(file.updates[0].entry.payload_size, MAX_PAYLOAD_LEN);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_expiry_forms_and_the_past() {
        assert_eq!(
            Expiry::parse("90d").unwrap(),
            Expiry::After(Duration::from_secs(90 * 86_400))
        );
        let at = Expiry::parse("2027-01-01T00:00:00Z").unwrap();
        assert_eq!(at.at(NOW).unwrap(), 1_798_761_600);
        assert!(Expiry::parse("tomorrow").is_err());
        assert!(Expiry::parse("0s").is_err());
        let error = Expiry::parse("2020-01-01T00:00:00Z")
            .unwrap()
            .at(NOW)
            .unwrap_err();
        assert!(
            error.starts_with("expires 2020-01-01T00:00:00Z is not after the signing time"),
            "{error}"
        );
    }

    #[test]
    fn test_sign_refuses_valid_for_running_past_the_year_9999() {
        let error = Expiry::parse("1000000000000000s")
            .unwrap()
            .at(NOW)
            .unwrap_err();
        assert_eq!(
            error,
            "expires 1000001795000000 s after 1970 (about the year 31690765): after \
             9999-12-31T23:59:59Z, the last time the kernel's clock represents"
        );
        let last = Expiry::parse("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(last.at(NOW), Ok(LAST_EXPIRY));
        let to_last = Expiry::After(Duration::from_secs((LAST_EXPIRY - NOW) as u64));
        assert_eq!(to_last.at(NOW), Ok(LAST_EXPIRY));
        let past = Expiry::After(Duration::from_secs((LAST_EXPIRY - NOW + 1) as u64));
        assert!(past.at(NOW).is_err());
    }

    #[test]
    fn test_empty_manifest_is_allowed() {
        let file = parse("empty", "version = 9\nexpires = \"2027-01-01T00:00:00Z\"\n").unwrap();
        assert!(file.updates.is_empty());
        let key = SigningKey::from_bytes(&[3; 32]);
        let bundle = file.sign(&key, NOW).unwrap();
        assert_eq!(bundle.entries, 0);
        assert!(bundle.summary().contains("0 updates"));
    }

    #[test]
    fn test_sign_refuses_dependency_cycle_naming_it() {
        let cyclic = edited(
            "available_after = \"7m\"\n",
            "available_after = \"7m\"\ndepends_on = [2]\n",
        );
        let error = parse("cycle", &cyclic).unwrap_err();
        assert_eq!(
            error,
            "m.toml:14: update 1: depends_on: dependency cycle #1 -> #2 -> #1"
        );
    }

    #[test]
    fn test_sign_accepts_dependency_on_a_later_update() {
        let forward = edited("depends_on = [1]\n", "").replace(
            "available_after = \"7m\"\n",
            "available_after = \"7m\"\ndepends_on = [2]\n",
        );
        let file = parse("forward", &forward).unwrap();
        assert_eq!(
            file.updates[0].entry.dependencies.as_slice(),
            &[UpdateId(2)]
        );
    }
}
