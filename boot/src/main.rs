//! `cargo run`: boots the kernel under QEMU and exits 0 exactly when the
//! kernel reported success.

use std::process::ExitCode;
use std::time::Duration;

use boot::{Firmware, Input, RunOptions, Verdict};

const USAGE: &str = "\
usage: cargo run -- [OPTIONS] [-- QEMU_ARGS...]

Boots the upkeep kernel under QEMU with its serial port on this terminal.

options:
  --uefi            boot the UEFI image with OVMF (default: BIOS)
  --bios            boot the BIOS image
  --kernel NAME     boot another kernel binary (see --list)
  --timeout SECS    stop QEMU after SECS seconds of wall time (default 300)
  --gdb             wait for a debugger on tcp::1234 (no timeout)
  --kvm             use KVM instead of plain emulation
  --rtc DATETIME    start the emulated clock at DATETIME, e.g. 2026-11-28T22:45:00
  --list            list the kernel binaries and their images
  -h, --help        show this help

exit status: 0 when the kernel reported success, 1 when it reported failure
or QEMU ended without a verdict, 124 on timeout, 2 on bad arguments.";

/// Exit status for a run stopped at the timeout, as `timeout(1)` uses.
const EXIT_TIMEOUT: u8 = 124;
/// Exit status for bad command-line arguments.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("boot: {message}\n\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    match boot::qemu_command(&options) {
        Ok(command) => eprintln!("boot: running {}", boot::command_line(&command)),
        Err(error) => {
            eprintln!("boot: {error}");
            return ExitCode::FAILURE;
        }
    }
    if options.gdb {
        if let Some(images) = boot::images(&options.kernel) {
            eprintln!(
                "boot: QEMU waits for a debugger: gdb {} -ex 'target remote :1234'",
                images.elf
            );
        }
    }
    let outcome = match boot::run(&options) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("boot: {error}");
            return ExitCode::FAILURE;
        }
    };
    match outcome.verdict {
        Verdict::Success => {
            eprintln!(
                "boot: {} after {:.1} s",
                outcome.verdict,
                outcome.elapsed.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Verdict::TimedOut => {
            eprintln!(
                "boot: timed out after {} s: the kernel gave no verdict, QEMU was stopped \
                 (raise the limit with --timeout SECS)",
                options.timeout.as_secs()
            );
            ExitCode::from(EXIT_TIMEOUT)
        }
        verdict => {
            eprintln!("boot: {verdict}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line; `Ok(None)` when it only asked for help or the
/// list.
fn parse(args: &[String]) -> Result<Option<RunOptions>, String> {
    let mut options = RunOptions::new("kernel");
    options.echo = true;
    options.input = Input::Inherit;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--uefi" => options.firmware = Firmware::Uefi,
            "--bios" => options.firmware = Firmware::Bios,
            "--gdb" => options.gdb = true,
            "--kvm" => options.kvm = true,
            "--kernel" => options.kernel = value(&mut rest, "--kernel")?.to_string(),
            "--rtc" => options.rtc_base = Some(value(&mut rest, "--rtc")?.to_string()),
            "--timeout" => {
                let text = value(&mut rest, "--timeout")?;
                let secs: u64 = text.parse().ok().filter(|secs| *secs > 0).ok_or_else(|| {
                    format!("--timeout needs a whole number of seconds above 0, not '{text}'")
                })?;
                options.timeout = Duration::from_secs(secs);
            }
            "--list" => {
                for images in boot::IMAGES {
                    println!(
                        "{}\n  bios: {}\n  uefi: {}",
                        images.name, images.bios, images.uefi
                    );
                }
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "--" => {
                options.extra_args.extend(rest.by_ref().cloned());
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if boot::images(&options.kernel).is_none() {
        return Err(boot::RunError::UnknownKernel(options.kernel).to_string());
    }
    Ok(Some(options))
}

fn value<'a>(rest: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a str, String> {
    rest.next()
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value"))
}
