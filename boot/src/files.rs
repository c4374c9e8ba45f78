//! The files a person names on the command line: read with a size limit,
//! and written only over what may be replaced.
//!
//! Every file the host tools read (a manifest's TOML and payloads, a key
//! file, a boot config, a bundle) goes through [`read_limited`]: it reads
//! at most one byte more than the file's format allows, so `/dev/zero`, a
//! huge file or an endless pipe is refused at once instead of filling the
//! memory. Each format's limit sits with the format (the manifest file's
//! in [`crate::manifest_file`], the bundle's in [`crate::bundle`], and so
//! on).
//!
//! An output path is checked with [`check_replaceable`] before anything
//! is written: a tool that writes a file aside and renames it over the
//! target would otherwise replace a device node, a directory entry or a
//! symbolic link with a regular file.
//!
//! This file is also compiled into `boot`'s build script, which reads the
//! example manifest, its payloads and the keys: it uses only `std`.

use std::fmt;
use std::fs::{File, FileType};
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// Why [`read_limited`] returned nothing.
#[derive(Debug)]
pub enum ReadError {
    /// Opening or reading failed.
    Io(std::io::Error),
    /// The file holds more bytes than its format allows.
    TooLarge {
        /// The most bytes the file may hold.
        limit: usize,
    },
    /// A text file that is not UTF-8.
    NotText,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(error) => error.fmt(f),
            ReadError::TooLarge { limit } => {
                write!(f, "larger than {limit} bytes, the most allowed")
            }
            ReadError::NotText => f.write_str("not UTF-8 text"),
        }
    }
}

impl std::error::Error for ReadError {}

/// The bytes of the file at `path`, at most `limit` of them: reads at most
/// `limit + 1` bytes, and refuses the file if they were all there.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(most)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// The text of the file at `path`, at most `limit` bytes of UTF-8 (see
/// [`read_limited`]).
pub fn read_text_limited(path: &Path, limit: usize) -> Result<String, ReadError> {
    String::from_utf8(read_limited(path, limit)?).map_err(|_| ReadError::NotText)
}

/// What kind of file `file_type` is, for messages: `a directory`.
pub fn kind_of(file_type: FileType) -> &'static str {
    if file_type.is_file() {
        "a regular file"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_fifo() {
        "a named pipe (fifo)"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Whether a command may put a new regular file at `path`: nothing is
/// there, or a regular file is. Anything else (a device node, a
/// directory, a named pipe, a symbolic link, whatever it points to) is
/// refused, naming what it is; `option` is the command-line option that
/// named the path, for the message.
pub fn check_replaceable(path: &Path, option: &str) -> Result<(), String> {
    match path.symlink_metadata() {
        Ok(metadata) if metadata.file_type().is_file() => Ok(()),
        Ok(metadata) => Err(format!(
            "{option} {} is {}: only a regular file is replaced, so choose another path",
            path.display(),
            kind_of(metadata.file_type()),
        )),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(format!("{option} {}: {error}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("boot-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn test_read_limited_refuses_dev_zero_after_limit_plus_one() {
        let error = read_limited(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(matches!(error, ReadError::TooLarge { limit: 1000 }));
        assert_eq!(
            error.to_string(),
            "larger than 1000 bytes, the most allowed"
        );
    }

    #[test]
    fn test_read_limited_takes_a_file_of_exactly_the_limit() {
        let dir = temp_dir("exact");
        let file = dir.join("f");
        std::fs::write(&file, [7u8; 16]).unwrap();
        assert_eq!(read_limited(&file, 16).unwrap(), [7u8; 16]);
        assert!(matches!(
            read_limited(&file, 15),
            Err(ReadError::TooLarge { limit: 15 })
        ));
        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_text_limited(&file, 16),
            Err(ReadError::NotText)
        ));
        assert!(matches!(
            read_limited(&dir.join("missing"), 16),
            Err(ReadError::Io(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_check_replaceable_refuses_what_is_not_a_regular_file() {
        let dir = temp_dir("replaceable");
        let file = dir.join("file");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(check_replaceable(&file, "--out"), Ok(()));
        assert_eq!(check_replaceable(&dir.join("new"), "--out"), Ok(()));
        let error = check_replaceable(Path::new("/dev/null"), "--out").unwrap_err();
        assert_eq!(
            error,
            "--out /dev/null is a character device: only a regular file is replaced, so \
             choose another path"
        );
        let error = check_replaceable(&dir, "--out").unwrap_err();
        assert!(error.contains("is a directory"), "{error}");
        let link = dir.join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let error = check_replaceable(&link, "--out").unwrap_err();
        assert!(error.contains("is a symbolic link"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
