//! What the end-to-end tests of the examples share.

use std::ffi::OsStr;
use std::fmt::Debug;
use std::process::{Command, Output, Stdio};

/// Runs the example `name` with `args`, from this package's directory,
/// and prints what it did (the harness shows it when a test fails).
///
/// Cargo gives integration tests the path of binaries but not of
/// examples, so the example runs through `cargo run` with the Cargo that
/// runs the tests; after the first call it is built and each run is quick.
pub fn run_example<A: AsRef<OsStr> + Debug>(name: &str, args: &[A]) -> Output {
    run_example_into(name, args, Stdio::piped())
}

/// [`run_example`] with the example's standard output sent to `stdout`
/// (a file such as `/dev/full`); it is then not captured.
pub fn run_example_into<A: AsRef<OsStr> + Debug>(name: &str, args: &[A], stdout: Stdio) -> Output {
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet", "--package", "update-sched", "--example"])
        .arg(name)
        .arg("--")
        .args(args)
        .stdout(stdout)
        .output()
        .expect("cargo runs");
    eprintln!(
        "{name} {args:?}\nstatus: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
