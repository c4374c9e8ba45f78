//! `cargo run`: boots the kernel under QEMU and exits 0 exactly when the
//! kernel reported success; `cargo run -- keygen` and `cargo run -- sign`
//! make update-signing keys and signed manifest bundles.
//!
//! The kernel's boot configuration comes from a TOML file (`--config`,
//! else the repository's `config/demo.toml`), or from `--console`; it is
//! validated here, then travels to the kernel in the image's ramdisk,
//! followed by the signed manifests and payloads of the `--manifest`
//! bundles (by default, the demo's example manifest).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use boot::bundle::{read_bundle, OwnedSection, MAX_BUNDLE_LEN};
use boot::config_file::{apply_console, read_config, DEMO_CONFIG};
use boot::files::{
    check_not_an_input, check_replaceable, parent_directory, read_limited, ReadError,
};
use boot::manifest_file::{read_manifest_file, wall_time, Expiry};
use boot::{keys, BootConfig, Firmware, Input, RamdiskSource, RunOptions, Tag, Verdict};

const USAGE: &str = "\
usage: cargo run -- [OPTIONS] [-- QEMU_ARGS...]
       cargo run -- keygen --out DIR
       cargo run -- sign --key KEY --manifest TOML --out FILE [--version N]
                         [--expires TIME|DURATION]

Boots the upkeep kernel under QEMU with its serial port on this terminal.

options:
  --uefi            boot the UEFI image with OVMF (default: BIOS)
  --bios            boot the BIOS image
  --kernel NAME     boot another kernel binary (see --list)
  --timeout SECS    stop QEMU after SECS seconds of wall time (default 300)
  --gdb             wait for a debugger on tcp::1234 (no timeout)
  --kvm             use KVM instead of plain emulation
  --rtc DATETIME    start the emulated clock at DATETIME (UTC), e.g.
                    2026-11-28T22:45:00, or at midnight of a date YYYY-MM-DD;
                    1970-01-01T00:00:00 through 2261-12-31T23:59:59
  --config FILE     boot configuration from a TOML file (default: config/demo.toml)
  --console         wait at the serial console: mode = console, speed = 60,
                    scenario = none (over --config's file if given, else the
                    defaults); no timeout unless --timeout is given
  --manifest FILE   hand the kernel the signed manifests and payloads of a
                    bundle made by `sign`; repeat for successive deliveries,
                    in order (default: the example manifest, signed at build
                    time, when the scenario is week or load; none otherwise)
  --no-manifest     hand the kernel no manifest
  --list            list the kernel binaries
  -h, --help        show this help

commands:
  keygen --out DIR  make an update-signing key pair: DIR/upkeep.key (secret,
                    mode 0600) and DIR/upkeep.pub; never overwrites
  sign              sign the updates listed in a TOML manifest file (see
                    boot/manifests/example.toml) into a bundle FILE with the
                    secret key file KEY; --version and --expires override
                    the file's version and valid_for/expires; payloads must
                    lie inside the TOML file's directory, and FILE, if it
                    exists, must be a regular file and none of the inputs

Each option is given at most once, except --manifest.

exit status: 0 when the kernel reported success, 1 when it reported failure
or QEMU ended without a verdict, 124 on timeout, 2 on bad arguments or a
bad config, manifest, bundle or key file.";

