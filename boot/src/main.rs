//! `cargo run`: boots the kernel under QEMU and exits 0 exactly when the
//! kernel reported success.
//!
//! The kernel's boot configuration comes from a TOML file (`--config`,
//! else the repository's `config/demo.toml`), or from `--console`; it is
//! validated here, then travels to the kernel in the image's ramdisk.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use boot::config_file::{apply_console, read_config, DEMO_CONFIG};
use boot::{BootConfig, Firmware, Input, RamdiskSource, RunOptions, Verdict};

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
  --config FILE     boot configuration from a TOML file (default: config/demo.toml)
  --console         wait at the serial console: mode = console, speed = 60,
                    scenario = none (over --config's file if given, else the
                    defaults); no timeout unless --timeout is given
  --list            list the kernel binaries
  -h, --help        show this help

exit status: 0 when the kernel reported success, 1 when it reported failure
or QEMU ended without a verdict, 124 on timeout, 2 on bad arguments or a
bad config file.";

/// Exit status for a run stopped at the timeout, as `timeout(1)` uses.
const EXIT_TIMEOUT: u8 = 124;
/// Exit status for bad command-line arguments.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(ArgError::Usage(message)) => {
            eprintln!("boot: {message}\n\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
        Err(ArgError::Config(message)) => {
            eprintln!("boot: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    if let RamdiskSource::Config(config) = &options.ramdisk {
        eprintln!("boot: config: {config}");
    }
    match boot::prepare_image(&options) {
        Ok(image) => match image.created_in {
            Some(took) => eprintln!(
                "boot: made {} in {:.2} s",
                image.path.display(),
                took.as_secs_f64()
            ),
            None => eprintln!("boot: using cached {}", image.path.display()),
        },
        Err(error) => {
            eprintln!("boot: {error}");
            return ExitCode::FAILURE;
        }
    }
    match boot::qemu_command(&options) {
        Ok(command) => eprintln!("boot: running {}", boot::command_line(&command)),
        Err(error) => {
            eprintln!("boot: {error}");
            return ExitCode::FAILURE;
        }
    }
    if options.gdb {
        if let Some(kernel) = boot::kernel(&options.kernel) {
            eprintln!(
                "boot: QEMU waits for a debugger: gdb {} -ex 'target remote :1234'",
                kernel.elf
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

/// What is wrong with the command line.
enum ArgError {
    /// A bad option: the message, then the usage.
    Usage(String),
    /// A bad boot configuration: the message alone.
    Config(String),
}

impl From<String> for ArgError {
    fn from(message: String) -> ArgError {
        ArgError::Usage(message)
    }
}

/// Reads the command line; `Ok(None)` when it only asked for help or the
/// list.
fn parse(args: &[String]) -> Result<Option<RunOptions>, ArgError> {
    let mut options = RunOptions::new("kernel");
    options.echo = true;
    options.input = Input::Inherit;
    let mut config_file: Option<PathBuf> = None;
    let mut console = false;
    let mut timeout_given = false;
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
                timeout_given = true;
            }
            "--config" => config_file = Some(PathBuf::from(value(&mut rest, "--config")?)),
            "--console" => console = true,
            "--list" => {
                for kernel in boot::KERNELS {
                    println!("{}\n  elf: {}", kernel.name, kernel.elf);
                }
                println!(
                    "images are made on demand in {}",
                    boot::image_dir().display()
                );
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "--" => {
                options.extra_args.extend(rest.by_ref().cloned());
            }
            other => return Err(format!("unknown option '{other}'").into()),
        }
    }
    if boot::kernel(&options.kernel).is_none() {
        return Err(boot::RunError::UnknownKernel(options.kernel)
            .to_string()
            .into());
    }
    let mut config = match (&config_file, console) {
        (Some(path), _) => read_config(path).map_err(ArgError::Config)?,
        (None, true) => BootConfig::console(),
        (None, false) => read_config(Path::new(DEMO_CONFIG)).map_err(ArgError::Config)?,
    };
    if console {
        apply_console(&mut config);
        if !timeout_given {
            // A person at the console decides when to stop.
            options.timeout = Duration::MAX;
        }
    }
    if let Err(error) = config.validate() {
        let file = config_file.as_deref().map(Path::display);
        return Err(ArgError::Config(match file {
            Some(file) => format!("{file} with --console: invalid config: {error}"),
            None => format!("invalid config: {error}"),
        }));
    }
    options.ramdisk = RamdiskSource::Config(config);
    Ok(Some(options))
}

fn value<'a>(rest: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a str, String> {
    rest.next()
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value"))
}
