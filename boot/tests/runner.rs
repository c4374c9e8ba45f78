//! The `boot` binary's exit status: 0 exactly when the kernel reported
//! success, and a message for every other ending.

use std::process::{Command, Output};

fn run_boot(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_boot"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("boot binary runs");
    println!("stdout:\n{}", String::from_utf8_lossy(&output.stdout));
    println!("stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    output
}

#[test]
fn test_runner_success_exits_zero_and_prints_command() {
    let output = run_boot(&[]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("boot: running qemu-system-x86_64 "),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("upkeep kernel "));
}

#[test]
fn test_runner_panic_exits_one_with_message() {
    let output = run_boot(&["--kernel", "test-panic"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("PANIC: "));
    assert!(String::from_utf8_lossy(&output.stderr).contains("kernel reported failure"));
}

#[test]
fn test_runner_hang_exits_124_saying_timeout() {
    let output = run_boot(&["--kernel", "test-hang", "--timeout", "5"]);
    assert_eq!(output.status.code(), Some(124));
    assert!(String::from_utf8_lossy(&output.stderr).contains("timed out after 5 s"));
}

#[test]
fn test_runner_bad_arguments_exit_two() {
    for args in [
        &["--timeout"][..],
        &["--timeout", "0"],
        &["--timeout", "soon"],
        &["--kernel", "nope"],
        &["--frobnicate"],
    ] {
        let output = run_boot(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).starts_with("boot: "));
    }
}
