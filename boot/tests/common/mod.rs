//! What the binary's tests share.

use std::process::{Command, Output};

/// Runs the `boot` binary with `args` and no input, printing the command
/// and what it wrote (shown when a test fails).
pub fn run_boot(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_boot"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("boot binary runs");
    println!("$ boot {}", args.join(" "));
    println!("stdout:\n{}", String::from_utf8_lossy(&output.stdout));
    println!("stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    output
}