/// Exit status for a run stopped at the timeout, as `timeout(1)` uses.
const EXIT_TIMEOUT: u8 = 124;
/// Exit status for bad command-line arguments.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args.first().map(String::as_str) {
        Some("keygen") => Some(keygen(&args[1..])),
        Some("sign") => Some(sign(&args[1..])),
        _ => None,
    };
    if let Some(result) = command {
        return result.map_or_else(ArgError::report, |()| ExitCode::SUCCESS);
    }
    let (options, manifests) = match parse(&args) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return ExitCode::SUCCESS,
        Err(error) => return error.report(),
    };

    if let RamdiskSource::ConfigWith(config, _) = &options.ramdisk {
        eprintln!("boot: config: {config}");
    }
    for manifest in manifests {
        eprintln!("boot: manifest: {manifest}");
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

/// What is wrong with the command line, or what stopped a command.
enum ArgError {
    /// A bad option: the message, then the usage.
    Usage(String),
    /// A bad input file (config, manifest, bundle, key): the message alone.
    Config(String),
    /// The command could not finish (an output file not written): the
    /// message alone, exit status 1.
    Failed(String),
}

impl ArgError {
    /// Prints the message (and the usage, for a bad option) and gives the
    /// exit status.
    fn report(self) -> ExitCode {
        match self {
            ArgError::Usage(message) => {
                eprintln!("boot: {message}\n\n{USAGE}");
                ExitCode::from(EXIT_USAGE)
            }
            ArgError::Config(message) => {
                eprintln!("boot: {message}");
                ExitCode::from(EXIT_USAGE)
            }
            ArgError::Failed(message) => {
                eprintln!("boot: {message}");
                ExitCode::FAILURE
            }
        }
    }
}

impl From<String> for ArgError {
    fn from(message: String) -> ArgError {
        ArgError::Usage(message)
    }
}

/// Reads the command line: the run, and a description of each manifest
/// it hands the kernel; `Ok(None)` when it only asked for help or the
/// list.
fn parse(args: &[String]) -> Result<Option<(RunOptions, Vec<String>)>, ArgError> {
    let mut options = RunOptions::new("kernel");
    options.echo = true;
    options.input = Input::Inherit;
    let mut config_file: Option<PathBuf> = None;
    let mut console = false;
    let mut timeout_given = false;
    let mut bundles: Vec<PathBuf> = Vec::new();
    let mut no_manifest = false;
    let mut list = false;
    let mut seen = Seen::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg != "--manifest" && arg.starts_with('-') && arg != "--" {
            seen.once(arg)?;
        }
        match arg.as_str() {
            "--uefi" => options.firmware = Firmware::Uefi,
            "--bios" => options.firmware = Firmware::Bios,
            "--gdb" => options.gdb = true,
            "--kvm" => options.kvm = true,
            "--kernel" => options.kernel = value(&mut rest, "--kernel")?.to_string(),
            "--rtc" => {
                let text = value(&mut rest, "--rtc")?;
                boot::check_rtc_base(text).map_err(ArgError::Config)?;
                options.rtc_base = Some(text.to_string());
            }
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
            "--manifest" => bundles.push(PathBuf::from(value(&mut rest, "--manifest")?)),
            "--no-manifest" => no_manifest = true,
            "--list" => list = true,
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
    if seen.has("--uefi") && seen.has("--bios") {
        return Err("--uefi and --bios exclude each other".to_string().into());
    }
    if list {
        for kernel in boot::KERNELS {
            println!("{}\n  elf: {}", kernel.name, kernel.elf);
        }
        println!(
            "images are made on demand in {}",
            boot::image_dir().display()
        );
        return Ok(None);
    }
    if no_manifest && !bundles.is_empty() {
        return Err("--manifest and --no-manifest exclude each other"
            .to_string()
            .into());
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
    let mut manifests = Vec::new();
    let sections = if no_manifest {
        Vec::new()
    } else if bundles.is_empty() {
        let sections = boot::default_manifests(&config);
        describe_manifests(&sections, "example, signed at build time", &mut manifests);
        sections
    } else {
        // All the bundles share one budget, the largest bundle: more would
        // not fit in the guest's memory beside the kernel, and the runner
        // would hold it all (the same 64 MiB file given a thousand times).
        let mut budget = MAX_BUNDLE_LEN;
        let mut sections = Vec::new();
        for path in &bundles {
            let (bundle, len) = read_bundle_file(path, budget).map_err(ArgError::Config)?;
            budget -= len;
            describe_manifests(&bundle, &path.display().to_string(), &mut manifests);
            sections.extend(bundle);
        }
        sections
    };
    options.ramdisk = RamdiskSource::ConfigWith(config, sections);
    Ok(Some((options, manifests)))
}

/// The sections of the bundle file at `path`, and its length, which may
/// be at most `budget` bytes: what is left of [`MAX_BUNDLE_LEN`] after the
/// bundles before it.
fn read_bundle_file(path: &Path, budget: usize) -> Result<(Vec<OwnedSection>, usize), String> {
    let bytes = read_limited(path, budget).map_err(|error| match error {
        ReadError::TooLarge { .. } if budget < MAX_BUNDLE_LEN => format!(
            "cannot read bundle {}: with the bundles before it, larger than {MAX_BUNDLE_LEN} \
             bytes, the most one boot takes",
            path.display()
        ),
        error => format!("cannot read bundle {}: {error}", path.display()),
    })?;
    let sections = read_bundle(&bytes).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok((sections, bytes.len()))
}

/// Adds to `lines` what each manifest among `sections` says, unverified:
/// the kernel checks the signatures.
fn describe_manifests(sections: &[OwnedSection], origin: &str, lines: &mut Vec<String>) {
    for (_, bytes) in sections.iter().filter(|(tag, _)| *tag == Tag::MANIFEST) {
        lines.push(match update_manifest::decode_unverified(bytes) {
            Ok(manifest) => format!(
                "version {}, {} updates, key {}, expires {} ({origin})",
                manifest.version(),
                manifest.len(),
                manifest.header().key_id,
                wall_time(manifest.expires_at())
            ),
            Err(error) => format!("malformed ({error}); the kernel will refuse it ({origin})"),
        });
    }
}

/// `keygen --out DIR`.
fn keygen(args: &[String]) -> Result<(), ArgError> {
    let mut out = None;
    let mut seen = Seen::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        seen.once(arg)?;
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value(&mut rest, "--out")?)),
            other => return Err(format!("keygen: unknown option '{other}'").into()),
        }
    }
    let out = out.ok_or_else(|| "keygen needs --out DIR".to_string())?;
    let pair = keys::generate_key_pair(&out).map_err(|error| match error {
        keys::KeygenError::Exists(_)
        | keys::KeygenError::NotDirectory { .. }
        | keys::KeygenError::UnderNonDirectory { .. } => ArgError::Config(error.to_string()),
        keys::KeygenError::Io { .. } => ArgError::Failed(error.to_string()),
    })?;
    println!(
        "wrote {} (secret: keep it so) and {}",
        pair.secret_path.display(),
        pair.public_path.display()
    );
    println!("key id {}", pair.key_id);
    Ok(())
}

