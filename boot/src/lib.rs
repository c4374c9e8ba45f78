//! Makes disk images of the kernel, runs them under QEMU and turns what
//! happens into a verdict.
//!
//! The build script tells us where every kernel binary is ([`KERNELS`]).
//! [`prepare_image`] wraps one into a BIOS or UEFI disk image with the
//! `bootloader` crate, together with a ramdisk chosen at run time (the
//! boot configuration, or a test's deliberately broken bytes), and keeps
//! the image in a cache ([`IMAGE_CACHE`]) keyed by kernel, firmware and
//! ramdisk, so repeated runs reuse it. [`run`] starts QEMU on the image
//! with the serial port on stdio and the `isa-debug-exit` device, copies
//! what the kernel prints, and stops QEMU at a wall-clock timeout, since
//! QEMU has no limit of its own. The same functions serve the `boot`
//! binary (`cargo run`) and the integration tests in `tests/`.
//!
//! Updates reach the kernel only in signed manifests: [`keys`] reads and
//! makes the Ed25519 key files, [`manifest_file`] turns a TOML list of
//! updates into a signed [`bundle`], and [`RamdiskSource::ConfigWith`]
//! packs bundles' sections into the ramdisk after the configuration. The
//! build script signs the repository's example manifest
//! ([`EXAMPLE_BUNDLE`]), which the runner boots the demo with.

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

pub use boot_config::{BootConfig, Tag};

pub mod bundle;
pub mod config_file;
pub mod files;
pub mod keys;
pub mod manifest_file;
pub mod zoneinfo;

use bundle::OwnedSection;

/// One kernel binary.
#[derive(Clone, Copy, Debug)]
pub struct Kernel {
    /// The binary's name in `kernel/Cargo.toml`.
    pub name: &'static str,
    /// The kernel ELF file (what goes into the images, and a debugger's
    /// symbols).
    pub elf: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/kernels.rs"));

/// Finds the kernel binary called `name`.
pub fn kernel(name: &str) -> Option<&'static Kernel> {
    KERNELS.iter().find(|kernel| kernel.name == name)
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// These bytes, typed at the serial console once the kernel has
    /// printed its boot banner (for tests), then end of input. They are
    /// typed as a person would type them: a line after a console `wait`
    /// waits until the kernel says the wait is over (`wait over at ..` or
    /// `wait interrupted at ..`), since a line typed during a wait may end
    /// it (`shutdown`); a line that begins with `^C` (0x03) is typed at
    /// once, to interrupt the wait.
    Bytes(Vec<u8>),
    /// These bytes, typed all at once after the banner, then end of input:
    /// typeahead, as a paste is (a `shutdown` in it ends a `wait` before
    /// it).
    Typeahead(Vec<u8>),
}

/// What goes into the image's ramdisk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RamdiskSource {
    /// No ramdisk: the kernel falls back to its defaults.
    #[default]
    None,
    /// This configuration, encoded as `boot-config` does. It is encoded as
    /// given, not validated: validate it first (the kernel rejects an
    /// invalid one, which tests use).
    Config(BootConfig),
    /// This configuration, then these sections in order: signed manifests
    /// ([`Tag::MANIFEST`]) and payloads ([`Tag::PAYLOAD`]) as a bundle
    /// holds them ([`bundle::read_bundle`]), or any bytes under any tag
    /// (for tests of tampered manifests). With no sections it is the same
    /// ramdisk as [`RamdiskSource::Config`].
    ConfigWith(BootConfig, Vec<OwnedSection>),
    /// These bytes exactly (for tests of corrupt ramdisks). An empty vector
    /// means no ramdisk: the bootloader cannot load an empty file as one.
    Raw(Vec<u8>),
}

impl RamdiskSource {
    /// `config` with the manifests the runner gives it when asked for none:
    /// the example bundle for the demo's scenarios ([`default_manifests`]).
    pub fn with_default_manifests(config: BootConfig) -> RamdiskSource {
        let sections = default_manifests(&config);
        RamdiskSource::ConfigWith(config, sections)
    }

