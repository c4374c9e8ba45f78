//! The text form of an Ed25519 key file, shared by the host tools that
//! write and read keys and by the kernel's build script, which builds the
//! trusted public key in.
//!
//! Both kinds of file (a secret seed, `.key`; a public key, `.pub`) have
//! the same shape: comment lines starting with `#`, blank lines, and
//! exactly one line of 64 hexadecimal digits.

use core::fmt;

/// Bytes in a secret seed and in a public key.
pub const KEY_LEN: usize = 32;

/// What is wrong with the text of a key file. Lines and columns count
/// from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFileError {
    /// No line other than comments and blank lines.
    NoKey,
    /// A second key line after the first.
    ExtraLine {
        /// The second key line.
        line: usize,
    },
    /// The key line has the wrong number of digits.
    WrongLength {
        /// The key line.
        line: usize,
        /// How many digits it has.
        digits: usize,
    },
    /// The key line holds something other than hexadecimal digits.
    NotHex {
        /// The key line.
        line: usize,
        /// Where on it, in characters.
        column: usize,
        /// What is there.
        found: char,
    },
}

impl KeyFileError {
    /// The line the problem is on, if it is on one.
    pub fn line(&self) -> Option<usize> {
        match *self {
            KeyFileError::NoKey => None,
            KeyFileError::ExtraLine { line }
            | KeyFileError::WrongLength { line, .. }
            | KeyFileError::NotHex { line, .. } => Some(line),
        }
    }
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KeyFileError::NoKey => write!(
                f,
                "no key: expected one line of {} hexadecimal digits after the # comments",
                KEY_LEN * 2
            ),
            KeyFileError::ExtraLine { line } => write!(
                f,
                "line {line}: a second key line; a key file holds exactly one \
                 (comments start with #)"
            ),
            KeyFileError::WrongLength { line, digits } => write!(
                f,
                "line {line}: expected {} hexadecimal digits ({KEY_LEN} bytes), found {digits}",
                KEY_LEN * 2
            ),
            KeyFileError::NotHex {
                line,
                column,
                found,
            } => write!(
                f,
                "line {line}, column {column}: {found:?} is not a hexadecimal digit"
            ),
        }
    }
}

impl core::error::Error for KeyFileError {}

/// Reads the 32 key bytes from the text of a key file (either kind).
///
/// Lines that are blank or start with `#` (after leading white space) are
/// comments. Exactly one other line must remain: 64 hexadecimal digits,
/// upper or lower case, with white space around them allowed. A leading
/// byte order mark (some editors write one) is skipped.
pub fn parse_key_file(text: &str) -> Result<[u8; KEY_LEN], KeyFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut key = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if key.is_some() {
            return Err(KeyFileError::ExtraLine { line });
        }
        let indent = raw.len() - raw.trim_start().len();
        if let Some((offset, found)) = trimmed.char_indices().find(|(_, c)| !c.is_ascii_hexdigit())
        {
            return Err(KeyFileError::NotHex {
                line,
                column: raw[..indent + offset].chars().count() + 1,
                found,
            });
        }
        if trimmed.len() != KEY_LEN * 2 {
            return Err(KeyFileError::WrongLength {
                line,
                digits: trimmed.len(),
            });
        }
        let mut bytes = [0; KEY_LEN];
        for (byte, pair) in bytes.iter_mut().zip(trimmed.as_bytes().chunks(2)) {
            *byte = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
        }
        key = Some(bytes);
    }
    key.ok_or(KeyFileError::NoKey)
}

/// The value of one hexadecimal digit (already checked to be one).
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}
