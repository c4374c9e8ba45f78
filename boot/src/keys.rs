//! Key files: an Ed25519 key pair kept as two small text files.
//!
//! Both files have the same shape: comment lines (starting with `#`) and
//! blank lines, and exactly one line of 64 hexadecimal digits. In a secret
//! key file (`.key`) the digits are the 32-byte Ed25519 secret seed; in a
//! public key file (`.pub`), the 32-byte public key. The comments say what
//! the key is for; the digits are all a program reads. The format is plain
//! enough that a build script (the kernel's, which builds the trusted
//! public key in) reads it with the same [`parse_key_file`], which lives in
//! `update-manifest` for that reason.
//!
//! This file is also compiled into `boot`'s build script, which signs the
//! example manifest: it uses only `std`, `update-manifest` and
//! [`crate::files`].

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use update_manifest::{Hex, KeyId, SigningKey, TrustedKey};

use crate::files::read_text_limited;

pub use update_manifest::key_file::{parse_key_file, KeyFileError, KEY_LEN};

/// The longest key file read: a key file is comment lines and one line of
/// 64 digits, and `keygen` writes well under 1 KiB; 16 KiB leaves room for
/// any comment a person adds.
pub const MAX_KEY_FILE_LEN: usize = 16 * 1024;

/// The file name `keygen` gives the secret key.
pub const SECRET_KEY_FILE: &str = "upkeep.key";

/// The file name `keygen` gives the public key.
pub const PUBLIC_KEY_FILE: &str = "upkeep.pub";

/// The repository's development secret key. It is published, so it is no
/// secret: manifests it signs prove nothing. It exists so that a fresh
/// clone can sign and boot its demo; see the README's "Signed updates".
pub const DEV_SECRET_KEY_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys/dev.key");

/// The public half of [`DEV_SECRET_KEY_FILE`]: the kernel's trusted key
/// unless `UPKEEP_TRUSTED_KEY` names another.
pub const DEV_PUBLIC_KEY_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys/dev.pub");

/// The development signing key ([`DEV_SECRET_KEY_FILE`], built in), for
/// tests that re-sign manifests.
///
/// # Panics
/// If the repository's `keys/dev.key` is not a key file (a unit test
/// reads it).
pub fn dev_signing_key() -> SigningKey {
    let seed = parse_key_file(include_str!("../../keys/dev.key"))
        .unwrap_or_else(|error| panic!("keys/dev.key: {error}"));
    SigningKey::from_bytes(&seed)
}

/// The development public key ([`DEV_PUBLIC_KEY_FILE`], built in).
///
/// # Panics
/// If the repository's `keys/dev.pub` is not a usable public key file (a
/// unit test reads it).
pub fn dev_public_key() -> TrustedKey {
    let bytes = parse_key_file(include_str!("../../keys/dev.pub"))
        .unwrap_or_else(|error| panic!("keys/dev.pub: {error}"));
    TrustedKey::from_bytes(&bytes).expect("keys/dev.pub is a usable Ed25519 public key")
}

/// Reads the key bytes of the key file at `path`; the error names the
/// file and the line: `keys/dev.pub: line 4: expected 64 hexadecimal
/// digits (32 bytes), found 62`.
pub fn read_key_file(path: &Path) -> Result<[u8; KEY_LEN], String> {
    let text = read_text_limited(path, MAX_KEY_FILE_LEN)
        .map_err(|error| format!("cannot read key file {}: {error}", path.display()))?;
    parse_key_file(&text).map_err(|error| format!("{}: {error}", path.display()))
}