/// `sign --key KEY --manifest TOML --out FILE [--version N] [--expires X]`.
fn sign(args: &[String]) -> Result<(), ArgError> {
    let (mut key, mut manifest, mut out, mut version, mut expiry) = (None, None, None, None, None);
    let mut seen = Seen::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        seen.once(arg)?;
        match arg.as_str() {
            "--key" => key = Some(PathBuf::from(value(&mut rest, "--key")?)),
            "--manifest" => manifest = Some(PathBuf::from(value(&mut rest, "--manifest")?)),
            "--out" => out = Some(PathBuf::from(value(&mut rest, "--out")?)),
            "--version" => {
                let text = value(&mut rest, "--version")?;
                version = Some(text.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                    format!("--version needs a whole number above 0, not '{text}'")
                })?);
            }
            "--expires" => {
                let text = value(&mut rest, "--expires")?;
                expiry = Some(Expiry::parse(text).map_err(|error| format!("--expires {error}"))?);
            }
            other => return Err(format!("sign: unknown option '{other}'").into()),
        }
    }
    let missing = |flag: &str, what: &str| format!("sign needs {flag} {what}");
    let key = key.ok_or_else(|| missing("--key", "KEY"))?;
    let manifest = manifest.ok_or_else(|| missing("--manifest", "TOML"))?;
    let out = out.ok_or_else(|| missing("--out", "FILE"))?;
    check_replaceable(&out, "--out").map_err(ArgError::Config)?;

    let key_path = key;
    let key = keys::read_signing_key(&key_path).map_err(ArgError::Config)?;
    let mut file = read_manifest_file(&manifest).map_err(ArgError::Config)?;
    let inputs = [
        (
            key_path.as_path(),
            format!("the key file {}", key_path.display()),
        ),
        (
            manifest.as_path(),
            format!("the manifest file {}", manifest.display()),
        ),
    ];
    let payloads = file.updates.iter().map(|update| {
        (
            update.payload_path.as_path(),
            format!(
                "the payload of update {} ({})",
                update.entry.id.0,
                update.payload_path.display()
            ),
        )
    });
    check_not_an_input(&out, "--out", inputs.into_iter().chain(payloads))
        .map_err(ArgError::Config)?;
    if let Some(version) = version {
        file.version = version;
    }
    if let Some(expiry) = expiry {
        file.expiry = expiry;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|now| i64::try_from(now.as_secs()).ok())
        .ok_or_else(|| ArgError::Failed("the system clock is not usable".into()))?;
    let bundle = file
        .sign(&key, now)
        .map_err(|error| ArgError::Config(format!("{}: {error}", manifest.display())))?;
    // Written aside and renamed, so a failed write never leaves half a
    // bundle under the name. The rename replaces whatever is at `out`,
    // which is why `check_replaceable` allowed only a regular file there;
    // the temporary file is made new, never written through a link.
    // In the same directory, for the rename; a name of its own, so that
    // an `--out` name near the length limit still has room.
    let temporary = parent_directory(&out).join(format!(".upkeep-sign-{}.tmp", std::process::id()));
    let cannot_write = |error| ArgError::Failed(format!("cannot write {}: {error}", out.display()));
    let mut written = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(cannot_write)?;
    written
        .write_all(&bundle.bytes)
        .and_then(|()| std::fs::rename(&temporary, &out))
        .map_err(|error| {
            let _ = std::fs::remove_file(&temporary);
            cannot_write(error)
        })?;
    println!("signed {}: {}", out.display(), bundle.summary());
    Ok(())
}

/// The value after `flag`; an empty one is refused (an unset shell
/// variable, say), since it names no file and no setting.
fn value<'a>(rest: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a str, String> {
    match rest.next().map(String::as_str) {
        None => Err(format!("{flag} needs a value")),
        Some("") => Err(format!("{flag} needs a value, not an empty string")),
        Some(text) => Ok(text),
    }
}

/// The options given so far, so that one given twice is refused instead
/// of the first being silently overridden (`--out a --out b`).
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    /// Notes `option`, refusing it if it was given before.
    fn once(&mut self, option: &str) -> Result<(), String> {
        if self.has(option) {
            return Err(format!("{option} is given twice; give it once"));
        }
        self.0.push(option.to_string());
        Ok(())
    }

    /// Whether `option` was given.
    fn has(&self, option: &str) -> bool {
        self.0.iter().any(|seen| seen == option)
    }
}