    /// The ramdisk's bytes; `None` for no ramdisk.
    pub fn bytes(&self) -> Result<Option<Vec<u8>>, RunError> {
        match self {
            RamdiskSource::None => Ok(None),
            RamdiskSource::Raw(bytes) if bytes.is_empty() => Ok(None),
            RamdiskSource::Raw(bytes) => Ok(Some(bytes.clone())),
            RamdiskSource::Config(config) => encode_config(config).map(Some),
            RamdiskSource::ConfigWith(config, sections) if sections.is_empty() => {
                encode_config(config).map(Some)
            }
            RamdiskSource::ConfigWith(config, sections) => {
                let config_only = encode_config(config)?;
                // The config section exactly as `boot-config` encodes it,
                // so the kernel decodes it the same way.
                let config_section = boot_config::Ramdisk::parse(&config_only)
                    .ok()
                    .and_then(|ramdisk| ramdisk.section(Tag::CONFIG))
                    .ok_or(RunError::Encode(boot_config::EncodeError::Config))?;
                let mut all = Vec::with_capacity(1 + sections.len());
                all.push((Tag::CONFIG, config_section.to_vec()));
                all.extend(sections.iter().cloned());
                bundle::write_container(&all)
                    .map(Some)
                    .map_err(RunError::Encode)
            }
        }
    }
}

/// A ramdisk holding only `config`.
fn encode_config(config: &BootConfig) -> Result<Vec<u8>, RunError> {
    let mut buffer = [0u8; boot_config::ramdisk::MAX_CONFIG_RAMDISK_LEN];
    let len = boot_config::encode(config, &mut buffer).map_err(RunError::Encode)?;
    Ok(buffer[..len].to_vec())
}

/// The repository's example manifest (`boot/manifests/example.toml`, the
/// demo's week of updates), signed by the build script when `boot` was
/// built, valid for 90 days from then: a bundle as `boot sign` writes it.
pub const EXAMPLE_BUNDLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/example-bundle.upk"));

/// The secret key file the build script signed [`EXAMPLE_BUNDLE`] with:
/// `$UPKEEP_SIGNING_KEY` at build time, else [`keys::DEV_SECRET_KEY_FILE`].
pub const EXAMPLE_SIGNING_KEY_FILE: &str = env!("UPKEEP_EXAMPLE_SIGNING_KEY");

/// The sections of [`EXAMPLE_BUNDLE`]: its manifest, then one payload per
/// update.
///
/// # Panics
/// Never for a bundle the build script wrote (a unit test reads it).
pub fn example_sections() -> Vec<OwnedSection> {
    bundle::read_bundle(EXAMPLE_BUNDLE).expect("the build script writes a valid bundle")
}

/// Whether the runner gives `config` the example manifest by default: for
/// the demo's scenarios, `week` and `load`, which play its updates; not
/// for `none` (the console), which starts with nothing queued.
pub fn scenario_wants_example(config: &BootConfig) -> bool {
    matches!(config.scenario.as_str(), "week" | "load")
}

/// The sections the runner adds to `config`'s ramdisk when given no
/// `--manifest`: [`example_sections`] if [`scenario_wants_example`], else
/// none.
pub fn default_manifests(config: &BootConfig) -> Vec<OwnedSection> {
    if scenario_wants_example(config) {
        example_sections()
    } else {
        Vec::new()
    }
}

