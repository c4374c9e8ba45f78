//! Runs the kernel's disk images under QEMU and turns what happens into a
//! verdict.
//!
//! The build script has already made a BIOS and a UEFI image of every
//! kernel binary ([`IMAGES`]). [`run`] starts QEMU on one of them with the
//! serial port on stdio and the `isa-debug-exit` device, copies what the
//! kernel prints, and stops QEMU at a wall-clock timeout, since QEMU has no
//! limit of its own. The same function serves the `boot` binary (`cargo
//! run`) and the integration tests in `tests/`.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The disk images built for one kernel binary.
#[derive(Clone, Copy, Debug)]
pub struct KernelImages {
    /// The binary's name in `kernel/Cargo.toml`.
    pub name: &'static str,
    /// The kernel ELF file (for a debugger's symbols).
    pub elf: &'static str,
    /// The BIOS disk image.
    pub bios: &'static str,
    /// The UEFI disk image.
    pub uefi: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/images.rs"));

/// Finds the images of the kernel binary called `name`.
pub fn images(name: &str) -> Option<&'static KernelImages> {
    IMAGES.iter().find(|images| images.name == name)
}

/// QEMU exits with `(value << 1) | 1` for a value written to the debug-exit
/// port; the kernel writes 0x10 for success.
pub const QEMU_SUCCESS: i32 = (0x10 << 1) | 1;
/// ... and 0x11 for failure.
pub const QEMU_FAILURE: i32 = (0x11 << 1) | 1;

/// The default wall-clock limit for one run. Generous: a boot takes about
/// 3 s (BIOS) to 5 s (UEFI) under plain emulation on a 2-core machine.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How long QEMU gets to exit after SIGTERM before it is killed outright.
const TERMINATE_GRACE: Duration = Duration::from_secs(2);

/// Firmware to boot with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firmware {
    /// Legacy BIOS (SeaBIOS, QEMU's default).
    Bios,
    /// UEFI, with the OVMF firmware.
    Uefi,
}

/// Where QEMU's standard input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The runner's own standard input: a person at the console.
    Inherit,
    /// Nothing: the kernel sees no serial input.
    Null,
    /// These bytes, written as soon as QEMU starts (for tests that type at
    /// the serial console), then end of input.
    Bytes(Vec<u8>),
}

/// How to run one kernel.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The kernel binary to boot (see [`IMAGES`]).
    pub kernel: String,
    /// BIOS or UEFI.
    pub firmware: Firmware,
    /// Start QEMU's GDB server on TCP port 1234 and wait for a debugger.
    /// The timeout does not apply while debugging.
    pub gdb: bool,
    /// Use KVM instead of plain emulation (measured slower under nested
    /// virtualisation, so off by default).
    pub kvm: bool,
    /// Wall-clock limit after which QEMU is stopped.
    pub timeout: Duration,
    /// Copy the serial output to this process's standard output as it
    /// arrives.
    pub echo: bool,
    /// Serial input.
    pub input: Input,
    /// Start the emulated real-time clock at this time
    /// (`2026-11-28T22:45:00`, QEMU's `-rtc base=` syntax) instead of now.
    pub rtc_base: Option<String>,
    /// Further QEMU arguments, appended last.
    pub extra_args: Vec<String>,
}

