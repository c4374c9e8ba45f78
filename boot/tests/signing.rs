//! The `keygen` and `sign` commands and the runner's `--manifest`: exit
//! status 0 when they did their job, 2 with a one-line message for bad
//! input, and what they wrote verifies.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use boot::bundle::read_bundle;
use boot::keys::{read_public_key, read_signing_key, DEV_PUBLIC_KEY_FILE, DEV_SECRET_KEY_FILE};
use boot::manifest_file::EXAMPLE_MANIFEST;
use boot::Tag;
use common::run_boot;
use update_manifest::{verify, Policy};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh directory in the temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("boot-signing-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn test_keygen_writes_a_pair_then_refuses_to_overwrite() {
    let dir = temp_dir("keygen").join("keys");
    let output = run_boot(&["keygen", "--out", path(&dir)]);
    assert_eq!(output.status.code(), Some(0));
    let secret = read_signing_key(&dir.join("upkeep.key")).unwrap();
    let public = read_public_key(&dir.join("upkeep.pub")).unwrap();
    assert_eq!(secret.verifying_key().to_bytes(), public.to_bytes());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("key id {}", public.id())),
        "{stdout}"
    );

    let before = std::fs::read(dir.join("upkeep.key")).unwrap();
    let output = run_boot(&["keygen", "--out", path(&dir)]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.starts_with("boot: "), "{message}");
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert_eq!(std::fs::read(dir.join("upkeep.key")).unwrap(), before);

    for args in [
        &["keygen"][..],
        &["keygen", "--out"],
        &["keygen", "--bogus"],
    ] {
        let output = run_boot(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with("boot: "), "{args:?}");
    }
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

/// Signs the example manifest with the development key as manifest
/// `version`, into `out`.
fn sign_example(out: &Path, version: &str) -> Output {
    run_boot(&[
        "sign",
        "--key",
        DEV_SECRET_KEY_FILE,
        "--manifest",
        EXAMPLE_MANIFEST,
        "--out",
        path(out),
        "--version",
        version,
    ])
}