/// How to run one kernel.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The kernel binary to boot (see [`KERNELS`]).
    pub kernel: String,
    /// BIOS or UEFI.
    pub firmware: Firmware,
    /// What the ramdisk holds.
    pub ramdisk: RamdiskSource,
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
    /// Options to boot `kernel` with BIOS, no ramdisk, no input, no echo
    /// and the default timeout.
    pub fn new(kernel: &str) -> RunOptions {
        RunOptions {
            kernel: kernel.to_string(),
            firmware: Firmware::Bios,
            ramdisk: RamdiskSource::None,
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
    /// The configuration (and the sections after it) could not be
    /// encoded into a ramdisk.
    Encode(boot_config::EncodeError),
    /// The disk image could not be made.
    Image {
        /// The image (or ramdisk) file being written.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// QEMU could not be started.
    Spawn(std::io::Error),
    /// Waiting for or talking to QEMU failed.
    Io(std::io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::UnknownKernel(name) => {
                let known: Vec<&str> = KERNELS.iter().map(|kernel| kernel.name).collect();
                write!(f, "no kernel called '{name}' (built: {})", known.join(", "))
            }
            RunError::Encode(error) => write!(f, "could not encode the ramdisk: {error}"),
            RunError::Image { path, message } => {
                write!(f, "could not make {}: {message}", path.display())
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

/// A disk image ready to boot.
#[derive(Clone, Debug)]
pub struct PreparedImage {
    /// The image file.
    pub path: PathBuf,
    /// How long making it took; `None` when it came from the cache.
    pub created_in: Option<Duration>,
}

/// How long an image may go unused before a new image of the same kernel
/// and firmware removes it from the cache.
const CACHE_KEEP: Duration = Duration::from_secs(24 * 3600);

/// Makes the disk image `options` asks for, or finds it in the cache.
///
/// The cache key covers the kernel ELF (path, size and modification time,
/// which cargo changes on every rebuild), the firmware, the ramdisk's bytes
/// and the bootloader's version. Images are written under a temporary name
/// and renamed, so parallel tests never see half an image.
pub fn prepare_image(options: &RunOptions) -> Result<PreparedImage, RunError> {
    let kernel =
        kernel(&options.kernel).ok_or_else(|| RunError::UnknownKernel(options.kernel.clone()))?;
    let ramdisk = options.ramdisk.bytes()?;
    let elf = Path::new(kernel.elf);
    let cache = Path::new(IMAGE_CACHE);
    let io_error = |path: &Path, error: &dyn fmt::Display| RunError::Image {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    std::fs::create_dir_all(cache).map_err(|e| io_error(cache, &e))?;
    let metadata = std::fs::metadata(elf).map_err(|e| io_error(elf, &e))?;

    let mut hasher = DefaultHasher::new();
    BOOTLOADER_VERSION.hash(&mut hasher);
    kernel.elf.hash(&mut hasher);
    metadata.len().hash(&mut hasher);
    metadata.modified().ok().hash(&mut hasher);
    options.firmware.hash(&mut hasher);
    ramdisk.hash(&mut hasher);
    let key = hasher.finish();
    let firmware = match options.firmware {
        Firmware::Bios => "bios",
        Firmware::Uefi => "uefi",
    };
    let prefix = format!("{}-{firmware}-", kernel.name);
    let path = cache.join(format!("{prefix}{key:016x}.img"));
    if path.exists() {
        // Mark it used, so that pruning keeps it.
        if let Ok(file) = std::fs::File::options().append(true).open(&path) {
            let _ = file.set_modified(SystemTime::now());
        }
        return Ok(PreparedImage {
            path,
            created_in: None,
        });
    }

    let started = Instant::now();
    let ramdisk_path = match &ramdisk {
        Some(bytes) => {
            let ramdisk_path = cache.join(format!("{prefix}{key:016x}.ramdisk"));
            let temporary = temporary_name(&ramdisk_path);
            std::fs::write(&temporary, bytes).map_err(|e| io_error(&temporary, &e))?;
            std::fs::rename(&temporary, &ramdisk_path).map_err(|e| io_error(&ramdisk_path, &e))?;
            Some(ramdisk_path)
        }
        None => None,
    };
    let temporary = temporary_name(&path);
    let created = match options.firmware {
        Firmware::Bios => {
            let mut builder = bootloader::BiosBoot::new(elf);
            if let Some(ramdisk_path) = &ramdisk_path {
                builder.set_ramdisk(ramdisk_path);
            }
            builder.create_disk_image(&temporary)
        }
        Firmware::Uefi => {
            let mut builder = bootloader::UefiBoot::new(elf);
            if let Some(ramdisk_path) = &ramdisk_path {
                builder.set_ramdisk(ramdisk_path);
            }
            builder.create_disk_image(&temporary)
        }
    };
    if let Some(ramdisk_path) = &ramdisk_path {
        // It is inside the image now.
        let _ = std::fs::remove_file(ramdisk_path);
    }
    if let Err(error) = created {
        let _ = std::fs::remove_file(&temporary);
        return Err(io_error(&path, &format_args!("{error:#}")));
    }
    std::fs::rename(&temporary, &path).map_err(|e| io_error(&path, &e))?;
    let created_in = started.elapsed();
    prune_cache(cache, &prefix, &path);
    Ok(PreparedImage {
        path,
        created_in: Some(created_in),
    })
}

/// The bootloader version the images are made with, part of the cache
/// key: a new bootloader makes new images.
const BOOTLOADER_VERSION: &str = "bootloader 0.11.17";

/// A name beside `path` unique to this process and call.
fn temporary_name(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    PathBuf::from(name)
}

/// Removes images of the same kernel and firmware (`prefix`) that have
/// not been used for [`CACHE_KEEP`], so the cache does not grow with every
/// kernel rebuild. Best effort: a file another run removed first is fine.
fn prune_cache(cache: &Path, prefix: &str, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path == keep || !name.starts_with(prefix) || !name.ends_with(".img") {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > CACHE_KEEP);
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The first year `--rtc` may name: the kernel keeps wall-clock time as
/// seconds since 1970-01-01T00:00:00Z, so nothing earlier exists for it.
pub const RTC_FIRST_YEAR: i64 = 1970;

/// The last year `--rtc` may name. The kernel's RTC driver reads any year
/// through 9999 (it reads the century register), but QEMU's emulated RTC
/// counts nanoseconds since 1970 in 64 bits and wraps on 2262-04-11, to a
/// date the kernel would distrust: the last whole year before that.
pub const RTC_LAST_YEAR: i64 = 2261;

/// Checks a `--rtc` value before QEMU sees it: QEMU's `-rtc base=` date
/// forms `YYYY-MM-DDTHH:MM:SS` and `YYYY-MM-DD` (midnight), naming a real
/// date and time of day from [`RTC_FIRST_YEAR`] through [`RTC_LAST_YEAR`].
/// QEMU itself rolls an impossible date over (`2026-02-30` boots as March
/// 2nd) and refuses a malformed one with its own message; the error here
/// is one line saying what is wrong.
pub fn check_rtc_base(text: &str) -> Result<(), String> {
    const FORMS: &str = "expected YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD, e.g. 2026-11-28T22:45:00";
    let malformed = || format!("--rtc {text:?}: {FORMS}");
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let [year, month, day] = three_numbers(date, '-', [4, 2, 2]).ok_or_else(malformed)?;
    let [hour, minute, second] = match time {
        Some(time) => three_numbers(time, ':', [2, 2, 2]).ok_or_else(malformed)?,
        None => [0, 0, 0],
    };
    let out_of_range = |error: update_sched::civil::CivilError| format!("--rtc {text:?}: {error}");
    let year = i64::from(year);
    // Two digits always fit; u8::MAX would be refused as out of range.
    let narrow = |value: u16| u8::try_from(value).unwrap_or(u8::MAX);
    let date =
        update_sched::civil::Date::new(year, narrow(month), narrow(day)).map_err(out_of_range)?;
    update_sched::civil::LocalTime::new(
        date,
        narrow(hour),
        narrow(minute),
        narrow(second),
        update_sched::civil::UtcOffset::UTC,
    )
    .map_err(out_of_range)?;
    if !(RTC_FIRST_YEAR..=RTC_LAST_YEAR).contains(&year) {
        return Err(format!(
            "--rtc {text:?}: the emulated clock runs from {RTC_FIRST_YEAR}-01-01T00:00:00 \
             through {RTC_LAST_YEAR}-12-31T23:59:59"
        ));
    }
    Ok(())
}

/// Three numbers of fixed widths (in decimal digits, at most four)
/// joined by `separator`: `2026-11-28`, `22:45:00`.
fn three_numbers(text: &str, separator: char, widths: [usize; 3]) -> Option<[u16; 3]> {
    let mut numbers = [0; 3];
    let mut pieces = text.split(separator);
    for (number, width) in numbers.iter_mut().zip(widths) {
        let piece = pieces.next()?;
        if piece.len() != width || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *number = piece.parse().ok()?;
    }
    pieces.next().is_none().then_some(numbers)
}

/// The QEMU command for `options`, making the disk image first if the
/// cache does not have it.
pub fn qemu_command(options: &RunOptions) -> Result<Command, RunError> {
    let image = prepare_image(options)?;
    qemu_command_for(options, &image.path)
}

/// The QEMU command that boots `image` as `options` say.
pub fn qemu_command_for(options: &RunOptions, image: &Path) -> Result<Command, RunError> {
    let mut command = Command::new("qemu-system-x86_64");
    // snapshot=on: writes go to a temporary overlay and the image is opened
    // read-only, so a cached image stays as it was made and any number of
    // runs (parallel tests, other people's runs) can share it.
    let mut drive = std::ffi::OsString::from("format=raw,snapshot=on,file=");
    drive.push(image);
    command.arg("-drive").arg(drive);
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
        Input::Bytes(_) | Input::Typeahead(_) => Stdio::piped(),
    });
    let started = Instant::now();
    let mut child = command.spawn().map_err(RunError::Spawn)?;

    let captured = Arc::new(Mutex::new(Vec::new()));
    let finished = Arc::new(AtomicBool::new(false));
    if let (Input::Bytes(bytes) | Input::Typeahead(bytes), Some(stdin)) =
        (&options.input, child.stdin.take())
    {
        let bytes = bytes.clone();
        let paced = matches!(options.input, Input::Bytes(_));
        let captured = Arc::clone(&captured);
        let finished = Arc::clone(&finished);
        // A writer thread, so a kernel that never reads cannot block us.
        thread::spawn(move || type_input(stdin, &bytes, paced, &captured, &finished));
    }

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
    finished.store(true, Ordering::Relaxed);
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

/// [`run`] for tests: prints the QEMU command line first and, at the end,
/// everything the kernel printed and the verdict (a test harness shows
/// what a failed test printed).
///
/// # Panics
/// If QEMU cannot be started: a test has nothing to check then.
pub fn run_for_test(options: &RunOptions) -> RunOutcome {
    let command = qemu_command(options).expect("QEMU command");
    println!("$ {}", command_line(&command));
    let outcome = run(options).expect("QEMU runs");
    println!("{}", outcome.serial);
    println!("verdict: {} after {:?}", outcome.verdict, outcome.elapsed);
    outcome
}

/// What the kernel prints once its serial port is set up for good: typed
/// input is held back until then.
const INPUT_READY_MARKER: &[u8] = b"upkeep kernel ";

/// How long typed input waits for [`INPUT_READY_MARKER`] before it is sent
/// anyway (to a kernel that never prints it).
const INPUT_WAIT_LIMIT: Duration = Duration::from_secs(60);

/// `^C`: a typed line that begins with it is typed at once, even during a
/// console `wait`.
const CONTROL_C: u8 = 0x03;

/// Types `bytes` at the console after the banner: all at once
/// ([`Input::Typeahead`]), or `paced`, line by line, each line after a
/// `wait` held until that wait is over ([`Input::Bytes`]).
fn type_input(
    mut stdin: ChildStdin,
    bytes: &[u8],
    paced: bool,
    captured: &Mutex<Vec<u8>>,
    finished: &AtomicBool,
) {
    // The firmware, the bootloader and the kernel each reset the UART
    // while setting it up, which throws away whatever its FIFO held: type
    // only after the kernel's banner.
    let waiting = Instant::now();
    let ready = |seen: &[u8]| contains(seen, INPUT_READY_MARKER);
    if !wait_for_output(captured, finished, |seen| {
        ready(seen) || waiting.elapsed() >= INPUT_WAIT_LIMIT
    }) {
        return;
    }
    if !paced {
        let _ = stdin.write_all(bytes);
        return;
    }
    // Waits the kernel has started for lines typed here.
    let mut started = 0;
    for line in bytes.split_inclusive(|&byte| byte == b'\n') {
        if line.first() != Some(&CONTROL_C)
            && !wait_for_output(captured, finished, |seen| {
                console_waits(seen).ended >= started
            })
        {
            return;
        }
        let sent_at = captured
            .lock()
            .expect("reader never panics holding it")
            .len();
        if stdin.write_all(line).and_then(|()| stdin.flush()).is_err() {
            return;
        }
        if first_word(line) == b"wait" {
            // Until the kernel has answered (`waiting ..` or an error),
            // nothing more is typed.
            let before = console_waits(&captured.lock().expect("reader never panics")[..sent_at]);
            let mut began = false;
            if !wait_for_output(captured, finished, |seen| {
                began = console_waits(seen).started > before.started;
                // An error refusing this line comes after its echo (errors
                // of lines typed before it may still be coming out).
                began
                    || echo_end(&seen[sent_at..], typed_text(line))
                        .is_some_and(|end| contains(&seen[sent_at + end..], b"error: "))
            }) {
                return;
            }
            if began {
                started += 1;
            }
        }
    }
}

/// Polls the output until `done` says yes; false if the run ended first.
fn wait_for_output(
    captured: &Mutex<Vec<u8>>,
    finished: &AtomicBool,
    mut done: impl FnMut(&[u8]) -> bool,
) -> bool {
    loop {
        if done(&captured.lock().expect("reader never panics holding it")) {
            return true;
        }
        if finished.load(Ordering::Relaxed) {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The first word of a typed line, leading `^C`s and blanks aside.
fn first_word(line: &[u8]) -> &[u8] {
    let line = typed_text(line);
    let end = line
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(line.len());
    &line[..end]
}

/// A typed line's text as the console echoes it: without leading `^C`s
/// and blanks or the line ending.
fn typed_text(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|&byte| byte != CONTROL_C && !byte.is_ascii_whitespace())
        .unwrap_or(line.len());
    line[start..].trim_ascii_end()
}

/// Where the echo of `text` and the line break after it end in `output`.
fn echo_end(output: &[u8], text: &[u8]) -> Option<usize> {
    (0..output.len()).find_map(|at| {
        let rest = output[at..].strip_prefix(text)?;
        match rest.first() {
            Some(b'\r' | b'\n') => Some(at + text.len() + 1),
            _ => None,
        }
    })
}

/// Console waits seen in complete output lines.
#[derive(Clone, Copy, Debug, Default)]
struct ConsoleWaits {
    /// `waiting <duration> of simulated time`.
    started: usize,
    /// `wait over at ..` or `wait interrupted at ..`.
    ended: usize,
}

fn console_waits(output: &[u8]) -> ConsoleWaits {
    let mut waits = ConsoleWaits::default();
    let complete = output
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(&output[..0], |end| &output[..end]);
    for line in complete.split(|&byte| byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"waiting ") && line.ends_with(b" of simulated time") {
            waits.started += 1;
        } else if line.starts_with(b"wait over at ") || line.starts_with(b"wait interrupted at ") {
            waits.ended += 1;
        }
    }
    waits
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
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
pub fn image_dir() -> &'static Path {
    Path::new(IMAGE_CACHE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_typed_wait_lines_found_by_first_word() {
        assert_eq!(first_word(b"wait 2h\n"), b"wait");
        assert_eq!(first_word(b"  wait\t1d\r\n"), b"wait");
        assert_eq!(first_word(b"\x03wait 1d\n"), b"wait");
        assert_eq!(first_word(b"waiting\n"), b"waiting");
        assert_eq!(first_word(b"\n"), b"");
        assert_eq!(first_word(b"status"), b"status");
        assert_eq!(typed_text(b"\x03 wait 1d \r\n"), b"wait 1d");
    }

    #[test]
    fn test_echo_of_a_typed_line_found_after_earlier_output() {
        let output = b"error: version 1.2 is not x.y.z\r\n> wait 3d\r\nerror: bad duration\r\n";
        let end = echo_end(output, b"wait 3d").expect("echoed");
        assert_eq!(&output[end..end + 7], b"\nerror:");
        assert_eq!(echo_end(b"> wait 3", b"wait 3d"), None);
        assert_eq!(
            echo_end(b"> wait 3d", b"wait 3d"),
            None,
            "no line break yet"
        );
    }

    #[test]
    fn test_console_waits_counted_from_complete_lines_only() {
        let output = b"> wait 2h\r\nwaiting 2h of simulated time\r\n[Sun] START #1\r\n\
                       wait over at Sun 12:00\r\n> wait 1d\r\nwaiting 1d of simulated time\r\n\
                       wait interrupted at Sun 12:01; what was typed\r\nwait over at Sun";
        let waits = console_waits(output);
        assert_eq!((waits.started, waits.ended), (2, 2));
        let waits = console_waits(&output[..41]);
        assert_eq!((waits.started, waits.ended), (1, 0));
        // An `explain` line that mentions waiting is not a wait.
        let waits = console_waits(b"#1 waiting for a window; next in 3h\n");
        assert_eq!((waits.started, waits.ended), (0, 0));
    }

    fn line_for(options: &RunOptions) -> String {
        let command = qemu_command_for(options, Path::new("/images/kernel.img"));
        command_line(&command.expect("command for BIOS"))
    }

    #[test]
    fn test_command_has_exit_device_serial_and_no_reboot() {
        let options = RunOptions::new("kernel");
        let line = line_for(&options);
        assert!(
            line.contains("-drive format=raw,snapshot=on,file=/images/kernel.img"),
            "{line}"
        );
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
        let error = prepare_image(&RunOptions::new("no-such-kernel")).unwrap_err();
        assert!(matches!(error, RunError::UnknownKernel(_)));
        assert!(error.to_string().contains("test-panic"), "{error}");
    }

    #[test]
    fn test_command_gdb_and_rtc_options() {
        let mut options = RunOptions::new("kernel");
        options.gdb = true;
        options.rtc_base = Some("2026-11-28T22:45:00".into());
        let line = line_for(&options);
        assert!(line.contains("-s -S"), "{line}");
        assert!(
            line.contains("-rtc base=2026-11-28T22:45:00,clock=vm"),
            "{line}"
        );
    }

    #[test]
    fn test_rtc_base_impossible_or_malformed_dates_are_refused() {
        for good in [
            "2026-11-28T22:45:00",
            "2026-11-28",
            "2024-02-29T23:59:59",
            "1970-01-01T00:00:00",
            "2100-02-28T00:00:00",
            "2261-12-31T23:59:59",
        ] {
            assert_eq!(check_rtc_base(good), Ok(()), "{good}");
        }
        for (bad, problem) in [
            ("bogus", "expected YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD"),
            ("", "expected YYYY-MM-DDTHH:MM:SS"),
            ("2026-11-28T22:45", "expected YYYY-MM-DDTHH:MM:SS"),
            ("2026-11-28T", "expected YYYY-MM-DDTHH:MM:SS"),
            ("2026-11-28T22:45:00Z", "expected YYYY-MM-DDTHH:MM:SS"),
            ("2026-1-28", "expected YYYY-MM-DDTHH:MM:SS"),
            ("+026-11-28", "expected YYYY-MM-DDTHH:MM:SS"),
            ("2026-11-28 22:45:00", "expected YYYY-MM-DDTHH:MM:SS"),
            ("now", "expected YYYY-MM-DDTHH:MM:SS"),
            ("2026-02-30T00:00:00", "day out of range for its month"),
            ("2025-02-29", "day out of range for its month"),
            ("2026-04-31", "day out of range for its month"),
            ("2026-13-01", "month out of range"),
            ("2026-00-01", "month out of range"),
            ("2026-11-00", "day out of range"),
            ("2026-11-28T25:00:00", "hour out of range"),
            ("2026-11-28T24:00:00", "hour out of range"),
            ("2026-11-28T22:60:00", "minute out of range"),
            ("2026-11-28T22:45:60", "second out of range"),
            (
                "1969-12-31T23:59:59",
                "runs from 1970-01-01T00:00:00 through 2261-12-31",
            ),
            (
                "2262-01-01T00:00:00",
                "runs from 1970-01-01T00:00:00 through 2261-12-31",
            ),
            ("9999-12-31", "through 2261-12-31"),
            ("0000-01-01", "runs from 1970"),
        ] {
            let error = check_rtc_base(bad).unwrap_err();
            assert!(error.starts_with(&format!("--rtc {bad:?}: ")), "{error}");
            assert!(error.contains(problem), "{bad}: {error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn test_command_line_quotes_spaces() {
        let mut command = Command::new("qemu");
        command.arg("a b").arg("it's");
        assert_eq!(command_line(&command), r"qemu 'a b' 'it'\''s'");
    }

    #[test]
    fn test_ramdisk_sources() {
        assert_eq!(RamdiskSource::None.bytes().unwrap(), None);
        assert_eq!(RamdiskSource::Raw(Vec::new()).bytes().unwrap(), None);
        assert_eq!(
            RamdiskSource::Raw(vec![1, 2, 3]).bytes().unwrap(),
            Some(vec![1, 2, 3])
        );
        let config = BootConfig::console();
        let bytes = RamdiskSource::Config(config.clone())
            .bytes()
            .unwrap()
            .expect("a config makes a ramdisk");
        assert_eq!(boot_config::decode_config(&bytes), Ok(config));
    }

    #[test]
    fn test_ramdisk_config_with_sections_keeps_them_in_order() {
        let config = BootConfig::default();
        let plain = RamdiskSource::Config(config.clone()).bytes().unwrap();
        let empty = RamdiskSource::ConfigWith(config.clone(), Vec::new());
        assert_eq!(empty.bytes().unwrap(), plain);
        let sections = vec![
            (Tag::MANIFEST, b"first delivery".to_vec()),
            (Tag::PAYLOAD, b"\x01\x00\x00\x00payload".to_vec()),
            (Tag::MANIFEST, b"second delivery".to_vec()),
        ];
        let bytes = RamdiskSource::ConfigWith(config.clone(), sections.clone())
            .bytes()
            .unwrap()
            .expect("a config makes a ramdisk");
        assert_eq!(boot_config::decode_config(&bytes), Ok(config));
        let ramdisk = boot_config::Ramdisk::parse(&bytes).unwrap();
        let found: Vec<OwnedSection> = ramdisk
            .sections()
            .map(|section| (section.tag, section.bytes.to_vec()))
            .collect();
        assert_eq!(found[0].0, Tag::CONFIG);
        assert_eq!(&found[1..], &sections[..]);
    }

    #[test]
    fn test_example_bundle_verifies_with_dev_key_and_lists_the_week() {
        use update_manifest::{verify, Policy};
        use update_sched::{Priority, UpdateId};

        let sections = example_sections();
        assert_eq!(sections.len(), 1 + 21);
        assert_eq!(sections[0].0, Tag::MANIFEST);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let policy = Policy {
            last_version: None,
            now_unix: now,
        };
        let manifest = verify(&sections[0].1, &keys::dev_public_key(), &policy).unwrap();
        assert_eq!(manifest.version(), 1);
        assert_eq!(manifest.len(), 21);
        let lifetime = manifest.expires_at() - manifest.header().issued_at;
        assert_eq!(lifetime, 90 * 86_400);
        let entries: Vec<update_manifest::Entry> = manifest.entries().collect();
        let ids: Vec<u32> = entries.iter().map(|entry| entry.id.0).collect();
        assert_eq!(ids, (1..=21).collect::<Vec<u32>>());
        for (entry, (tag, payload)) in entries.iter().zip(&sections[1..]) {
            assert_eq!(*tag, Tag::PAYLOAD);
            assert_eq!(payload[..4], entry.id.0.to_le_bytes());
            entry.check_payload(&payload[4..]).unwrap();
            let id = entry.id.0 as u16;
            assert_eq!(entry.version.to_string(), format!("1.{}.{id}", id % 7));
            assert_eq!(entry.available_after_minutes % 60, 7, "{}", entry.id);
        }
        let openssh = &entries[20];
        assert_eq!(openssh.id, UpdateId(21));
        assert_eq!(openssh.name.as_str(), "openssh");
        assert_eq!(openssh.priority, Priority::Security);
        assert_eq!(openssh.available_after_minutes, (5 * 24 + 23) * 60 + 7);
        assert_eq!(entries[4].name.as_str(), "microcode");
        assert_eq!(entries[4].priority, Priority::Critical);
        assert!(entries[4].needs_reboot);
        assert_eq!(entries[4].available_after_minutes, (24 + 2) * 60 + 7);
    }

    #[test]
    fn test_default_manifests_follow_the_scenario() {
        let mut config = BootConfig::default();
        assert_eq!(default_manifests(&config), example_sections());
        config.scenario = "load".try_into().unwrap();
        assert_eq!(default_manifests(&config), example_sections());
        assert!(default_manifests(&BootConfig::console()).is_empty());
        assert_eq!(
            RamdiskSource::with_default_manifests(BootConfig::console()),
            RamdiskSource::ConfigWith(BootConfig::console(), Vec::new())
        );
    }

    #[test]
    fn test_image_is_cached_by_kernel_firmware_and_ramdisk() {
        let mut options = RunOptions::new("test-config");
        options.ramdisk = RamdiskSource::Raw(b"unit test of the image cache".to_vec());
        let first = prepare_image(&options).expect("image made");
        let again = prepare_image(&options).expect("image found");
        assert_eq!(first.path, again.path);
        assert_eq!(again.created_in, None);
        assert!(again.path.starts_with(image_dir()));
        options.ramdisk = RamdiskSource::Raw(b"another ramdisk".to_vec());
        let other = prepare_image(&options).expect("image made");
        assert_ne!(other.path, first.path);
        options.firmware = Firmware::Uefi;
        let uefi = prepare_image(&options).expect("image made");
        assert_ne!(uefi.path, other.path);
        options.firmware = Firmware::Bios;
        let mut tampered = example_sections();
        options.ramdisk = RamdiskSource::ConfigWith(BootConfig::default(), tampered.clone());
        let example = prepare_image(&options).expect("image made");
        let last = tampered[0].1.len() - 1;
        tampered[0].1[last] ^= 1;
        options.ramdisk = RamdiskSource::ConfigWith(BootConfig::default(), tampered);
        let changed = prepare_image(&options).expect("image made");
        assert_ne!(changed.path, example.path);
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
