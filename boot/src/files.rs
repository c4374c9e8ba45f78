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
//! A named pipe with no writer would block the read at `open` forever,
//! and a device, a pipe or a `/proc` file may never end its data:
//! anything that is not a regular file, or says it has size 0, is read on
//! a thread and given up after [`STALL_LIMIT`].
//!
//! An output path is checked with [`check_replaceable`] before anything
//! is written: a tool that writes a file aside and renames it over the
//! target would otherwise replace a device node, a directory entry or a
//! symbolic link with a regular file. [`check_not_an_input`] then makes
//! sure it names none of the files the command read, which the write
//! would destroy.
//!
//! This file is also compiled into `boot`'s build script, which reads the
//! example manifest, its payloads and the keys: it uses only `std`.

use std::fmt;
use std::fs::{File, FileType};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// How long [`read_limited`] waits for a file that is not a regular file
/// (a named pipe, a device) to deliver all its data: ample for a pipe fed
/// by a running program, such as `--key <(command)`, and short enough
/// that a named pipe nobody writes to is reported rather than waited on.
pub const STALL_LIMIT: Duration = Duration::from_secs(10);

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
    /// A named pipe or device that did not deliver all its data (or
    /// could not even be opened: a named pipe with no writer) in time.
    Stalled {
        /// What the file is, as [`kind_of`] says it.
        kind: &'static str,
        /// How long it was given.
        waited: Duration,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(error) => error.fmt(f),
            ReadError::TooLarge { limit } => {
                write!(f, "larger than {limit} bytes, the most allowed")
            }
            ReadError::NotText => f.write_str("not UTF-8 text"),
            ReadError::Stalled { kind, waited } => write!(
                f,
                "{kind} that gave no end of data within {} s (does anything write to it?); \
                 give a regular file",
                waited.as_secs()
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// The bytes of the file at `path`, at most `limit` of them: reads at most
/// `limit + 1` bytes, and refuses the file if they were all there. A file
/// that is not a regular file gets [`STALL_LIMIT`] to deliver them.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    read_limited_within(path, limit, STALL_LIMIT)
}

/// [`read_limited`], giving a file that is not a regular file (nor a
/// directory, which fails at once) `wait` to deliver its data. So too a
/// regular file of size 0: files in `/proc` say so whatever they hold,
/// and some (`/proc/kmsg`) wait for data.
fn read_limited_within(path: &Path, limit: usize, wait: Duration) -> Result<Vec<u8>, ReadError> {
    let metadata = std::fs::metadata(path).map_err(ReadError::Io)?;
    let file_type = metadata.file_type();
    if file_type.is_dir() || (file_type.is_file() && metadata.len() > 0) {
        return read_now(path, limit);
    }
    // Opening a named pipe blocks until a writer comes, and reading one
    // until the writer is done: a thread does both, and is left behind
    // (blocked, harmless) if it takes too long.
    let (sender, receiver) = mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = sender.send(read_now(&owned, limit));
    });
    receiver
        .recv_timeout(wait)
        .unwrap_or(Err(ReadError::Stalled {
            kind: kind_of(file_type),
            waited: wait,
        }))
}

/// Opens and reads at most `limit + 1` bytes of `path`, refusing more
/// than `limit`.
fn read_now(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
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

/// `text` with each control character written as an escape (`\u{1b}`):
/// a message quoting a file's text (a TOML parser's `unknown variant
/// `...``) must not send the file's escape sequences to the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
/// named the path, for the message. So is a path that cannot name a file
/// (`new/`, `..`) and one whose directory does not exist, which could
/// only fail once the work is done.
pub fn check_replaceable(path: &Path, option: &str) -> Result<(), String> {
    let text = path.as_os_str().as_encoded_bytes();
    if text.ends_with(b"/") || path.file_name().is_none() {
        return Err(format!(
            "{option} {} names a directory: give the path of a file",
            path.display()
        ));
    }
    match path.symlink_metadata() {
        Ok(metadata) if metadata.file_type().is_file() => Ok(()),
        Ok(metadata) => Err(format!(
            "{option} {} is {}: only a regular file is replaced, so choose another path",
            path.display(),
            kind_of(metadata.file_type()),
        )),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let parent = parent_directory(path);
            if parent.is_dir() {
                Ok(())
            } else {
                Err(format!(
                    "{option} {}: there is no directory {} to write it in",
                    path.display(),
                    parent.display()
                ))
            }
        }
        Err(error) => Err(format!("{option} {}: {error}", path.display())),
    }
}