/// Reads a secret key file. A file named `*.pub` is refused: any 32 bytes
/// are a valid seed, so a public key given by mistake would otherwise
/// sign with a key nobody trusts. So is a file whose first line calls it
/// a public key, as `keygen` and `keys/dev.pub` write it: a public key
/// file copied under another name.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, String> {
    if path.extension().is_some_and(|extension| extension == "pub") {
        return Err(format!(
            "{} is a public key file (.pub): signing needs the secret key file (.key)",
            path.display()
        ));
    }
    let text = read_text_limited(path, MAX_KEY_FILE_LEN)
        .map_err(|error| format!("cannot read key file {}: {error}", path.display()))?;
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    if first.starts_with('#') && first.to_ascii_lowercase().contains("public key") {
        return Err(format!(
            "{}: line 1 says it is a public key file: signing needs the secret key file",
            path.display()
        ));
    }
    let seed = parse_key_file(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key file and checks that it holds a usable Ed25519
/// public key (a valid curve point, not a weak key).
pub fn read_public_key(path: &Path) -> Result<TrustedKey, String> {
    let bytes = read_key_file(path)?;
    TrustedKey::from_bytes(&bytes).map_err(|_| {
        format!(
            "{}: not a usable Ed25519 public key (not a curve point, or a weak key)",
            path.display()
        )
    })
}

/// The id of `key`'s public half.
pub fn key_id(key: &SigningKey) -> KeyId {
    KeyId::of(&key.verifying_key().to_bytes())
}

/// The text of a key file: `comment`'s lines each behind `# `, then the
/// key in lower-case hex.
pub fn key_file_text(comment: &str, key: &[u8; KEY_LEN]) -> String {
    let mut text = String::new();
    for line in comment.lines() {
        text.push_str(if line.is_empty() { "#" } else { "# " });
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&Hex(key).to_string());
    text.push('\n');
    text
}

/// A key pair [`generate_key_pair`] wrote.
#[derive(Clone, Debug)]
pub struct GeneratedKeyPair {
    /// The secret key file (mode 0600).
    pub secret_path: PathBuf,
    /// The public key file.
    pub public_path: PathBuf,
    /// The public key's id.
    pub key_id: KeyId,
}

/// Why [`generate_key_pair`] wrote nothing.
#[derive(Debug)]
pub enum KeygenError {
    /// A key file is already there; keys are never overwritten.
    Exists(PathBuf),
    /// The `--out` path exists and is not a directory (nor a symbolic
    /// link to one).
    NotDirectory {
        /// The path.
        path: PathBuf,
        /// What it is instead, as [`crate::files::kind_of`] says it.
        kind: &'static str,
    },
    /// The `--out` directory does not exist, and cannot be made: the
    /// nearest existing path above it is not a directory.
    UnderNonDirectory {
        /// The `--out` path.
        path: PathBuf,
        /// The existing path above it.
        above: PathBuf,
        /// What that is, as [`crate::files::kind_of`] says it.
        kind: &'static str,
    },
    /// Reading randomness, or making the directory or a file, failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
}

impl fmt::Display for KeygenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeygenError::Exists(path) => write!(
                f,
                "{} already exists: keys are never overwritten (move it away or choose \
                 another --out)",
                path.display()
            ),
            KeygenError::NotDirectory { path, kind } => write!(
                f,
                "--out {} is {kind}, not a directory: keygen writes the key pair into a \
                 directory",
                path.display()
            ),
            KeygenError::UnderNonDirectory { path, above, kind } => write!(
                f,
                "--out {}: {} is {kind}, not a directory, so the directory cannot be made",
                path.display(),
                above.display()
            ),
            KeygenError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for KeygenError {}

/// Where the randomness for a new key comes from.
const RANDOM_SOURCE: &str = "/dev/urandom";

/// Makes a new key pair from 32 bytes of `/dev/urandom` and writes
/// [`SECRET_KEY_FILE`] (mode 0600) and [`PUBLIC_KEY_FILE`] into `dir`,
/// creating it (mode 0700) if needed. Refuses, writing nothing, if either
/// file exists, or if `dir` exists and is not a directory.
pub fn generate_key_pair(dir: &Path) -> Result<GeneratedKeyPair, KeygenError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

    if let Ok(link) = dir.symlink_metadata() {
        // Followed, so that a symbolic link to a directory is used; a
        // dangling one is reported as the link it is.
        let file_type = dir.metadata().map_or(link.file_type(), |m| m.file_type());
        if !file_type.is_dir() {
            return Err(KeygenError::NotDirectory {
                path: dir.to_path_buf(),
                kind: crate::files::kind_of(file_type),
            });
        }
    }
    // A directory to be made needs a directory above it; say so now,
    // rather than pass on the OS's `Not a directory`.
    if let Some(above) = dir
        .ancestors()
        .skip(1)
        .filter(|above| !above.as_os_str().is_empty())
        .find(|above| above.symlink_metadata().is_ok())
    {
        if dir.symlink_metadata().is_err() {
            let link = above.symlink_metadata().map(|m| m.file_type());
            let file_type = above.metadata().map(|m| m.file_type()).or(link);
            if let Ok(file_type) = file_type {
                if !file_type.is_dir() {
                    return Err(KeygenError::UnderNonDirectory {
                        path: dir.to_path_buf(),
                        above: above.to_path_buf(),
                        kind: crate::files::kind_of(file_type),
                    });
                }
            }
        }
    }
    let secret_path = dir.join(SECRET_KEY_FILE);
    let public_path = dir.join(PUBLIC_KEY_FILE);
    for path in [&secret_path, &public_path] {
        if path.symlink_metadata().is_ok() {
            return Err(KeygenError::Exists(path.clone()));
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| KeygenError::Io { path, error }
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))?;

    let mut seed = [0u8; KEY_LEN];
    std::fs::File::open(RANDOM_SOURCE)
        .and_then(|mut random| random.read_exact(&mut seed))
        .map_err(io(Path::new(RANDOM_SOURCE)))?;
    let key = SigningKey::from_bytes(&seed);
    let public = key.verifying_key().to_bytes();
    let key_id = KeyId::of(&public);

    let secret_text = key_file_text(
        &format!(
            "upkeep update-signing SECRET key: an Ed25519 secret seed, 32 bytes\n\
             in hex, key id {key_id}. Keep it secret: whoever holds it can\n\
             sign updates that every kernel trusting {PUBLIC_KEY_FILE} installs.\n\
             Sign with: cargo run -p boot -- sign --key {SECRET_KEY_FILE} ...\n\
             Sign the demo with it: UPKEEP_SIGNING_KEY=<this file> cargo run"
        ),
        &seed,
    );
    let public_text = key_file_text(
        &format!(
            "upkeep update-signing public key: Ed25519, 32 bytes in hex, key id\n\
             {key_id}. Build a kernel that trusts it with\n\
             UPKEEP_TRUSTED_KEY=<this file> cargo build"
        ),
        &public,
    );
    // `create_new` refuses an existing file even if one appeared since the
    // check above.
    let write = |path: &Path, text: &str, mode: u32| {
        std::fs::File::options()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AlreadyExists => KeygenError::Exists(path.to_path_buf()),
                _ => KeygenError::Io {
                    path: path.to_path_buf(),
                    error,
                },
            })
    };
    write(&secret_path, &secret_text, 0o600)?;
    if let Err(error) = write(&public_path, &public_text, 0o644) {
        // Half a pair is no use; and the secret key was only just made.
        let _ = std::fs::remove_file(&secret_path);
        return Err(error);
    }
    Ok(GeneratedKeyPair {
        secret_path,
        public_path,
        key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("boot-keys-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn test_key_file_comments_and_one_key_line() {
        let text = format!("# a comment\n\n   # indented comment\r\n  {HEX}  \r\n\n# end\n");
        let key = parse_key_file(&text).unwrap();
        assert_eq!(key[0], 0x00);
        assert_eq!(key[1], 0x11);
        assert_eq!(key[15], 0xff);
        assert_eq!(parse_key_file(&HEX.to_uppercase()).unwrap(), key);
        assert_eq!(key_file_text("first\n\nthird", &key), {
            let mut expected = String::from("# first\n#\n# third\n");
            expected.push_str(HEX);
            expected.push('\n');
            expected
        });
        assert_eq!(parse_key_file(&key_file_text("x", &key)).unwrap(), key);
    }

    #[test]
    fn test_key_file_errors_name_line_length_and_character() {
        assert_eq!(parse_key_file(""), Err(KeyFileError::NoKey));
        assert_eq!(parse_key_file("# only\n\n"), Err(KeyFileError::NoKey));
        assert_eq!(
            parse_key_file(&format!("# c\n{HEX}\n{HEX}\n")),
            Err(KeyFileError::ExtraLine { line: 3 })
        );
        assert_eq!(
            parse_key_file(&format!("# c\n{}\n", &HEX[..62])),
            Err(KeyFileError::WrongLength {
                line: 2,
                digits: 62
            })
        );
        assert_eq!(
            parse_key_file(&format!("{HEX}00")),
            Err(KeyFileError::WrongLength {
                line: 1,
                digits: 66
            })
        );
        let mut bad = String::from(HEX);
        bad.replace_range(6..7, "g");
        let error = parse_key_file(&format!("#\n  {bad}")).unwrap_err();
        assert_eq!(
            error,
            KeyFileError::NotHex {
                line: 2,
                column: 9,
                found: 'g'
            }
        );
        assert_eq!(
            error.to_string(),
            "line 2, column 9: 'g' is not a hexadecimal digit"
        );
        assert_eq!(error.line(), Some(2));
        assert_eq!(
            parse_key_file(&format!("{HEX} # trailing comment")).unwrap_err(),
            KeyFileError::NotHex {
                line: 1,
                column: 65,
                found: ' '
            }
        );
        assert_eq!(
            KeyFileError::WrongLength {
                line: 4,
                digits: 62
            }
            .to_string(),
            "line 4: expected 64 hexadecimal digits (32 bytes), found 62"
        );
    }

    #[test]
    fn test_repository_dev_keys_are_a_pair() {
        let secret = read_signing_key(Path::new(DEV_SECRET_KEY_FILE)).unwrap();
        let public = read_public_key(Path::new(DEV_PUBLIC_KEY_FILE)).unwrap();
        assert_eq!(secret.verifying_key().to_bytes(), public.to_bytes());
        assert_eq!(key_id(&secret), public.id());
        assert_eq!(dev_signing_key().to_bytes(), secret.to_bytes());
        assert_eq!(dev_public_key().to_bytes(), public.to_bytes());
        for file in [DEV_SECRET_KEY_FILE, DEV_PUBLIC_KEY_FILE] {
            let text = std::fs::read_to_string(file).unwrap();
            assert!(text.starts_with('#'), "{file}");
            assert!(text.contains("DEVELOPMENT"), "{file}");
        }
    }

    #[test]
    fn test_read_key_errors_name_the_file() {
        let error = read_signing_key(Path::new(DEV_PUBLIC_KEY_FILE)).unwrap_err();
        assert!(error.contains("is a public key file"), "{error}");
        let error = read_key_file(Path::new("/nonexistent/upkeep.key")).unwrap_err();
        assert!(
            error.starts_with("cannot read key file /nonexistent/upkeep.key: "),
            "{error}"
        );
        let dir = temp_dir("read");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("short.pub");
        std::fs::write(&path, "# short\nabcd\n").unwrap();
        let error = read_public_key(&path).unwrap_err();
        assert_eq!(
            error,
            format!(
                "{}: line 2: expected 64 hexadecimal digits (32 bytes), found 4",
                path.display()
            )
        );
        // The identity point is a weak key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        std::fs::write(&path, key_file_text("weak", &identity)).unwrap();
        let error = read_public_key(&path).unwrap_err();
        assert!(error.contains("not a usable Ed25519 public key"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_keygen_writes_a_pair_and_refuses_to_overwrite() {
        use std::os::unix::fs::PermissionsExt;

        let dir = temp_dir("keygen").join("nested");
        let pair = generate_key_pair(&dir).unwrap();
        assert_eq!(pair.secret_path, dir.join(SECRET_KEY_FILE));
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&pair.secret_path), 0o600);
        let secret = read_signing_key(&pair.secret_path).unwrap();
        let public = read_public_key(&pair.public_path).unwrap();
        assert_eq!(secret.verifying_key().to_bytes(), public.to_bytes());
        assert_eq!(public.id(), pair.key_id);
        let secret_text = std::fs::read_to_string(&pair.secret_path).unwrap();
        assert!(secret_text.contains(&pair.key_id.to_string()));

        let again = generate_key_pair(&dir).unwrap_err();
        assert!(matches!(&again, KeygenError::Exists(path) if *path == pair.secret_path));
        assert!(again.to_string().contains("never overwritten"), "{again}");
        assert_eq!(
            std::fs::read_to_string(&pair.secret_path).unwrap(),
            secret_text
        );

        // A public key alone is enough to refuse, and nothing is written.
        std::fs::remove_file(&pair.secret_path).unwrap();
        let again = generate_key_pair(&dir).unwrap_err();
        assert!(matches!(&again, KeygenError::Exists(path) if *path == pair.public_path));
        assert!(!pair.secret_path.exists());

        // Two runs make two different keys.
        let other = generate_key_pair(&dir.join("other")).unwrap();
        assert_ne!(other.key_id, pair.key_id);
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn test_sign_refuses_public_key_file_under_another_name() {
        let dir = temp_dir("public-renamed");
        std::fs::create_dir_all(&dir).unwrap();
        let renamed = dir.join("signing.key");
        std::fs::copy(DEV_PUBLIC_KEY_FILE, &renamed).unwrap();
        assert_eq!(
            read_signing_key(&renamed).unwrap_err(),
            format!(
                "{}: line 1 says it is a public key file: signing needs the secret key file",
                renamed.display()
            )
        );
        let pair = generate_key_pair(&dir.join("pair")).unwrap();
        std::fs::copy(&pair.public_path, &renamed).unwrap();
        assert!(read_signing_key(&renamed)
            .unwrap_err()
            .contains("says it is a public key file"));
        assert!(read_signing_key(&pair.secret_path).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_read_key_file_refuses_dev_zero_past_the_limit() {
        let error = read_key_file(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            error,
            format!(
                "cannot read key file /dev/zero: larger than {MAX_KEY_FILE_LEN} bytes, the most \
                 allowed"
            )
        );
    }

    #[test]
    fn test_keygen_refuses_out_that_is_not_a_directory() {
        let dir = temp_dir("not-a-directory");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, "kept").unwrap();
        let link = dir.join("link-to-null");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        let dangling = dir.join("dangling");
        std::os::unix::fs::symlink(dir.join("nothing"), &dangling).unwrap();
        for (path, kind) in [
            (Path::new("/dev/null"), "a character device"),
            (file.as_path(), "a regular file"),
            (link.as_path(), "a character device"),
            (dangling.as_path(), "a symbolic link"),
        ] {
            let error = generate_key_pair(path).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "--out {} is {kind}, not a directory: keygen writes the key pair into a \
                     directory",
                    path.display()
                )
            );
        }
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
        assert!(!dir.join("nothing").exists());
        // A symbolic link to a directory is that directory.
        let real = dir.join("real");
        std::fs::create_dir(&real).unwrap();
        let to_real = dir.join("to-real");
        std::os::unix::fs::symlink(&real, &to_real).unwrap();
        generate_key_pair(&to_real).unwrap();
        assert!(real.join(SECRET_KEY_FILE).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_key_file_with_a_byte_order_mark_is_read() {
        let key = parse_key_file(HEX).unwrap();
        assert_eq!(parse_key_file(&format!("\u{feff}{HEX}\r\n")), Ok(key));
        assert_eq!(parse_key_file(&format!("\u{feff}# c\n{HEX}\n")), Ok(key));
        // Only at the start.
        assert!(parse_key_file(&format!("# c\n\u{feff}{HEX}\n")).is_err());
        let dir = temp_dir("bom");
        std::fs::create_dir_all(&dir).unwrap();
        let public = std::fs::read_to_string(DEV_PUBLIC_KEY_FILE).unwrap();
        let path = dir.join("signing.key");
        std::fs::write(&path, format!("\u{feff}{public}")).unwrap();
        assert!(read_signing_key(&path)
            .unwrap_err()
            .contains("says it is a public key file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn test_keygen_refuses_out_below_a_file_naming_it() {
        let dir = temp_dir("below-a-file");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, "kept").unwrap();
        let link = dir.join("link-to-null");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        for (path, above, kind) in [
            (file.join("sub"), file.clone(), "a regular file"),
            (file.join("a/b"), file.clone(), "a regular file"),
            (link.join("sub"), link.clone(), "a character device"),
        ] {
            let error = generate_key_pair(&path).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "--out {}: {} is {kind}, not a directory, so the directory cannot be made",
                    path.display(),
                    above.display()
                )
            );
        }
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