impl RunOptions {
    /// Options to boot `kernel` with BIOS, no input, no echo and the
    /// default timeout.
    pub fn new(kernel: &str) -> RunOptions {
        RunOptions {
            kernel: kernel.to_string(),
            firmware: Firmware::Bios,
            gdb: false,
            kvm: false,
            timeout: DEFAULT_TIMEOUT,
            echo: false,
            input: Input::Null,
            rtc_base: None,
            extra_args: Vec::new(),
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The kernel reported success through the debug-exit device.
    Success,
    /// The kernel reported failure (a panic, an exception, a failed check).
    KernelFailure,
    /// QEMU ended some other way (its own error, a triple fault with
    /// `-no-reboot`, a signal); the status is QEMU's.
    QemuExited(Option<i32>),
    /// The timeout ran out and QEMU was stopped.
    TimedOut,
}

impl Verdict {
    /// Whether the kernel reported success.
    pub fn is_success(self) -> bool {
        self == Verdict::Success
    }

    fn from_status(status: ExitStatus) -> Verdict {
        match status.code() {
            Some(QEMU_SUCCESS) => Verdict::Success,
            Some(QEMU_FAILURE) => Verdict::KernelFailure,
            other => Verdict::QemuExited(other),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Success => f.write_str("kernel reported success"),
            Verdict::KernelFailure => f.write_str("kernel reported failure"),
            Verdict::QemuExited(Some(code)) => {
                write!(
                    f,
                    "QEMU exited with status {code} without a verdict from the kernel"
                )
            }
            Verdict::QemuExited(None) => f.write_str("QEMU was ended by a signal"),
            Verdict::TimedOut => f.write_str("timed out: QEMU was stopped"),
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// How it ended.
    pub verdict: Verdict,
    /// Everything the kernel printed on the serial port, with `\r\n` turned
    /// into `\n` and invalid UTF-8 replaced.
    pub serial: String,
    /// How long QEMU ran.
    pub elapsed: Duration,
}

/// Why a run could not start.
#[derive(Debug)]
pub enum RunError {
    /// No kernel binary of that name was built.
    UnknownKernel(String),
    /// The UEFI firmware (OVMF) was not found.
    NoOvmf,
    /// QEMU could not be started.
    Spawn(std::io::Error),
    /// Waiting for or talking to QEMU failed.
    Io(std::io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::UnknownKernel(name) => {
                let known: Vec<&str> = IMAGES.iter().map(|images| images.name).collect();
                write!(f, "no kernel called '{name}' (built: {})", known.join(", "))
            }
            RunError::NoOvmf => f.write_str(
                "UEFI firmware not found: install OVMF (Debian: apt-get install ovmf) \
                 or set OVMF_CODE to its OVMF_CODE.fd",
            ),
            RunError::Spawn(e) => write!(
                f,
                "could not start qemu-system-x86_64 ({e}): install QEMU \
                 (Debian: apt-get install qemu-system-x86), or run `make setup`"
            ),
            RunError::Io(e) => write!(f, "talking to QEMU failed: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Where the UEFI firmware is: `$OVMF_CODE`, else the usual Debian and
/// Fedora locations.
pub fn ovmf_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OVMF_CODE") {
        return Some(PathBuf::from(path));
    }
    [
        "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/ovmf/OVMF.fd",
        "/usr/share/edk2/ovmf/OVMF_CODE.fd",
        "/usr/share/qemu/OVMF.fd",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.exists())
}

/// The QEMU command for `options`.
pub fn qemu_command(options: &RunOptions) -> Result<Command, RunError> {
    let images =
        images(&options.kernel).ok_or_else(|| RunError::UnknownKernel(options.kernel.clone()))?;
    let mut command = Command::new("qemu-system-x86_64");
    let image = match options.firmware {
        Firmware::Bios => images.bios,
        Firmware::Uefi => images.uefi,
    };
    command
        .arg("-drive")
        .arg(format!("format=raw,file={image}"));
    if options.firmware == Firmware::Uefi {
        let ovmf = ovmf_path().ok_or(RunError::NoOvmf)?;
        command.arg("-bios").arg(ovmf);
    }
    command.args([
        "-serial",
        "stdio",
        "-display",
        "none",
        "-no-reboot",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-m",
        "128M",
    ]);
    if let Some(base) = &options.rtc_base {
        // clock=vm: the emulated RTC advances with the virtual clock, so a
        // test's dates do not depend on how fast the host is.
        command.arg("-rtc").arg(format!("base={base},clock=vm"));
    }
    if options.kvm {
        command.args(["-accel", "kvm", "-cpu", "host"]);
    }
    if options.gdb {
        command.args(["-s", "-S"]);
    }
    command.args(&options.extra_args);
    Ok(command)
}

/// The command as one shell-like line, for people to read and re-run.
pub fn command_line(command: &Command) -> String {
    let mut parts = vec![command.get_program().to_string_lossy().into_owned()];
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$\\".contains(c)) {
            parts.push(format!("'{}'", arg.replace('\'', r"'\''")));
        } else {
            parts.push(arg.into_owned());
        }
    }
    parts.join(" ")
}

/// Boots a kernel under QEMU and waits for its verdict or the timeout.
pub fn run(options: &RunOptions) -> Result<RunOutcome, RunError> {
    let mut command = qemu_command(options)?;
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    command.stdin(match options.input {
        Input::Inherit => Stdio::inherit(),
        Input::Null => Stdio::null(),
        Input::Bytes(_) => Stdio::piped(),
    });
    let started = Instant::now();
    let mut child = command.spawn().map_err(RunError::Spawn)?;

    if let (Input::Bytes(bytes), Some(mut stdin)) = (&options.input, child.stdin.take()) {
        let bytes = bytes.clone();
        // A writer thread, so a kernel that never reads cannot block us.
        thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }

    let captured = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let mut stdout = child.stdout.take().expect("stdout was piped");
        let captured = Arc::clone(&captured);
        let echo = options.echo;
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            loop {
                match stdout.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if echo {
                            let mut out = std::io::stdout().lock();
                            let _ = out.write_all(&buffer[..n]);
                            let _ = out.flush();
                        }
                        captured
                            .lock()
                            .expect("reader is the only writer")
                            .extend_from_slice(&buffer[..n]);
                    }
                }
            }
        })
    };

    let limit = if options.gdb {
        None
    } else {
        Some(options.timeout)
    };
    let verdict = loop {
        if let Some(status) = child.try_wait().map_err(RunError::Io)? {
            break Verdict::from_status(status);
        }
        if limit.is_some_and(|limit| started.elapsed() >= limit) {
            stop(&mut child);
            break Verdict::TimedOut;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let _ = reader.join();
    let bytes = captured.lock().expect("reader has finished").clone();
    let serial = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
    Ok(RunOutcome {
        verdict,
        serial,
        elapsed,
    })
}

/// Asks QEMU to quit (SIGTERM restores the terminal it put in raw mode),
/// then kills it if it has not gone after a grace period.
fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    let asked = Instant::now();
    while asked.elapsed() < TERMINATE_GRACE {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The directory holding the images, for messages.
pub fn image_dir() -> Option<&'static Path> {
    IMAGES
        .first()
        .and_then(|images| Path::new(images.bios).parent())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_command_has_exit_device_serial_and_no_reboot() {
        let options = RunOptions::new("kernel");
        let line = command_line(&qemu_command(&options).expect("kernel image exists"));
        assert!(line.contains("-serial stdio"), "{line}");
        assert!(
            line.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"),
            "{line}"
        );
        assert!(line.contains("-no-reboot"), "{line}");
        assert!(!line.contains("-S"), "{line}");
    }

    #[test]
    fn test_command_unknown_kernel_is_an_error() {
        let error = qemu_command(&RunOptions::new("no-such-kernel")).unwrap_err();
        assert!(matches!(error, RunError::UnknownKernel(_)));
        assert!(error.to_string().contains("test-panic"), "{error}");
    }

    #[test]
    fn test_command_gdb_and_rtc_options() {
        let mut options = RunOptions::new("kernel");
        options.gdb = true;
        options.rtc_base = Some("2026-11-28T22:45:00".into());
        let line = command_line(&qemu_command(&options).expect("kernel image exists"));
        assert!(line.contains("-s -S"), "{line}");
        assert!(
            line.contains("-rtc base=2026-11-28T22:45:00,clock=vm"),
            "{line}"
        );
    }

    #[test]
    fn test_command_line_quotes_spaces() {
        let mut command = Command::new("qemu");
        command.arg("a b").arg("it's");
        assert_eq!(command_line(&command), r"qemu 'a b' 'it'\''s'");
    }

    #[test]
    fn test_verdict_from_exit_codes() {
        use std::os::unix::process::ExitStatusExt;
        let status = |code: i32| ExitStatus::from_raw(code << 8);
        assert_eq!(Verdict::from_status(status(33)), Verdict::Success);
        assert_eq!(Verdict::from_status(status(35)), Verdict::KernelFailure);
        assert_eq!(
            Verdict::from_status(status(0)),
            Verdict::QemuExited(Some(0))
        );
        assert!(!Verdict::QemuExited(Some(1)).is_success());
    }
}