/// The directory a file `path` is in: its parent, or `.` for a bare name.
pub fn parent_directory(path: &Path) -> &Path {
    path.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Refuses an output path `out` (named by `option`) that is the same file
/// as one of `inputs`, each given with a description for the message
/// (`the manifest file m.toml`): writing the output would destroy it. The
/// same file is the same device and inode, by whatever name (a `./`, a
/// symbolic link, a hard link) it is reached; an `out` that does not
/// exist yet is no input.
pub fn check_not_an_input<'a>(
    out: &Path,
    option: &str,
    inputs: impl IntoIterator<Item = (&'a Path, String)>,
) -> Result<(), String> {
    let Ok(target) = out.metadata() else {
        return Ok(());
    };
    let same = |path: &Path| {
        path.metadata()
            .is_ok_and(|input| input.dev() == target.dev() && input.ino() == target.ino())
    };
    match inputs.into_iter().find(|(path, _)| same(path)) {
        Some((_, what)) => Err(format!(
            "{option} {} is {what}: writing there would destroy it, so choose another path",
            out.display()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    fn temp_dir(name: &str) -> PathBuf {
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
    fn test_read_limited_gives_up_on_a_fifo_without_writer() {
        let dir = temp_dir("fifo");
        let fifo = dir.join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let started = std::time::Instant::now();
        let error = read_limited_within(&fifo, 100, Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            error.to_string(),
            "a named pipe (fifo) that gave no end of data within 0 s (does anything write to \
             it?); give a regular file"
        );
        // A pipe that a program feeds is read. (A new one: the thread
        // left behind above still waits to open the first.)
        let fifo = dir.join("fed");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let writer = std::process::Command::new("sh")
            .arg("-c")
            .arg("printf fed > \"$0\"")
            .arg(&fifo)
            .spawn()
            .unwrap();
        assert_eq!(read_limited(&fifo, 100).unwrap(), b"fed");
        let _ = { writer }.wait();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_read_limited_reads_empty_and_proc_files_on_the_waiting_path() {
        let dir = temp_dir("size-zero");
        std::fs::write(dir.join("empty"), "").unwrap();
        assert_eq!(read_limited(&dir.join("empty"), 10).unwrap(), b"");
        let status = read_text_limited(Path::new("/proc/self/status"), 1 << 20).unwrap();
        assert!(status.starts_with("Name:"), "{status}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_check_not_an_input_refuses_out_naming_an_input() {
        let dir = temp_dir("not-an-input");
        let key = dir.join("key");
        std::fs::write(&key, "secret").unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&key, &link).unwrap();
        let inputs = || [(link.as_path(), "the key file".to_string())];
        for out in [
            key.clone(),
            dir.join(".").join("key"),
            dir.join("../").join(dir.file_name().unwrap()).join("key"),
        ] {
            assert_eq!(
                check_not_an_input(&out, "--out", inputs()),
                Err(format!(
                    "--out {} is the key file: writing there would destroy it, so choose \
                     another path",
                    out.display()
                ))
            );
        }
        assert_eq!(
            check_not_an_input(&dir.join("other"), "--out", inputs()),
            Ok(())
        );
        std::fs::write(dir.join("other"), "old").unwrap();
        assert_eq!(
            check_not_an_input(&dir.join("other"), "--out", inputs()),
            Ok(())
        );
        assert_eq!(std::fs::read(&key).unwrap(), b"secret");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_printable_escapes_control_characters() {
        assert_eq!(
            printable("a\u{1b}[2J\tb\n\u{7f}é"),
            "a\\u{1b}[2J\\tb\\n\\u{7f}é"
        );
    }

    #[test]
    fn test_check_replaceable_refuses_out_naming_no_file_or_a_missing_directory() {
        let dir = temp_dir("no-file");
        for out in [dir.join("new/"), dir.join(".."), PathBuf::from("/")] {
            assert_eq!(
                check_replaceable(&out, "--out"),
                Err(format!(
                    "--out {} names a directory: give the path of a file",
                    out.display()
                ))
            );
        }
        let out = dir.join("missing/f.upk");
        assert_eq!(
            check_replaceable(&out, "--out"),
            Err(format!(
                "--out {}: there is no directory {} to write it in",
                out.display(),
                dir.join("missing").display()
            ))
        );
        assert_eq!(check_replaceable(Path::new("f.upk"), "--out"), Ok(()));
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