#[test]
fn test_sign_example_verifies_with_dev_key() {
    let dir = temp_dir("sign");
    let out = dir.join("example.upk");
    let output = sign_example(&out, "5");
    assert_eq!(output.status.code(), Some(0));
    let trusted = read_public_key(Path::new(DEV_PUBLIC_KEY_FILE)).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "manifest version 5, 21 updates, key {}, expires ",
            trusted.id()
        )),
        "{stdout}"
    );
    let bytes = std::fs::read(&out).unwrap();
    assert!(stdout
        .trim_end()
        .ends_with(&format!("{} bytes", bytes.len())));
    let sections = read_bundle(&bytes).unwrap();
    assert_eq!(sections.len(), 22);
    let policy = Policy {
        last_version: Some(4),
        now_unix: now(),
    };
    let manifest = verify(&sections[0].1, &trusted, &policy).unwrap();
    assert_eq!(manifest.len(), 21);
    let lifetime = manifest.expires_at() - manifest.header().issued_at;
    assert_eq!(lifetime, 90 * 86_400);
    for (entry, (tag, payload)) in manifest.entries().zip(&sections[1..]) {
        assert_eq!(*tag, Tag::PAYLOAD);
        entry.check_payload(&payload[4..]).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_sign_bad_input_exits_two_with_one_line() {
    let dir = temp_dir("sign-bad");
    std::fs::write(dir.join("payload.txt"), "payload\n").unwrap();
    const GOOD: &str = "version = 1\nvalid_for = \"1d\"\n\n[[update]]\nid = 7\nname = \"zlib\"\n\
                        kind = \"security\"\npriority = \"security\"\nversion = \"1.3.1\"\n\
                        estimate = \"10m\"\nreboot = false\navailable_after = \"7m\"\n\
                        payload = \"payload.txt\"\n";
    // `GOOD` with `from` replaced by `to`, as the file `name`.
    let manifest = |name: &str, from: &str, to: &str| {
        assert!(GOOD.contains(from), "{from}");
        let file = dir.join(name);
        std::fs::write(&file, GOOD.replace(from, to)).unwrap();
        file
    };
    let good = dir.join("good.toml");
    std::fs::write(&good, GOOD).unwrap();
    let out = dir.join("out.upk");
    let cases = [
        (
            manifest("unknown.toml", "reboot = false", "reboot = false\nsize = 3"),
            "unknown.toml:12: update 7: unknown field `size`",
        ),
        (
            manifest(
                "priority.toml",
                "\"security\"\nversion",
                "\"urgent\"\nversion",
            ),
            "priority.toml:8: update 7: priority \"urgent\": expected critical,",
        ),
        (
            manifest("name.toml", "\"zlib\"", "\"z lib\""),
            "name.toml:6: update 7: name \"z lib\": must be 1 to 16 characters",
        ),
        (
            manifest("missing.toml", "payload.txt", "nope.txt"),
            "missing.toml:13: update 7: payload ",
        ),
        (
            PathBuf::from("/nonexistent/updates.toml"),
            "cannot read manifest /nonexistent/updates.toml",
        ),
    ];
    for (file, expected) in &cases {
        let output = run_boot(&[
            "sign",
            "--key",
            DEV_SECRET_KEY_FILE,
            "--manifest",
            path(file),
            "--out",
            path(&out),
        ]);
        assert_eq!(output.status.code(), Some(2), "{file:?}");
        let message = stderr(&output);
        assert!(message.starts_with("boot: "), "{message}");
        assert!(message.contains(expected), "{expected}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(!out.exists());
    }
    let bad_key = dir.join("bad.key");
    std::fs::write(&bad_key, "# short\nabcd\n").unwrap();
    for (args, expected) in [
        (
            vec!["--key", path(&bad_key)],
            "bad.key: line 2: expected 64 hexadecimal digits",
        ),
        (vec!["--key", DEV_PUBLIC_KEY_FILE], "is a public key file"),
        (
            vec![
                "--key",
                DEV_SECRET_KEY_FILE,
                "--expires",
                "2020-01-01T00:00:00Z",
            ],
            "is not after the signing time",
        ),
    ] {
        let mut all = vec!["sign", "--manifest", path(&good), "--out", path(&out)];
        all.extend(args);
        let output = run_boot(&all);
        assert_eq!(output.status.code(), Some(2), "{all:?}");
        let message = stderr(&output);
        assert!(message.contains(expected), "{expected}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
    }
    for args in [
        &["sign"][..],
        &["sign", "--key", DEV_SECRET_KEY_FILE, "--out", "x.upk"],
        &["sign", "--version", "0"],
        &["sign", "--expires", "soon"],
        &["sign", "--frobnicate"],
    ] {
        let output = run_boot(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with("boot: "), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_runner_bad_bundles_exit_two() {
    let dir = temp_dir("bundles");
    let not_bundle = dir.join("updates.toml");
    std::fs::write(&not_bundle, "version = 1\n").unwrap();
    let cases = [
        (vec!["--manifest", path(&not_bundle)], "not a signed bundle"),
        (
            vec!["--manifest", "/nonexistent/b.upk"],
            "cannot read bundle /nonexistent/b.upk",
        ),
        (
            vec!["--manifest", path(&not_bundle), "--no-manifest"],
            "--manifest and --no-manifest exclude each other",
        ),
        (vec!["--manifest"], "--manifest needs a value"),
    ];
    for (args, expected) in cases {
        let output = run_boot(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(message.starts_with("boot: "), "{message}");
        assert!(message.contains(expected), "{expected}: {message}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_runner_describes_each_manifest_in_order() {
    let dir = temp_dir("runner");
    let mut bundles = Vec::new();
    for version in ["3", "2"] {
        let out = dir.join(format!("v{version}.upk"));
        let output = sign_example(&out, version);
        assert_eq!(output.status.code(), Some(0));
        bundles.push(out);
    }
    let manifest_lines = |output: &Output| -> Vec<String> {
        stderr(output)
            .lines()
            .filter_map(|line| line.strip_prefix("boot: manifest: "))
            .map(str::to_string)
            .collect()
    };
    let output = run_boot(&[
        "--kernel",
        "test-config",
        "--manifest",
        path(&bundles[0]),
        "--manifest",
        path(&bundles[1]),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let lines = manifest_lines(&output);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("version 3, 21 updates, key "),
        "{lines:?}"
    );
    assert!(lines[0].ends_with(&format!("({})", bundles[0].display())));
    assert!(
        lines[1].starts_with("version 2, 21 updates, key "),
        "{lines:?}"
    );

    // By default, the example for the demo's scenario, none for the console.
    let example_key = read_signing_key(Path::new(boot::EXAMPLE_SIGNING_KEY_FILE)).unwrap();
    let output = run_boot(&["--kernel", "test-config"]);
    assert_eq!(output.status.code(), Some(0));
    let lines = manifest_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let expected = format!(
        "version 1, 21 updates, key {}, expires ",
        boot::keys::key_id(&example_key)
    );
    assert!(lines[0].starts_with(&expected), "{lines:?}");
    for args in [
        &["--kernel", "test-config", "--no-manifest"][..],
        &["--kernel", "test-config", "--console"],
    ] {
        let output = run_boot(args);
        assert_eq!(output.status.code(), Some(0));
        assert!(manifest_lines(&output).is_empty(), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A manifest with update 7 whose payload is `payload`, written as
/// `dir/sub/dir/m.toml` (so that `../../` reaches `dir`).
fn manifest_with_payload(dir: &Path, payload: &str) -> PathBuf {
    let nested = dir.join("sub/dir");
    std::fs::create_dir_all(&nested).unwrap();
    let file = nested.join("m.toml");
    std::fs::write(
        &file,
        format!(
            "version = 1\nvalid_for = \"1d\"\n\n[[update]]\nid = 7\nname = \"zlib\"\n\
             kind = \"security\"\npriority = \"security\"\nversion = \"1.3.1\"\n\
             estimate = \"10m\"\nreboot = false\navailable_after = \"7m\"\n\
             payload = {payload:?}\n"
        ),
    )
    .unwrap();
    file
}

fn sign_with(key: &str, manifest: &Path, out: &Path) -> Output {
    run_boot(&[
        "sign",
        "--key",
        key,
        "--manifest",
        path(manifest),
        "--out",
        path(out),
    ])
}

#[test]
fn test_sign_refuses_payload_paths_leaving_the_manifest_dir() {
    let dir = temp_dir("payload-escape");
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    std::fs::copy(DEV_SECRET_KEY_FILE, dir.join("keys/dev.key")).unwrap();
    std::fs::create_dir_all(dir.join("sub/dir")).unwrap();
    std::os::unix::fs::symlink(dir.join("keys/dev.key"), dir.join("sub/dir/key")).unwrap();
    std::os::unix::fs::symlink(dir.join("keys"), dir.join("sub/dir/keys")).unwrap();
    let out = dir.join("out.upk");
    for (payload, problem) in [
        (
            "../../keys/dev.key",
            "a `..` component leaves the manifest's directory",
        ),
        ("key", "a symbolic link leads to "),
        ("keys/dev.key", "a symbolic link leads to "),
        ("/etc/passwd", "an absolute path"),
    ] {
        let manifest = manifest_with_payload(&dir, payload);
        let output = sign_with(DEV_SECRET_KEY_FILE, &manifest, &out);
        assert_eq!(output.status.code(), Some(2), "{payload}");
        let message = stderr(&output);
        let expected = format!(
            "boot: {}:13: update 7: payload {payload:?}: {problem}",
            manifest.display()
        );
        assert!(message.starts_with(&expected), "{expected}\n{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(!out.exists(), "{payload}: nothing written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_sign_reads_payloads_beside_a_manifest_named_without_a_directory() {
    let dir = temp_dir("bare-name");
    let manifest = manifest_with_payload(&dir, "payload.txt");
    let manifest_dir = manifest.parent().unwrap();
    std::fs::write(manifest_dir.join("payload.txt"), "payload\n").unwrap();
    let out = dir.join("out.upk");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_boot"))
        .args(["sign", "--key", DEV_SECRET_KEY_FILE, "--manifest", "m.toml"])
        .args(["--out", path(&out)])
        .current_dir(manifest_dir)
        .output()
        .expect("boot binary runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(read_bundle(&std::fs::read(&out).unwrap()).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Makes a named pipe at `path`.
fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[test]
fn test_sign_and_keygen_refuse_out_that_is_not_a_regular_file() {
    use std::os::unix::fs::FileTypeExt;

    let dir = temp_dir("out-not-regular");
    let manifest = manifest_with_payload(&dir, "payload.txt");
    std::fs::write(dir.join("sub/dir/payload.txt"), "payload\n").unwrap();
    let fifo = dir.join("fifo");
    make_fifo(&fifo);
    let directory = dir.join("directory");
    std::fs::create_dir(&directory).unwrap();
    let link = dir.join("link-to-null");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let null_before = std::fs::symlink_metadata("/dev/null").unwrap().file_type();
    for (out, kind) in [
        (Path::new("/dev/null"), "a character device"),
        (fifo.as_path(), "a named pipe (fifo)"),
        (directory.as_path(), "a directory"),
        (link.as_path(), "a symbolic link"),
    ] {
        let output = sign_with(DEV_SECRET_KEY_FILE, &manifest, out);
        assert_eq!(output.status.code(), Some(2), "{out:?}");
        assert_eq!(
            stderr(&output),
            format!(
                "boot: --out {} is {kind}: only a regular file is replaced, so choose another \
                 path\n",
                out.display()
            )
        );
    }
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(std::fs::symlink_metadata(&directory).unwrap().is_dir());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(
        std::fs::symlink_metadata("/dev/null").unwrap().file_type(),
        null_before
    );
    // A regular file is replaced.
    let regular = dir.join("bundle.upk");
    std::fs::write(&regular, "old").unwrap();
    let output = sign_with(DEV_SECRET_KEY_FILE, &manifest, &regular);
    assert_eq!(output.status.code(), Some(0));
    assert!(read_bundle(&std::fs::read(&regular).unwrap()).is_ok());

    for (out, kind) in [
        (Path::new("/dev/null"), "a character device"),
        (fifo.as_path(), "a named pipe (fifo)"),
        (regular.as_path(), "a regular file"),
    ] {
        let output = run_boot(&["keygen", "--out", path(out)]);
        assert_eq!(output.status.code(), Some(2), "{out:?}");
        assert_eq!(
            stderr(&output),
            format!(
                "boot: --out {} is {kind}, not a directory: keygen writes the key pair into a \
                 directory\n",
                out.display()
            )
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_sign_refuses_unbounded_key_and_manifest_reads() {
    let dir = temp_dir("dev-zero");
    let out = dir.join("out.upk");
    let manifest = manifest_with_payload(&dir, "zero");
    std::os::unix::fs::symlink("/dev/zero", dir.join("sub/dir/zero")).unwrap();
    for (key, manifest, expected) in [
        (
            "/dev/zero",
            manifest.as_path(),
            format!(
                "cannot read key file /dev/zero: larger than {} bytes, the most allowed",
                boot::keys::MAX_KEY_FILE_LEN
            ),
        ),
        (
            DEV_SECRET_KEY_FILE,
            Path::new("/dev/zero"),
            format!(
                "cannot read manifest /dev/zero: larger than {} bytes, the most allowed",
                boot::manifest_file::MAX_MANIFEST_FILE_LEN
            ),
        ),
        (
            DEV_SECRET_KEY_FILE,
            manifest.as_path(),
            "update 7: payload \"zero\": a symbolic link leads to /dev/zero".to_string(),
        ),
    ] {
        let started = std::time::Instant::now();
        let output = sign_with(key, manifest, &out);
        assert_eq!(output.status.code(), Some(2), "{key} {manifest:?}");
        let message = stderr(&output);
        assert!(message.contains(&expected), "{expected}\n{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        assert!(!out.exists());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_sign_refuses_out_that_is_an_input_file() {
    let dir = temp_dir("out-is-input");
    let manifest = manifest_with_payload(&dir, "payload.txt");
    let payload = dir.join("sub/dir/payload.txt");
    std::fs::write(&payload, "payload\n").unwrap();
    let key = dir.join("signing.key");
    std::fs::copy(DEV_SECRET_KEY_FILE, &key).unwrap();
    let contents = |paths: &[&Path]| -> Vec<Vec<u8>> {
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    let before = contents(&[&key, &manifest, &payload]);
    let dotted = dir.join("sub/../sub/dir/./m.toml");
    for (out, what) in [
        (key.clone(), format!("the key file {}", key.display())),
        (
            manifest.clone(),
            format!("the manifest file {}", manifest.display()),
        ),
        (dotted, format!("the manifest file {}", manifest.display())),
        (
            payload.clone(),
            format!("the payload of update 7 ({})", payload.display()),
        ),
    ] {
        let output = sign_with(path(&key), &manifest, &out);
        assert_eq!(output.status.code(), Some(2), "{out:?}");
        assert_eq!(
            stderr(&output),
            format!(
                "boot: --out {} is {what}: writing there would destroy it, so choose another \
                 path\n",
                out.display()
            )
        );
        assert_eq!(contents(&[&key, &manifest, &payload]), before, "{out:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_sign_and_runner_do_not_hang_on_a_fifo_without_writer() {
    let dir = temp_dir("fifo-input");
    let fifo = dir.join("fifo");
    make_fifo(&fifo);
    let manifest = manifest_with_payload(&dir, "payload.txt");
    std::fs::write(dir.join("sub/dir/payload.txt"), "payload\n").unwrap();
    let out = dir.join("out.upk");
    let stalled = format!(
        "{}: a named pipe (fifo) that gave no end of data within {} s (does anything write to \
         it?); give a regular file\n",
        fifo.display(),
        boot::files::STALL_LIMIT.as_secs()
    );
    let runs: Vec<(Vec<String>, String)> = vec![
        (
            vec!["sign", "--key", path(&fifo), "--manifest", path(&manifest)],
            format!("boot: cannot read key file {stalled}"),
        ),
        (
            vec![
                "sign",
                "--key",
                DEV_SECRET_KEY_FILE,
                "--manifest",
                path(&fifo),
            ],
            format!("boot: cannot read manifest {stalled}"),
        ),
        (
            vec!["--config", path(&fifo), "--kernel", "test-config"],
            format!("boot: cannot read config {stalled}"),
        ),
        (
            vec!["--manifest", path(&fifo), "--kernel", "test-config"],
            format!("boot: cannot read bundle {stalled}"),
        ),
    ]
    .into_iter()
    .map(|(args, expected)| {
        let mut args: Vec<String> = args.into_iter().map(String::from).collect();
        if args[0] == "sign" {
            args.extend(["--out".to_string(), path(&out).to_string()]);
        }
        (args, expected)
    })
    .collect();
    // All at once: each waits out the limit.
    let started = std::time::Instant::now();
    let handles: Vec<_> = runs
        .into_iter()
        .map(|(args, expected)| {
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                (run_boot(&args), expected)
            })
        })
        .collect();
    for handle in handles {
        let (output, expected) = handle.join().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stderr(&output), expected);
    }
    assert!(started.elapsed() < boot::files::STALL_LIMIT * 4);
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_sign_reads_payloads_beside_the_file_a_manifest_symlink_leads_to() {
    let dir = temp_dir("manifest-symlink");
    let manifest = manifest_with_payload(&dir, "payload.txt");
    std::fs::write(dir.join("sub/dir/payload.txt"), "payload\n").unwrap();
    let link = dir.join("linked.toml");
    std::os::unix::fs::symlink(&manifest, &link).unwrap();
    let out = dir.join("out.upk");
    let output = sign_with(DEV_SECRET_KEY_FILE, &link, &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(read_bundle(&std::fs::read(&out).unwrap()).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_sign_refuses_out_naming_no_file_or_in_a_missing_directory_before_signing() {
    let dir = temp_dir("out-no-file");
    let manifest = manifest_with_payload(&dir, "payload.txt");
    std::fs::write(dir.join("sub/dir/payload.txt"), "payload\n").unwrap();
    let new_dir = format!("{}/", dir.join("new").display());
    let missing = dir.join("missing/out.upk");
    for (out, expected) in [
        (
            new_dir.clone(),
            format!("boot: --out {new_dir} names a directory: give the path of a file\n"),
        ),
        (
            path(&missing).to_string(),
            format!(
                "boot: --out {}: there is no directory {} to write it in\n",
                missing.display(),
                dir.join("missing").display()
            ),
        ),
    ] {
        let output = sign_with(DEV_SECRET_KEY_FILE, &manifest, Path::new(&out));
        assert_eq!(output.status.code(), Some(2), "{out}");
        assert_eq!(stderr(&output), expected);
    }
    // A file name as long as a name may be still leaves room for the
    // temporary file written beside it.
    let long = dir.join("b".repeat(255));
    let output = sign_with(DEV_SECRET_KEY_FILE, &manifest, &long);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(read_bundle(&std::fs::read(&long).unwrap()).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_runner_bounds_the_bundles_together_not_only_each() {
    let dir = temp_dir("bundles-together");
    let out = dir.join("small.upk");
    assert_eq!(sign_example(&out, "7").status.code(), Some(0));
    let small = std::fs::metadata(&out).unwrap().len();
    // A file that fills what the small bundle leaves, and one byte more.
    let large = dir.join("large.upk");
    let file = std::fs::File::create(&large).unwrap();
    file.set_len(boot::bundle::MAX_BUNDLE_LEN as u64 - small + 1)
        .unwrap();
    let output = run_boot(&["--manifest", path(&out), "--manifest", path(&large)]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "boot: cannot read bundle {}: with the bundles before it, larger than {} bytes, the \
             most one boot takes\n",
            large.display(),
            boot::bundle::MAX_BUNDLE_LEN
        )
    );
    // One byte less fits (and is then refused for what it holds).
    file.set_len(boot::bundle::MAX_BUNDLE_LEN as u64 - small)
        .unwrap();
    let output = run_boot(&["--manifest", path(&out), "--manifest", path(&large)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a signed bundle"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
