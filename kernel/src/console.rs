//! The serial console: a line editor on COM1 and the commands a person
//! types.
//!
//! Input is polled from the main loop. The editor echoes what it accepts,
//! handles backspace (both `^H` and DEL), `^U` (erase the line) and `^C`
//! (abandon the line), and swallows terminal escape sequences such as the
//! arrow keys. A line that is too long, or that holds bytes that are not
//! text, is refused as a whole with a one-line error: nothing a person
//! types can crash the kernel or lose an update, because every command
//! goes through the same checked kernel API as any other subsystem.
//!
//! While a `wait` runs, what is typed is kept (up to [`TYPEAHEAD`] bytes)
//! and run, in order, when the wait ends: a script's `wait 2h` followed by
//! `status` and `shutdown` shows the state two hours on. `^C` ends the
//! wait at once, dropping what was typed during it before the `^C`; a
//! person who wants to stop types `^C` and then `shutdown`.
//!
//! The console owns the screen. The layers below it never print: they
//! write to a sink they are handed, and the main loop hands them
//! [`print_above`]'s, which puts their lines above the prompt and the
//! line being typed. The prompt is on screen always at the interactive
//! console, and in the demo only while a line is being typed
//! ([`Prompt`]): there the event lines run on without a bare prompt
//! after each of them.
//!
//! Nothing is printed while the scheduler's lock is held: what a command
//! shows is read first ([`update::inspect`]), then printed.

use core::fmt;

use heapless::{Deque, String, Vec};
use spin::Mutex;
use update_sched::civil::WallTime;
use update_sched::config::{Config, Profile};
use update_sched::gate::PowerSource;
use update_sched::scheduler::{CommandError, SubmitError, UpdateState};
use update_sched::time::DurationError;
use update_sched::update::{
    parse_dependencies, parse_estimate, DependencyError, EstimateError, UpdateFlags, UpdateRecord,
    Version,
};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

use crate::drivers::serial;
use crate::out::Out;
use crate::update::{self, ApiError, Authority, Holder, CAPACITY};
use crate::worker::Worker;
use crate::{arch, audit, clock, inventory, manifest, serial_print, serial_println};

/// The longest line the console accepts.
pub const MAX_LINE: usize = 120;

/// Bytes typed during a `wait` that are kept to run after it. More are
/// dropped, and said so when the wait ends; `^C` is seen all the same.
pub const TYPEAHEAD: usize = 2048;

/// `^C`: abandons the line being typed, or ends a `wait`.
const CONTROL_C: u8 = 0x03;

/// What the main loop should do after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Go on.
    Continue,
    /// Print the summary and end the run with success.
    Shutdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    /// Ordinary input.
    None,
    /// After ESC.
    Started,
    /// Inside `ESC [ ...`, until a final byte.
    Sequence,
}

/// When the prompt is on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Whenever a line can be typed: the interactive console.
    Always,
    /// Only once a line is being typed: the demo, whose event lines would
    /// otherwise each be followed by a bare prompt.
    WhileTyping,
}

/// The line editor and the command interpreter.
#[derive(Debug)]
pub struct Console {
    too_long: bool,
    bad_byte: Option<u8>,
    escape: Escape,
    last_was_cr: bool,
    waiting_until: Option<Instant>,
    /// What was typed during a `wait`, to run after it.
    typeahead: Deque<u8, TYPEAHEAD>,
    /// Bytes typed during a `wait` beyond [`TYPEAHEAD`], dropped.
    typeahead_dropped: usize,
    /// Watches every byte typed during a `wait`, kept or dropped, for a
    /// `shutdown` line.
    shutdown_watch: ShutdownWatch,
    /// A complete line held for the next poll: it ended after a tick
    /// passed.
    held: Option<String<MAX_LINE>>,
    /// The console's right to approve and to queue unsigned updates.
    authority: Option<Authority>,
}

/// The line editor's screen state. Kept outside [`Console`] so that
/// [`print_above`] can put other output above the line being typed.
#[derive(Debug)]
struct Editor {
    /// The line being typed (`None` while a command runs or a `wait` is in
    /// progress).
    line: Option<String<MAX_LINE>>,
    /// Whether the prompt and `line` are on screen.
    shown: bool,
    /// When the prompt is shown.
    prompt: Prompt,
}

/// The editor. Lock order (kernel/README.md, "Locks"): held alone, and
/// released before anything is printed.
static EDITOR: Mutex<Editor> = Mutex::new(Editor {
    line: None,
    shown: false,
    prompt: Prompt::Always,
});

/// Runs `print` with a sink that puts its lines (whole lines) above the
/// prompt: if the prompt (and perhaps a half-typed line) is on screen,
/// the first line starts on a fresh line, and the prompt and the typed
/// text are shown again after the last one. Nothing written, nothing
/// shown again.
pub fn print_above<R>(print: impl FnOnce(Out<'_>) -> R) -> R {
    let mut above = Above { started: false };
    let result = print(&mut above);
    if above.started {
        let redraw = {
            let mut editor = EDITOR.lock();
            let redraw = editor
                .line
                .clone()
                .filter(|line| editor.prompt == Prompt::Always || !line.is_empty());
            editor.shown = redraw.is_some();
            redraw
        };
        if let Some(line) = redraw {
            serial_print!("> {line}");
        }
    }
    result
}

/// The sink of [`print_above`].
struct Above {
    /// Whether anything was written.
    started: bool,
}

impl fmt::Write for Above {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if !self.started && !text.is_empty() {
            self.started = true;
            let shown = core::mem::replace(&mut EDITOR.lock().shown, false);
            if shown {
                serial::write_str("\n");
            }
        }
        serial::write_str(text);
        Ok(())
    }
}

fn with_line<R>(f: impl FnOnce(&mut String<MAX_LINE>) -> R) -> R {
    let mut guard = EDITOR.lock();
    f(guard.line.get_or_insert_with(String::new))
}

/// Puts the prompt and the line typed so far on screen, if they are not.
fn show_typing() {
    let line = {
        let mut editor = EDITOR.lock();
        if editor.shown {
            return;
        }
        editor.shown = true;
        editor.line.clone().unwrap_or_default()
    };
    serial_print!("> {line}");
}

/// Ends the prompt's line, if the prompt is on screen, so that what is
/// printed next starts a line of its own; the prompt stays off screen.
pub fn leave_prompt() {
    let shown = core::mem::replace(&mut EDITOR.lock().shown, false);
    if shown {
        serial_println!();
    }
}

/// Takes the line typed: the cursor moves to a fresh line, the prompt is
/// gone until [`Console::show_prompt`].
fn take_line() -> String<MAX_LINE> {
    let mut editor = EDITOR.lock();
    editor.shown = false;
    editor.line.take().unwrap_or_default()
}

impl Default for Console {
    fn default() -> Console {
        Console::new(Prompt::Always)
    }
}

impl Console {
    /// A console with an empty line, showing its prompt as `prompt` says;
    /// call [`Console::show_prompt`] to begin. It takes the console's
    /// [`Authority`]; a second console gets none and cannot approve.
    pub fn new(prompt: Prompt) -> Console {
        EDITOR.lock().prompt = prompt;
        Console {
            too_long: false,
            bad_byte: None,
            escape: Escape::None,
            last_was_cr: false,
            waiting_until: None,
            typeahead: Deque::new(),
            typeahead_dropped: 0,
            shutdown_watch: ShutdownWatch::new(),
            held: None,
            authority: update::authority(Holder::Console).ok(),
        }
    }

    fn authority(&self) -> Result<&Authority, Message> {
        self.authority
            .as_ref()
            .ok_or(Message::Api(ApiError::AuthorityTaken(Holder::Console)))
    }

    /// Starts a new line: prints the prompt, or with
    /// [`Prompt::WhileTyping`] leaves it for the first key typed.
    pub fn show_prompt(&self) {
        let show = {
            let mut editor = EDITOR.lock();
            editor.line = Some(String::new());
            editor.shown = editor.prompt == Prompt::Always;
            editor.shown
        };
        if show {
            serial_print!("> ");
        }
    }

    /// Reads whatever input has arrived and runs complete lines. While a
    /// `wait` command is in progress, input is kept and run after it; `^C`
    /// ends the wait early.
    pub fn poll(&mut self, worker: &mut Worker) -> Action {
        if let Some(until) = self.waiting_until {
            match self.read_ahead() {
                WaitInput::ControlC => {
                    serial_println!("^C");
                    serial_println!(
                        "wait interrupted at {}; what was typed during it is dropped",
                        local(clock::wall())
                    );
                }
                WaitInput::Shutdown => {
                    self.waiting_until = None;
                    self.typeahead.clear();
                    self.typeahead_dropped = 0;
                    serial_println!(
                        "wait interrupted at {} by shutdown; what was typed before it is dropped",
                        local(clock::wall())
                    );
                    return Action::Shutdown;
                }
                WaitInput::Nothing if clock::now() < until => return Action::Continue,
                WaitInput::Nothing => {
                    serial_println!("wait over at {}", local(clock::wall()));
                }
            }
            self.waiting_until = None;
            let dropped = core::mem::take(&mut self.typeahead_dropped);
            if dropped > 0 {
                serial_println!(
                    "error: {dropped} bytes typed during the wait did not fit the {TYPEAHEAD} kept; ignored"
                );
            }
            self.show_prompt();
        }
        // Every command of one poll runs in the tick the poll began in:
        // a line completed after a tick passed waits for the next poll,
        // after the worker's step, so the worker acts on each command at
        // that command's time.
        let tick = arch::ticks();
        loop {
            let line = match self.held.take() {
                Some(line) => line,
                None => {
                    let Some(byte) = self.typeahead.pop_front().or_else(serial::try_receive_byte)
                    else {
                        return Action::Continue;
                    };
                    let Some(line) = self.feed(byte) else {
                        continue;
                    };
                    line
                }
            };
            if arch::ticks() != tick {
                self.held = Some(line);
                return Action::Continue;
            }
            let action = self.run(line.as_str(), worker);
            if action == Action::Shutdown {
                return action;
            }
            if self.waiting_until.is_some() {
                return Action::Continue;
            }
            self.show_prompt();
        }
    }

    /// During a `wait`: keeps what has arrived; says whether a `^C` or a
    /// `shutdown` line ends the wait. A `^C` drops what was typed before
    /// it; what follows it stays unread until the wait has ended.
    fn read_ahead(&mut self) -> WaitInput {
        // A `^C` kept before this wait began (typed during an earlier one,
        // ahead of this `wait`) counts too.
        let mut interrupted = self.typeahead.iter().any(|&byte| byte == CONTROL_C);
        while !interrupted {
            let Some(byte) = serial::try_receive_byte() else {
                break;
            };
            interrupted = byte == CONTROL_C;
            self.shutdown_watch.push(byte);
            if self.typeahead.push_back(byte).is_err() {
                self.typeahead_dropped += 1;
            }
        }
        if !interrupted {
            // Kept bytes from before this wait, and everything typed
            // during it, dropped bytes too: a `shutdown` is never lost.
            return if self.shutdown_watch.seen
                || holds_shutdown_line(self.typeahead.iter().copied())
            {
                WaitInput::Shutdown
            } else {
                WaitInput::Nothing
            };
        }
        while let Some(byte) = self.typeahead.pop_front() {
            if byte == CONTROL_C {
                break;
            }
        }
        self.typeahead_dropped = 0;
        self.shutdown_watch = ShutdownWatch::new();
        WaitInput::ControlC
    }

    /// Takes one input byte; returns a complete, acceptable line when one
    /// ends.
    fn feed(&mut self, byte: u8) -> Option<String<MAX_LINE>> {
        let after_cr = core::mem::replace(&mut self.last_was_cr, byte == b'\r');
        match self.escape {
            Escape::Started => {
                self.escape = if byte == b'[' {
                    Escape::Sequence
                } else {
                    Escape::None
                };
                return None;
            }
            Escape::Sequence => {
                if (0x40..=0x7e).contains(&byte) {
                    self.escape = Escape::None;
                }
                return None;
            }
            Escape::None => {}
        }
        match byte {
            b'\n' if after_cr => None,
            b'\r' | b'\n' => {
                show_typing();
                serial_println!();
                let line = take_line();
                let too_long = core::mem::take(&mut self.too_long);
                let bad_byte = self.bad_byte.take();
                if let Some(bad) = bad_byte {
                    serial_println!(
                        "error: the line held a byte that is not text (0x{bad:02x}); ignored"
                    );
                    self.show_prompt();
                    None
                } else if too_long {
                    serial_println!("error: line longer than {MAX_LINE} characters; ignored");
                    self.show_prompt();
                    None
                } else {
                    Some(line)
                }
            }
            0x08 | 0x7f => {
                if with_line(|line| line.pop()).is_some() {
                    serial_print!("\x08 \x08");
                }
                None
            }
            0x15 => {
                for _ in 0..with_line(|line| core::mem::take(line).len()) {
                    serial_print!("\x08 \x08");
                }
                self.too_long = false;
                self.bad_byte = None;
                None
            }
            CONTROL_C => {
                show_typing();
                serial_println!("^C");
                take_line();
                self.too_long = false;
                self.bad_byte = None;
                self.show_prompt();
                None
            }
            0x1b => {
                self.escape = Escape::Started;
                None
            }
            0x20..=0x7e => {
                show_typing();
                if with_line(|line| line.push(byte as char)).is_ok() {
                    serial_print!("{}", byte as char);
                } else {
                    self.too_long = true;
                }
                None
            }
            other => {
                self.bad_byte.get_or_insert(other);
                None
            }
        }
    }

    /// Runs one command line. The clock is held from here until the
    /// worker's next step ([`clock::hold`]): every command run between two
    /// steps, and every kernel call it makes, happens at one instant, the
    /// one the worker then acts at.
    pub fn run(&mut self, line: &str, worker: &mut Worker) -> Action {
        clock::hold();
        let mut words: Vec<&str, 12> = Vec::new();
        for word in line.split_ascii_whitespace() {
            if words.push(word).is_err() {
                serial_println!("error: too many words; see `help`");
                return Action::Continue;
            }
        }
        let Some((&command, args)) = words.split_first() else {
            return Action::Continue;
        };
        match self.dispatch(command, args, worker) {
            Ok(action) => action,
            Err(message) => {
                serial_println!("error: {message}");
                Action::Continue
            }
        }
    }

    fn dispatch(
        &mut self,
        command: &str,
        args: &[&str],
        worker: &mut Worker,
    ) -> Result<Action, Message> {
        match (command, args) {
            ("help", []) => help(),
            ("status", []) => status(worker),
            ("list", []) => list(),
            ("show", [id]) => show(parse_id(id)?, worker)?,
            ("explain", [id]) => {
                let id = parse_id(id)?;
                match update::explain(id) {
                    Ok(explanation) => serial_println!("{explanation}"),
                    Err(error) => {
                        let state = update::state_of(id).map_err(|_| error)?;
                        serial_println!("{id}: {state}; it has finished, nothing holds it back");
                    }
                }
            }
            ("approve", [id]) => {
                let id = parse_id(id)?;
                update::approve(id, self.authority()?)?;
                serial_println!("approved {id}");
            }
            ("reject", [id]) => {
                let id = parse_id(id)?;
                update::reject(id)?;
                serial_println!("rejected {id}: it will not run");
            }
            ("cancel", [id]) => {
                let id = parse_id(id)?;
                update::cancel(id)?;
                serial_println!("cancelled {id}");
            }
            ("defer", [id, delay]) => {
                let id = parse_id(id)?;
                let delay = parse_duration(delay, Message::Api(CommandError::TooLate.into()))?;
                let until = update::defer(id, delay)?;
                // The instant the scheduler holds, as its event says.
                let until = clock::read().wall_at(until);
                serial_println!("deferred {id} until {}", local(until));
            }
            ("submit", [..]) if args.len() >= 5 => submit(args, self.authority()?)?,
            ("audit", []) => audit(usize::MAX),
            ("audit", [count]) => audit(
                count
                    .parse()
                    .map_err(|_| Message::Text("audit takes a number of records"))?,
            ),
            ("inventory", []) => inventory(),
            ("windows", []) => windows(),
            ("pattern", []) => pattern(),
            ("metrics", []) => metrics(worker),
            ("profile", [name]) => {
                let profile: Profile = name
                    .parse()
                    .map_err(|_| Message::Text("profile is one of basic, server, desktop, iot"))?;
                update::set_profile(profile)?;
                serial_println!("profile {profile}: {}", ConfigLine::now()?);
            }
            ("emergency", ["on"]) => {
                update::set_emergency(true)?;
                serial_println!("emergency mode on: only critical and security updates run");
            }
            ("emergency", ["off"]) => {
                update::set_emergency(false)?;
                serial_println!("emergency mode off");
            }
            ("pause", ["until", date]) => {
                let date = update_sched::freeze::parse_date(date)
                    .ok_or(Message::Text("a date looks like 2026-12-24"))?;
                let end = update::pause_until(date)?;
                serial_println!(
                    "paused until {}: only critical and security updates run",
                    local(end)
                );
            }
            ("pause", ["off"]) | ("resume", []) => {
                if update::resume()? {
                    serial_println!("pause ended: updates run again");
                } else {
                    serial_println!("no pause to end");
                }
            }
            ("speed", []) => serial_println!("speed {}x", clock::speed()),
            ("speed", [factor]) => {
                let factor: u32 = factor
                    .parse()
                    .map_err(|_| Message::Text("speed takes a whole number, 1 to 1000000"))?;
                clock::set_speed(factor)
                    .map_err(|_| Message::Text("speed takes a whole number, 1 to 1000000"))?;
                serial_println!("speed {factor}x: one real second is {factor} simulated seconds");
            }
            ("wait", [delay]) => {
                let delay =
                    parse_duration(delay, Message::Text("a wait that long cannot be counted"))?;
                self.waiting_until = Some(clock::now().saturating_add(delay));
                self.shutdown_watch = ShutdownWatch::new();
                serial_println!("waiting {delay} of simulated time");
            }
            ("shutdown", []) => return Ok(Action::Shutdown),
            (
                "help" | "status" | "list" | "show" | "explain" | "approve" | "reject" | "cancel"
                | "defer" | "submit" | "windows" | "pattern" | "metrics" | "profile" | "emergency"
                | "pause" | "resume" | "speed" | "wait" | "shutdown" | "audit" | "inventory",
                _,
            ) => return Err(Message::Usage(usage(command))),
            _ => return Err(Message::Unknown),
        }
        Ok(Action::Continue)
    }
}

/// What was typed during a `wait`, as far as ending it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WaitInput {
    /// Nothing that ends it: the wait goes on, and what was typed runs
    /// after it.
    Nothing,
    /// A `^C`: the wait ends and the console reads on.
    ControlC,
    /// A complete `shutdown` line: the wait ends and the kernel shuts down.
    Shutdown,
}

/// Whether `typed` holds a complete line (ended by CR or LF) that reads
/// `shutdown`, spaces around it aside.
fn holds_shutdown_line(typed: impl Iterator<Item = u8>) -> bool {
    let mut watch = ShutdownWatch::new();
    typed.for_each(|byte| watch.push(byte));
    watch.seen
}

/// Looks for a complete `shutdown` line in typed bytes, one at a time.
#[derive(Debug)]
struct ShutdownWatch {
    /// The line so far, while it is short enough to be one.
    line: Vec<u8, 16>,
    /// The line is too long to read `shutdown`.
    overflow: bool,
    /// A `shutdown` line was seen.
    seen: bool,
}

impl ShutdownWatch {
    const fn new() -> ShutdownWatch {
        ShutdownWatch {
            line: Vec::new(),
            overflow: false,
            seen: false,
        }
    }

    fn push(&mut self, byte: u8) {
        if byte == b'\r' || byte == b'\n' {
            self.seen |= !self.overflow && self.line.trim_ascii() == b"shutdown";
            self.line.clear();
            self.overflow = false;
        } else if self.line.push(byte).is_err() {
            self.overflow = true;
        }
    }
}

/// A command's one-line error.
#[derive(Debug)]
enum Message {
    Text(&'static str),
    Usage(&'static str),
    Unknown,
    Api(ApiError),
    Estimate(EstimateError),
    Needs(DependencyError),
    /// A `submit` option given twice.
    Repeated(&'static str),
}

impl From<ApiError> for Message {
    fn from(error: ApiError) -> Message {
        Message::Api(error)
    }
}

impl core::fmt::Display for Message {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Message::Text(text) => f.write_str(text),
            Message::Usage(usage) => write!(f, "usage: {usage}"),
            Message::Unknown => f.write_str("unknown command; type `help` for the list"),
            Message::Api(error) => error.fmt(f),
            Message::Estimate(error) => write!(f, "estimate: {error}"),
            Message::Needs(error) => write!(f, "needs: {error}"),
            Message::Repeated(option) => write!(f, "option {option} given twice"),
        }
    }
}

/// Every command with its arguments, one line each, for `help` and for
/// usage errors.
const COMMANDS: &[(&str, &str, &str)] = &[
    ("help", "help", "this list"),
    ("status", "status", "counts by state, clock, speed and scheduler cost"),
    ("list", "list", "every update the scheduler holds"),
    ("show", "show <id>", "one update in full"),
    ("explain", "explain <id>", "why an update is not running now"),
    ("approve", "approve <id>", "approve an update that needs approval"),
    ("reject", "reject <id>", "reject an update: it will never run"),
    ("defer", "defer <id> <duration>", "put an update off, e.g. defer 7 2h30m"),
    ("cancel", "cancel <id>", "cancel an update that has not started"),
    (
        "submit",
        "submit <id> <name> <priority> <kind> <estimate> [reboot] [approval] [exclusive] [after=<duration>] [needs=<id>[,<id>]] [version=<x.y.z>]",
        "queue a new update",
    ),
    ("windows", "windows", "the maintenance windows and when they next open"),
    ("pattern", "pattern", "the learned weekly activity as a heat map"),
    ("metrics", "metrics", "the latest metrics, measured and simulated"),
    ("profile", "profile <basic|server|desktop|iot>", "switch configuration profile"),
    ("emergency", "emergency on|off", "only critical and security updates run"),
    (
        "pause",
        "pause until <date>|off",
        "hold all but critical and security updates until a date (at most 35 days)",
    ),
    ("resume", "resume", "end the pause"),
    ("speed", "speed [factor]", "show or set the time acceleration"),
    (
        "wait",
        "wait <duration>",
        "let simulated time pass before reading on (^C or shutdown ends it)",
    ),
    ("audit", "audit [count]", "the audit log (the newest <count> records)"),
    ("inventory", "inventory", "installed and pending version of each component"),
    ("shutdown", "shutdown", "print the summary and power off"),
];

fn usage(command: &str) -> &'static str {
    COMMANDS
        .iter()
        .find(|(name, _, _)| *name == command)
        .map_or("help", |(_, usage, _)| usage)
}

fn help() {
    for (_, usage, what) in COMMANDS {
        serial_println!("  {usage:<36} {what}");
    }
    serial_println!("  priorities: critical security important optional low");
    serial_println!("  kinds: security kernel driver application firmware");
    serial_println!("  durations: 90m, 2h, 1d, 2h30m, 45s");
    serial_println!(
        "  submit (as in signed manifests): estimate in whole minutes, 1m to 1092m (18h12m); version=1.2.3; each option once"
    );
    serial_println!("  ^C ends a wait; what was typed during it is dropped");
}

fn parse_id(text: &str) -> Result<UpdateId, Message> {
    let digits = text.strip_prefix('#').unwrap_or(text);
    digits
        .parse::<u32>()
        .map(UpdateId)
        .map_err(|_| Message::Text("an update id is a whole number, e.g. 7 or #7"))
}

/// A duration; one too large to represent at all is refused with
/// `too_large` (for `defer` and `after=`, the error a long but
/// representable one past the scheduler's latest instant gets).
fn parse_duration(text: &str, too_large: Message) -> Result<Duration, Message> {
    text.parse::<Duration>().map_err(|error| match error {
        DurationError::TooLarge => too_large,
        _ => Message::Text("a duration looks like 90m, 2h, 1d or 2h30m"),
    })
}

fn local(wall: WallTime) -> update_sched::civil::LocalTime {
    wall.to_local(update::offset())
}

/// The configuration in force, printed on one line. A copy, read before
/// printing: formatting it takes no lock.
struct ConfigLine(Config);

impl ConfigLine {
    /// The configuration in force now.
    fn now() -> Result<ConfigLine, ApiError> {
        update::inspect(|service| ConfigLine(service.scheduler.config().clone()))
    }
}

impl fmt::Display for ConfigLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.0;
        write!(
            f,
            "frequency {}, windows {}, up to {} at once",
            config.frequency, config.windows, config.max_concurrent
        )?;
        if !config.freezes.is_empty() {
            write!(f, ", frozen {}", config.freezes)?;
        }
        Ok(())
    }
}

fn status(worker: &Worker) {
    let Ok(status) = update::status() else {
        serial_println!("error: {}", ApiError::NotStarted);
        return;
    };
    let Ok((config, emergency, profile)) = update::inspect(|service| {
        (
            ConfigLine(service.scheduler.config().clone()),
            service.scheduler.emergency(),
            service.profile,
        )
    }) else {
        serial_println!("error: {}", ApiError::NotStarted);
        return;
    };
    let wall = clock::wall();
    let cost = worker.cost();
    serial_println!("{status}");
    serial_println!("{}", manifest::counts());
    serial_println!(
        "clock {} (speed {}x), {} running, scheduler cost {} ppm of cycles over {} steps",
        local(wall),
        clock::speed(),
        worker.executor().running(),
        cost.share_ppm(),
        cost.steps
    );
    match profile {
        Some(profile) => serial_println!("profile {profile}: {config}"),
        None => serial_println!("configuration: {config}"),
    }
    if emergency {
        serial_println!("emergency mode is on");
    }
    if let Ok(Some(until)) = update::paused_until() {
        serial_println!("paused until {}", local(until));
    }
}

fn list() {
    let mut ids: Vec<UpdateId, CAPACITY> = Vec::new();
    let _ = update::inspect(|service| {
        for id in service.scheduler.ids() {
            let _ = ids.push(id);
        }
    });
    if ids.is_empty() {
        serial_println!("no updates queued");
        return;
    }
    ids.sort_unstable();
    for id in ids {
        if let Ok(info) = update::info(id) {
            let record = &info.record;
            serial_println!(
                "{:>6} {:<16} {:<9} {:<11} {}",
                id,
                record.name,
                record.priority,
                record.kind,
                info.state
            );
        }
    }
}

fn show(id: UpdateId, worker: &Worker) -> Result<(), Message> {
    let info = match update::info(id) {
        Ok(info) => info,
        Err(error) => {
            // A finished update's record is gone; its end is remembered.
            let state = update::state_of(id).map_err(|_| error)?;
            serial_println!("{id}: {state}; finished, so the scheduler no longer holds its record");
            return Ok(());
        }
    };
    let record = &info.record;
    let reading = clock::read();
    let mut flags: String<32> = String::new();
    for (flag, name) in [
        (UpdateFlags::NEEDS_REBOOT, " reboot"),
        (UpdateFlags::NEEDS_APPROVAL, " approval"),
        (UpdateFlags::EXCLUSIVE, " exclusive"),
    ] {
        if record.flags.contains(flag) {
            let _ = flags.push_str(name);
        }
    }
    serial_println!(
        "{} {} {}: {} {}, estimate {}, flags{}",
        id,
        record.name,
        record.version,
        record.priority,
        record.kind,
        record.estimated_duration,
        if flags.is_empty() {
            " none"
        } else {
            flags.as_str()
        }
    );
    serial_print!("  state {}, attempts {}", info.state, info.attempts);
    if info.approved {
        serial_print!(", approved");
    }
    if let Some(step) = worker.executor().step_of(id) {
        serial_print!(", step {step}");
    }
    serial_println!();
    serial_println!(
        "  available {}",
        local(reading.wall_at(record.available_at))
    );
    if let Some(deadline) = info.deadline {
        serial_println!("  deadline {}", local(reading.wall_at(deadline)));
    }
    if let Some(wake) = info.wake_at {
        serial_println!("  looked at again {}", local(reading.wall_at(wake)));
    }
    if !record.dependencies.is_empty() {
        serial_print!("  needs");
        for dependency in &record.dependencies {
            serial_print!(" {dependency}");
        }
        serial_println!();
    }
    if info.state != UpdateState::Running {
        if let Ok(explanation) = update::explain(id) {
            serial_println!("  {explanation}");
        }
    }
    Ok(())
}

/// The options of `submit`, each allowed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SubmitOption {
    Reboot,
    Approval,
    Exclusive,
    After,
    Needs,
    Version,
}

impl SubmitOption {
    const ALL: [SubmitOption; 6] = [
        SubmitOption::Reboot,
        SubmitOption::Approval,
        SubmitOption::Exclusive,
        SubmitOption::After,
        SubmitOption::Needs,
        SubmitOption::Version,
    ];

    /// The word before any `=`.
    fn key(self) -> &'static str {
        match self {
            SubmitOption::Reboot => "reboot",
            SubmitOption::Approval => "approval",
            SubmitOption::Exclusive => "exclusive",
            SubmitOption::After => "after",
            SubmitOption::Needs => "needs",
            SubmitOption::Version => "version",
        }
    }

    /// Whether it is written `key=value`.
    fn takes_value(self) -> bool {
        matches!(
            self,
            SubmitOption::After | SubmitOption::Needs | SubmitOption::Version
        )
    }

    /// As an error names it: `reboot`, `after=`.
    fn name(self) -> &'static str {
        match self {
            SubmitOption::After => "after=",
            SubmitOption::Needs => "needs=",
            SubmitOption::Version => "version=",
            flag => flag.key(),
        }
    }
}

fn submit(args: &[&str], authority: &Authority) -> Result<(), Message> {
    let [id, name, priority, kind, estimate, options @ ..] = args else {
        return Err(Message::Usage(usage("submit")));
    };
    let id = parse_id(id)?;
    if name.len() > update_sched::update::NAME_CAPACITY {
        return Err(Message::Text("a name has at most 16 characters"));
    }
    let priority = Priority::from_name(priority).ok_or(Message::Text(
        "priority is one of critical, security, important, optional, low",
    ))?;
    let kind = UpdateKind::from_name(kind).ok_or(Message::Text(
        "kind is one of security, kernel, driver, application, firmware",
    ))?;
    let estimate = parse_estimate(estimate).map_err(Message::Estimate)?;
    let now = clock::now();
    let mut record = UpdateRecord::new(id, name, kind, priority, estimate, now);
    let mut given: Vec<SubmitOption, { SubmitOption::ALL.len() }> = Vec::new();
    for option in options {
        let (key, value) = match option.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (*option, None),
        };
        let option = SubmitOption::ALL
            .into_iter()
            .find(|known| known.key() == key && known.takes_value() == value.is_some())
            .ok_or(Message::Text(
                "options are reboot, approval, exclusive, after=<duration>, needs=<id>,<id>, version=<x.y.z>",
            ))?;
        if given.contains(&option) {
            return Err(Message::Repeated(option.name()));
        }
        // Each option at most once: room for all of them.
        let _ = given.push(option);
        let value = value.unwrap_or("");
        match option {
            SubmitOption::Reboot => record.flags |= UpdateFlags::NEEDS_REBOOT,
            SubmitOption::Approval => record.flags |= UpdateFlags::NEEDS_APPROVAL,
            SubmitOption::Exclusive => record.flags |= UpdateFlags::EXCLUSIVE,
            // Past the scheduler's latest instant the submission is
            // refused, not clamped.
            SubmitOption::After => {
                let too_late = || Message::Api(ApiError::Submit(SubmitError::AvailableTooLate));
                record.available_at = now
                    .checked_add(parse_duration(value, too_late())?)
                    .ok_or_else(too_late)?;
            }
            SubmitOption::Needs => {
                record.dependencies = parse_dependencies(id, value).map_err(Message::Needs)?
            }
            SubmitOption::Version => {
                record.version = Version::parse(value).ok_or(Message::Text(
                    "a version is MAJOR.MINOR.PATCH, e.g. 1.2.3, numbers 0 to 65535 without leading zeros",
                ))?;
            }
        }
    }
    update::submit(&record, authority)?;
    serial_println!("submitted {id} {name}");
    Ok(())
}

/// Prints the newest `last` audit records, oldest first, and whether older
/// ones were dropped.
fn audit(last: usize) {
    let (kept, total, dropped) = audit::counts();
    serial_println!(
        "audit: {kept} records kept of {total} written, {dropped} older dropped (ring of {})",
        audit::CAPACITY
    );
    let offset = update::offset();
    audit::for_each_last(last, |record| {
        serial_println!("[{}] {record}", record.at.to_local(offset));
    });
}

/// Prints each component's installed and pending versions.
fn inventory() {
    inventory::for_each(|component| serial_println!("{component}"));
}

fn windows() {
    let wall = clock::wall();
    let config = match update::inspect(|service| service.scheduler.config().clone()) {
        Ok(config) => config,
        Err(error) => {
            serial_println!("error: {error}");
            return;
        }
    };
    let calendar = &config.windows;
    if calendar.is_empty() {
        serial_println!(
            "no maintenance windows (frequency {}): updates run when the policy allows",
            config.frequency
        );
        return;
    }
    serial_println!("windows {calendar}");
    serial_println!(
        "open {} minutes a week; frequency {}",
        calendar.open_minutes_per_week(),
        config.frequency
    );
    if let Some(close) = calendar.current_close(wall) {
        serial_println!("open now, closes {}", calendar.to_local(close));
    } else if let Some(open) = calendar.next_open(wall) {
        serial_println!("closed now, opens {}", calendar.to_local(open));
    }
}

/// Characters for activity from idle to busiest, in ten steps.
const SHADES: &[u8; 10] = b" .:-=+*#%@";

fn pattern() {
    // The heat map is drawn from the pattern under the scheduler's lock,
    // and printed after.
    let drawn = update::inspect(|service| {
        let pattern = service.scheduler.pattern();
        let mut rows = [[b'?'; 24]; 7];
        for (day, row) in (0..7u8).zip(rows.iter_mut()) {
            for (hour, shade) in (0..24u8).zip(row.iter_mut()) {
                if let Some(score) = pattern.estimate(day * 24 + hour) {
                    *shade = SHADES[usize::from(score.min(999) / 100)];
                }
            }
        }
        (pattern.is_confident(), rows)
    });
    let (confident, rows) = match drawn {
        Ok(drawn) => drawn,
        Err(error) => {
            serial_println!("error: {error}");
            return;
        }
    };
    serial_println!(
        "learned activity by local hour (' ' idle .. '@' busiest, '?' unknown); {}",
        if confident {
            "confident"
        } else {
            "still learning (hours not seen yet borrow from the same hour on other days)"
        }
    );
    serial_println!("     0         1         2   ");
    serial_println!("     012345678901234567890123");
    for (day, row) in rows.iter().enumerate() {
        let row: String<24> = row.iter().map(|&shade| shade as char).collect();
        let name = update_sched::civil::Weekday::ALL[day].short_name();
        serial_println!("{name}  |{row}|");
    }
}

fn metrics(worker: &Worker) {
    let sample = worker.sample();
    let m = sample.metrics;
    serial_println!(
        "measured:  kernel cpu {}‰, kernel memory {}‰",
        sample.kernel_cpu_permille,
        sample.kernel_memory_permille
    );
    serial_println!(
        "simulated ({} workload): sessions {}, disk {} KiB/s, net {} KiB/s, user cpu and memory",
        worker.sampler().workload(),
        m.sessions,
        m.disk_kib_s,
        m.network_kib_s
    );
    // The power source is the workload's: mains but for `laptop`, whose
    // battery the power gates act on.
    match m.power {
        PowerSource::Ac => serial_println!(
            "scheduler sees: cpu {}‰, memory {}‰, sessions {}, power mains",
            m.cpu_permille,
            m.memory_permille,
            m.sessions
        ),
        PowerSource::Battery { level_permille } => serial_println!(
            "scheduler sees: cpu {}‰, memory {}‰, sessions {}, power battery {}‰",
            m.cpu_permille,
            m.memory_permille,
            m.sessions,
            level_permille
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::string::{String, ToString};
    use std::sync::MutexGuard;
    use std::vec::Vec;

    use update_sched::civil::UtcOffset;
    use update_sched::config::{Config, Profile};
    use update_sched::scheduler::{CommandError, SubmitError};
    use update_sched::workload::WorkloadKind;

    use super::{
        Action, Console, Editor, Escape, Prompt, ShutdownWatch, COMMANDS, EDITOR, MAX_LINE,
        TYPEAHEAD,
    };
    use crate::executor::{Executor, FailureInjection};
    use crate::metrics::Sampler;
    use crate::update::{self, ApiError, Authority, Holder};
    use crate::worker::Worker;
    use crate::{clock, host};

    /// The console's authority, between tests: a holder gets one once.
    static AUTHORITY: std::sync::Mutex<Option<Authority>> = std::sync::Mutex::new(None);

    /// A console at a fresh prompt over a freshly started scheduler (the
    /// basic profile), with the console's authority, the clock at boot.
    struct Fixture {
        console: Console,
        worker: Worker,
        _statics: MutexGuard<'static, ()>,
    }

    impl Fixture {
        fn new() -> Fixture {
            let statics = host::statics();
            clock::release();
            EDITOR.lock().prompt = Prompt::Always;
            update::start(Config::preset(Profile::Basic), Some(Profile::Basic), 1)
                .expect("the preset is valid");
            let authority = AUTHORITY
                .lock()
                .expect("not poisoned")
                .take()
                .or_else(|| update::authority(Holder::Console).ok());
            assert!(authority.is_some(), "the console's authority is lost");
            let console = Console {
                too_long: false,
                bad_byte: None,
                escape: Escape::None,
                last_was_cr: false,
                waiting_until: None,
                typeahead: heapless::Deque::new(),
                typeahead_dropped: 0,
                shutdown_watch: ShutdownWatch::new(),
                held: None,
                authority,
            };
            let worker = Worker::new(
                Executor::new(FailureInjection::NONE, 1),
                Sampler::new(WorkloadKind::Office, 1, clock::wall(), UtcOffset::UTC),
            );
            console.show_prompt();
            host::take_output();
            Fixture {
                console,
                worker,
                _statics: statics,
            }
        }

        /// Feeds `bytes` to the line editor; returns the lines it
        /// completed and everything it printed.
        fn feed(&mut self, bytes: &[u8]) -> (Vec<String>, String) {
            let lines = bytes
                .iter()
                .filter_map(|&byte| self.console.feed(byte))
                .map(|line| line.as_str().to_string())
                .collect();
            (lines, host::take_output())
        }

        /// Runs one command line; returns what it printed.
        fn run(&mut self, line: &str) -> String {
            assert_eq!(self.console.run(line, &mut self.worker), Action::Continue);
            host::take_output()
        }

        /// Types `bytes` at the console and polls it once.
        fn poll(&mut self, bytes: &[u8]) -> (Action, String) {
            host::type_bytes(bytes);
            let action = self.console.poll(&mut self.worker);
            (action, host::take_output())
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            *EDITOR.lock() = Editor {
                line: None,
                shown: false,
                prompt: Prompt::Always,
            };
            clock::release();
            while host::receive_byte().is_some() {}
            if let Ok(mut kept) = AUTHORITY.lock() {
                *kept = self.console.authority.take();
            }
        }
    }

    fn error(message: impl core::fmt::Display) -> String {
        format!("error: {message}\n")
    }

    fn usage(command: &str) -> String {
        error(format_args!("usage: {}", super::usage(command)))
    }

    const BACK: &str = "\x08 \x08";

    // The line editor.

    #[test]
    fn test_printable_bytes_echo_and_enter_ends_the_line() {
        let mut fixture = Fixture::new();
        let (lines, echo) = fixture.feed(b"status\r");
        assert_eq!(lines, ["status"]);
        assert_eq!(echo, "status\n");
    }

    #[test]
    fn test_cr_lf_ends_one_line_and_a_lone_lf_ends_one_too() {
        let mut fixture = Fixture::new();
        let (lines, _) = fixture.feed(b"one\r\ntwo\nthree\r\r");
        assert_eq!(lines, ["one", "two", "three", ""]);
    }

    #[test]
    fn test_backspace_and_delete_erase_one_character() {
        let mut fixture = Fixture::new();
        let (lines, echo) = fixture.feed(b"ab\x08c\x7fd\r");
        assert_eq!(lines, ["ad"]);
        assert_eq!(echo, format!("ab{BACK}c{BACK}d\n"));
    }

    #[test]
    fn test_backspace_on_an_empty_line_echoes_nothing() {
        let mut fixture = Fixture::new();
        let (lines, echo) = fixture.feed(b"\x08\x7f\x08x\r");
        assert_eq!(lines, ["x"]);
        assert_eq!(echo, "x\n");
    }

    #[test]
    fn test_control_u_erases_the_whole_line() {
        let mut fixture = Fixture::new();
        let (lines, echo) = fixture.feed(b"abc\x15list\r");
        assert_eq!(lines, ["list"]);
        assert_eq!(echo, format!("abc{BACK}{BACK}{BACK}list\n"));
    }

    #[test]
    fn test_control_c_abandons_the_line_with_a_fresh_prompt() {
        let mut fixture = Fixture::new();
        let (lines, echo) = fixture.feed(b"cancel 7\x03");
        assert!(lines.is_empty());
        assert_eq!(echo, "cancel 7^C\n> ");
        let (lines, _) = fixture.feed(b"help\r");
        assert_eq!(lines, ["help"]);
    }

    #[test]
    fn test_a_line_of_exactly_the_limit_is_accepted() {
        let mut fixture = Fixture::new();
        let mut typed = "a".repeat(MAX_LINE).into_bytes();
        typed.push(b'\r');
        let (lines, echo) = fixture.feed(&typed);
        assert_eq!(lines, ["a".repeat(MAX_LINE)]);
        assert_eq!(echo, format!("{}\n", "a".repeat(MAX_LINE)));
    }

    #[test]
    fn test_an_over_long_line_is_refused_whole_and_echo_stops_at_the_limit() {
        let mut fixture = Fixture::new();
        let mut typed = "b".repeat(MAX_LINE + 30).into_bytes();
        typed.push(b'\r');
        let (lines, echo) = fixture.feed(&typed);
        assert!(lines.is_empty());
        assert_eq!(
            echo,
            format!(
                "{}\nerror: line longer than 120 characters; ignored\n> ",
                "b".repeat(MAX_LINE)
            )
        );
        // The next line starts afresh.
        let (lines, _) = fixture.feed(b"list\r");
        assert_eq!(lines, ["list"]);
    }

    #[test]
    fn test_control_u_and_control_c_forget_an_over_long_line() {
        let mut fixture = Fixture::new();
        let mut typed = "c".repeat(MAX_LINE + 1).into_bytes();
        typed.extend_from_slice(b"\x15help\r");
        let (lines, _) = fixture.feed(&typed);
        assert_eq!(lines, ["help"]);
        let mut typed = "c".repeat(MAX_LINE + 1).into_bytes();
        typed.extend_from_slice(b"\x03list\r");
        let (lines, _) = fixture.feed(&typed);
        assert_eq!(lines, ["list"]);
    }

    #[test]
    fn test_a_control_byte_refuses_the_line_naming_the_first() {
        let mut fixture = Fixture::new();
        let (lines, echo) = fixture.feed(b"st\x01at\x02us\r");
        assert!(lines.is_empty());
        assert_eq!(
            echo,
            "status\nerror: the line held a byte that is not text (0x01); ignored\n> "
        );
    }

    #[test]
    fn test_bytes_that_are_not_ascii_text_refuse_the_line() {
        for (typed, bad) in [
            (&b"caf\xc3\xa9\r"[..], "0xc3"),
            (&b"\xff\xfe\r"[..], "0xff"),
            (&b"a\tb\r"[..], "0x09"),
            (&b"\x00\r"[..], "0x00"),
        ] {
            let mut fixture = Fixture::new();
            let (lines, echo) = fixture.feed(typed);
            assert!(lines.is_empty(), "{typed:?}");
            assert!(
                echo.ends_with(&format!(
                    "\nerror: the line held a byte that is not text ({bad}); ignored\n> "
                )),
                "{typed:?}: {echo:?}"
            );
        }
    }

    #[test]
    fn test_a_bad_byte_is_reported_before_an_over_long_line() {
        let mut fixture = Fixture::new();
        let mut typed = b"\x07".to_vec();
        typed.extend("d".repeat(MAX_LINE + 1).bytes());
        typed.push(b'\r');
        let (_, echo) = fixture.feed(&typed);
        assert!(echo.contains("(0x07)"), "{echo:?}");
        assert!(!echo.contains("longer than"), "{echo:?}");
    }

    #[test]
    fn test_control_u_and_control_c_forget_a_bad_byte() {
        let mut fixture = Fixture::new();
        let (lines, _) = fixture.feed(b"x\x01\x15list\r");
        assert_eq!(lines, ["list"]);
        let (lines, _) = fixture.feed(b"x\x01\x03help\r");
        assert_eq!(lines, ["help"]);
    }

    #[test]
    fn test_escape_sequences_are_swallowed() {
        let mut fixture = Fixture::new();
        // Arrow up, then ctrl+arrow right, inside the word.
        let (lines, echo) = fixture.feed(b"li\x1b[A\x1b[1;5Cst\r");
        assert_eq!(lines, ["list"]);
        assert_eq!(echo, "list\n");
    }

    #[test]
    fn test_escape_then_another_byte_swallows_just_that_byte() {
        let mut fixture = Fixture::new();
        let (lines, _) = fixture.feed(b"\x1bOhelp\r");
        assert_eq!(lines, ["help"]);
        let (lines, _) = fixture.feed(b"\x1b\rlist\r");
        assert_eq!(lines, ["list"]);
    }

    // Command parsing.

    #[test]
    fn test_blank_lines_do_nothing() {
        let mut fixture = Fixture::new();
        assert_eq!(fixture.run(""), "");
        assert_eq!(fixture.run("   "), "");
    }

    #[test]
    fn test_an_unknown_command_points_at_help() {
        let mut fixture = Fixture::new();
        let unknown = error("unknown command; type `help` for the list");
        assert_eq!(fixture.run("reboot"), unknown);
        assert_eq!(fixture.run("HELP"), unknown);
        assert_eq!(fixture.run("#7"), unknown);
    }

    #[test]
    fn test_every_command_with_extra_words_prints_its_usage() {
        let mut fixture = Fixture::new();
        for (name, _, _) in COMMANDS {
            assert_eq!(
                fixture.run(&format!("{name} 1 2 3 4")),
                usage(name),
                "{name}"
            );
        }
    }

    #[test]
    fn test_commands_missing_their_arguments_print_their_usage() {
        let mut fixture = Fixture::new();
        for line in [
            "show",
            "explain",
            "approve",
            "reject",
            "cancel",
            "defer",
            "defer 7",
            "profile",
            "emergency",
            "wait",
            "submit 7 openssl security security",
        ] {
            let command = line.split(' ').next().unwrap_or(line);
            assert_eq!(fixture.run(line), usage(command), "{line}");
        }
        assert_eq!(fixture.run("emergency maybe"), usage("emergency"));
    }

    #[test]
    fn test_usage_of_a_name_that_is_no_command_is_help() {
        assert_eq!(super::usage("frobnicate"), "help");
        assert_eq!(super::usage("defer"), "defer <id> <duration>");
    }

    #[test]
    fn test_more_than_twelve_words_are_refused() {
        let mut fixture = Fixture::new();
        let line = "submit 7 a low application 5m reboot approval exclusive after=1h needs=1 version=1.0.0 x";
        assert_eq!(fixture.run(line), error("too many words; see `help`"));
    }

    #[test]
    fn test_help_lists_every_command_then_the_vocabulary() {
        let mut fixture = Fixture::new();
        let help = fixture.run("help");
        let lines: Vec<&str> = help.lines().collect();
        assert_eq!(lines.len(), COMMANDS.len() + 5);
        for ((_, usage, what), line) in COMMANDS.iter().zip(&lines) {
            assert!(line.starts_with(&format!("  {usage}")), "{line}");
            assert!(line.ends_with(what), "{line}");
        }
        assert_eq!(lines[0], format!("  {:<36} this list", "help"));
        assert_eq!(
            lines[COMMANDS.len()],
            "  priorities: critical security important optional low"
        );
    }

    #[test]
    fn test_ids_are_whole_numbers_with_or_without_a_hash() {
        assert_eq!(super::parse_id("7").ok(), Some(update_sched::UpdateId(7)));
        assert_eq!(super::parse_id("#7").ok(), Some(update_sched::UpdateId(7)));
        assert_eq!(
            super::parse_id("4294967295").ok(),
            Some(update_sched::UpdateId(u32::MAX))
        );
        for bad in [
            "",
            "#",
            "##7",
            "-1",
            "+",
            "7x",
            "0x10",
            "4294967296",
            "99999999999999999999",
        ] {
            assert!(super::parse_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn test_commands_refuse_malformed_and_huge_ids() {
        let mut fixture = Fixture::new();
        let not_an_id = error("an update id is a whole number, e.g. 7 or #7");
        for command in ["show", "explain", "approve", "reject", "cancel"] {
            for id in ["seven", "-3", "4294967296", "#"] {
                assert_eq!(
                    fixture.run(&format!("{command} {id}")),
                    not_an_id,
                    "{command} {id}"
                );
            }
        }
        assert_eq!(fixture.run("defer x 1h"), not_an_id);
        assert_eq!(
            fixture.run("submit x openssl low application 5m"),
            not_an_id
        );
    }

    #[test]
    fn test_commands_on_unknown_ids_say_so() {
        let mut fixture = Fixture::new();
        let unknown = error(ApiError::Command(CommandError::UnknownId));
        for line in [
            "show 4294967295",
            "explain 99",
            "approve #99",
            "reject 99",
            "cancel 99",
            "defer 99 1h",
        ] {
            assert_eq!(fixture.run(line), unknown, "{line}");
        }
    }

    #[test]
    fn test_submit_list_show_and_cancel() {
        let mut fixture = Fixture::new();
        assert_eq!(fixture.run("list"), "no updates queued\n");
        assert_eq!(
            fixture.run("submit #7 openssl security security 20m reboot"),
            "submitted #7 openssl\n"
        );
        assert_eq!(
            fixture.run("list"),
            "    #7 openssl          security security awaiting-approval\n"
        );
        let show = fixture.run("show 7");
        let lines: Vec<&str> = show.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "#7 openssl 0.0.0: security security, estimate 20m, flags reboot",
                "  state awaiting-approval, attempts 0",
                "  available Thu 1970-01-01 00:00 +00:00",
                "  deadline Fri 1970-01-02 00:00 +00:00",
            ]
        );
        assert_eq!(fixture.run("cancel 7"), "cancelled #7\n");
        assert_eq!(
            fixture.run("show 7"),
            "#7: cancelled; finished, so the scheduler no longer holds its record\n"
        );
        assert_eq!(
            fixture.run("explain 7"),
            "#7: cancelled; it has finished, nothing holds it back\n"
        );
        assert_eq!(fixture.run("list"), "no updates queued\n");
    }

    #[test]
    fn test_submit_with_every_option() {
        let mut fixture = Fixture::new();
        fixture.run("submit 7 openssl security security 20m");
        assert_eq!(
            fixture.run("submit 8 vlc low application 5m approval exclusive reboot after=1h needs=#7 version=1.2.3"),
            "submitted #8 vlc\n"
        );
        let show = fixture.run("show 8");
        let lines: Vec<&str> = show.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "#8 vlc 1.2.3: low application, estimate 5m, flags reboot approval exclusive",
                "  state waiting, attempts 0",
                "  available Thu 1970-01-01 01:00 +00:00",
            ]
        );
        assert!(lines.contains(&"  needs #7"), "{show}");
    }

    #[test]
    fn test_submit_refuses_bad_fields() {
        let mut fixture = Fixture::new();
        for (line, message) in [
            (
                "submit 7 a-name-of-17-chars low application 5m",
                "a name has at most 16 characters",
            ),
            (
                "submit 7 vlc urgent application 5m",
                "priority is one of critical, security, important, optional, low",
            ),
            (
                "submit 7 vlc low game 5m",
                "kind is one of security, kernel, driver, application, firmware",
            ),
            (
                "submit 7 vlc low application 5m reboot=yes",
                "options are reboot, approval, exclusive, after=<duration>, needs=<id>,<id>, version=<x.y.z>",
            ),
            (
                "submit 7 vlc low application 5m after",
                "options are reboot, approval, exclusive, after=<duration>, needs=<id>,<id>, version=<x.y.z>",
            ),
            (
                "submit 7 vlc low application 5m fast",
                "options are reboot, approval, exclusive, after=<duration>, needs=<id>,<id>, version=<x.y.z>",
            ),
            (
                "submit 7 vlc low application 5m reboot reboot",
                "option reboot given twice",
            ),
            (
                "submit 7 vlc low application 5m after=1h after=2h",
                "option after= given twice",
            ),
            (
                "submit 7 vlc low application 5m after=soon",
                "a duration looks like 90m, 2h, 1d or 2h30m",
            ),
            (
                "submit 7 vlc low application 5m version=1.02.3",
                "a version is MAJOR.MINOR.PATCH, e.g. 1.2.3, numbers 0 to 65535 without leading zeros",
            ),
            (
                "submit 7 vlc low application 5m version=1.2.65536",
                "a version is MAJOR.MINOR.PATCH, e.g. 1.2.3, numbers 0 to 65535 without leading zeros",
            ),
        ] {
            assert_eq!(fixture.run(line), error(message), "{line}");
        }
        assert_eq!(fixture.run("list"), "no updates queued\n");
    }

    #[test]
    fn test_submit_refuses_bad_estimates_and_dependencies_with_their_reasons() {
        let mut fixture = Fixture::new();
        for (line, prefix) in [
            ("submit 7 vlc low application 0m", "error: estimate: "),
            ("submit 7 vlc low application 1093m", "error: estimate: "),
            ("submit 7 vlc low application 90s", "error: estimate: "),
            (
                "submit 7 vlc low application 99999999999999999999m",
                "error: estimate: ",
            ),
            ("submit 7 vlc low application 5m needs=7", "error: needs: "),
            (
                "submit 7 vlc low application 5m needs=1,1",
                "error: needs: ",
            ),
            (
                "submit 7 vlc low application 5m needs=1,2,3",
                "error: needs: ",
            ),
            ("submit 7 vlc low application 5m needs=x", "error: needs: "),
        ] {
            let out = fixture.run(line);
            assert!(
                out.starts_with(prefix) && out.ends_with('\n'),
                "{line}: {out:?}"
            );
            assert_eq!(out.lines().count(), 1, "{line}: {out:?}");
        }
        assert_eq!(fixture.run("list"), "no updates queued\n");
    }

    #[test]
    fn test_submit_refuses_what_the_scheduler_refuses() {
        let mut fixture = Fixture::new();
        fixture.run("submit 7 vlc low application 5m");
        assert_eq!(
            fixture.run("submit 7 gimp low application 5m"),
            error(ApiError::Submit(SubmitError::Duplicate))
        );
        assert_eq!(
            fixture.run("submit 8 gimp low application 5m needs=99"),
            error(ApiError::Submit(SubmitError::UnknownDependency(
                update_sched::UpdateId(99)
            )))
        );
        let too_late = error(ApiError::Submit(SubmitError::AvailableTooLate));
        assert_eq!(
            fixture.run("submit 9 gimp low application 5m after=99999d"),
            too_late
        );
        assert_eq!(
            fixture.run("submit 9 gimp low application 5m after=99999999999999999999d"),
            too_late
        );
    }

    #[test]
    fn test_approve_twice_and_reject() {
        let mut fixture = Fixture::new();
        fixture.run("submit 7 vlc low application 5m approval");
        assert_eq!(fixture.run("approve #7"), "approved #7\n");
        assert_eq!(
            fixture.run("approve 7"),
            error(ApiError::Command(CommandError::AlreadyApproved))
        );
        assert_eq!(fixture.run("reject 7"), "rejected #7: it will not run\n");
        assert!(fixture.run("approve 7").starts_with("error: "));
    }

    #[test]
    fn test_approval_is_audited_with_who_approved() {
        let mut fixture = Fixture::new();
        fixture.run("submit 7 vlc low application 5m approval");
        fixture.run("approve 7");
        let audit = fixture.run("audit 2");
        let lines: Vec<&str> = audit.lines().collect();
        assert!(lines[0].starts_with("audit: "), "{audit}");
        assert!(
            lines[0].ends_with(" older dropped (ring of 256)"),
            "{audit}"
        );
        assert_eq!(
            lines[1..],
            [
                "[Thu 1970-01-01 00:00 +00:00] SUBMITTED #7 vlc 0.0.0, unsigned, by the console",
                "[Thu 1970-01-01 00:00 +00:00] APPROVED #7 by the console",
            ]
        );
        assert_eq!(fixture.run("audit 0").lines().count(), 1);
    }

    #[test]
    fn test_audit_count_must_be_a_number() {
        let mut fixture = Fixture::new();
        let message = error("audit takes a number of records");
        assert_eq!(fixture.run("audit all"), message);
        assert_eq!(fixture.run("audit -1"), message);
        assert_eq!(fixture.run("audit 99999999999999999999999"), message);
    }

    #[test]
    fn test_defer_names_the_instant_and_refuses_the_impossible() {
        let mut fixture = Fixture::new();
        fixture.run("submit 7 vlc low application 5m");
        assert_eq!(
            fixture.run("defer 7 2h30m"),
            "deferred #7 until Thu 1970-01-01 02:30 +00:00\n"
        );
        let too_late = error(ApiError::Command(CommandError::TooLate));
        assert_eq!(fixture.run("defer 7 99999d"), too_late);
        assert_eq!(fixture.run("defer 7 99999999999999999999d"), too_late);
        let shape = error("a duration looks like 90m, 2h, 1d or 2h30m");
        assert_eq!(fixture.run("defer 7 soon"), shape);
        assert_eq!(fixture.run("defer 7 -1h"), shape);
        assert_eq!(fixture.run("defer 7 2x"), shape);
    }

    #[test]
    fn test_speed_shows_sets_and_refuses_out_of_range() {
        let mut fixture = Fixture::new();
        assert_eq!(fixture.run("speed"), "speed 1x\n");
        let refused = error("speed takes a whole number, 1 to 1000000");
        for factor in ["0", "1000001", "4294967296", "-5", "fast", "1.5"] {
            assert_eq!(fixture.run(&format!("speed {factor}")), refused, "{factor}");
        }
        assert_eq!(clock::speed(), 1);
        assert_eq!(
            fixture.run("speed 600"),
            "speed 600x: one real second is 600 simulated seconds\n"
        );
        assert_eq!(clock::speed(), 600);
        assert_eq!(fixture.run("speed"), "speed 600x\n");
        fixture.run("speed 1");
        assert_eq!(clock::speed(), 1);
    }

    #[test]
    fn test_emergency_on_and_off() {
        let mut fixture = Fixture::new();
        assert_eq!(
            fixture.run("emergency on"),
            "emergency mode on: only critical and security updates run\n"
        );
        assert!(fixture.run("status").ends_with("emergency mode is on\n"));
        assert_eq!(fixture.run("emergency off"), "emergency mode off\n");
        assert!(!fixture.run("status").contains("emergency"));
    }

    #[test]
    fn test_pause_until_a_date_then_resume() {
        let mut fixture = Fixture::new();
        // The host clock starts at 1970-01-01 00:00 UTC.
        assert_eq!(
            fixture.run("pause until 1970-01-05"),
            "paused until Mon 1970-01-05 00:00 +00:00: only critical and security updates run\n"
        );
        assert!(fixture
            .run("status")
            .ends_with("paused until Mon 1970-01-05 00:00 +00:00\n"));
        assert_eq!(fixture.run("resume"), "pause ended: updates run again\n");
        assert_eq!(fixture.run("pause off"), "no pause to end\n");
        assert!(!fixture.run("status").contains("paused"));
        assert_eq!(
            fixture.run("pause until 1970-03-01"),
            error("pause refused: a pause lasts at most 35 days from now; pick an earlier date")
        );
        assert_eq!(
            fixture.run("pause until tomorrow"),
            error("a date looks like 2026-12-24")
        );
        assert_eq!(fixture.run("pause"), usage("pause"));
    }

    #[test]
    fn test_profile_switches_and_names_its_configuration() {
        let mut fixture = Fixture::new();
        assert_eq!(
            fixture.run("profile server"),
            "profile server: frequency weekly Sun, windows Sun 00:00 +360m; UTC, up to 4 at once\n"
        );
        assert_eq!(
            fixture.run("profile nope"),
            error("profile is one of basic, server, desktop, iot")
        );
        assert!(fixture
            .run("status")
            .contains("\nprofile server: frequency weekly Sun"));
    }

    #[test]
    fn test_status_reports_counts_channel_and_clock() {
        let mut fixture = Fixture::new();
        fixture.run("submit 7 vlc low application 5m");
        let status = fixture.run("status");
        let lines: Vec<&str> = status.lines().collect();
        assert_eq!(lines.len(), 4, "{status}");
        assert!(lines[0].starts_with("submitted=1 "), "{status}");
        assert!(lines[1].starts_with("manifests accepted="), "{status}");
        assert!(
            lines[2].starts_with("clock Thu 1970-01-01 00:00 +00:00 (speed 1x), 0 running"),
            "{status}"
        );
        assert_eq!(
            lines[3],
            "profile basic: frequency weekly Sat, windows Sat 02:00 +240m; UTC, up to 2 at once"
        );
    }

    #[test]
    fn test_windows_says_when_the_next_one_opens() {
        let mut fixture = Fixture::new();
        assert_eq!(
            fixture.run("windows"),
            "windows Sat 02:00 +240m; UTC\nopen 240 minutes a week; frequency weekly Sat\nclosed now, opens Sat 1970-01-03 02:00 +00:00\n"
        );
    }

    #[test]
    fn test_pattern_is_a_week_of_hours() {
        let mut fixture = Fixture::new();
        let pattern = fixture.run("pattern");
        let lines: Vec<&str> = pattern.lines().collect();
        assert_eq!(lines.len(), 3 + 7);
        assert!(lines[0].ends_with(
            "still learning (hours not seen yet borrow from the same hour on other days)"
        ));
        assert_eq!(lines[3], format!("Mon  |{}|", "?".repeat(24)));
        assert!(lines[9].starts_with("Sun  |"));
    }

    #[test]
    fn test_metrics_and_inventory_print_their_tables() {
        let mut fixture = Fixture::new();
        let metrics = fixture.run("metrics");
        assert_eq!(metrics.lines().count(), 3);
        assert!(metrics.contains("simulated (office workload)"), "{metrics}");
        assert!(metrics.contains(", power mains"), "{metrics}");
        let inventory = fixture.run("inventory");
        assert!(
            inventory
                .lines()
                .any(|line| line == format!("{:<16} installed 1.0.0", "openssl")),
            "{inventory}"
        );
        assert!(inventory.lines().count() >= crate::inventory::BASELINE.len());
    }

    #[test]
    fn test_shutdown_ends_the_run_and_takes_no_arguments() {
        let mut fixture = Fixture::new();
        assert_eq!(
            fixture.console.run("shutdown", &mut fixture.worker),
            Action::Shutdown
        );
        assert_eq!(fixture.run("shutdown now"), usage("shutdown"));
    }

    #[test]
    fn test_wait_refuses_what_it_cannot_count() {
        let mut fixture = Fixture::new();
        assert_eq!(
            fixture.run("wait later"),
            error("a duration looks like 90m, 2h, 1d or 2h30m")
        );
        assert_eq!(
            fixture.run("wait 99999999999999999999d"),
            error("a wait that long cannot be counted")
        );
        assert!(fixture.console.waiting_until.is_none());
    }

    #[test]
    fn test_messages_read_as_one_line_errors() {
        assert_eq!(
            super::Message::Repeated("needs=").to_string(),
            "option needs= given twice"
        );
        assert_eq!(
            super::Message::Usage("speed [factor]").to_string(),
            "usage: speed [factor]"
        );
        assert_eq!(
            super::Message::Api(ApiError::NotStarted).to_string(),
            "the update service is not running"
        );
    }

    #[test]
    fn test_submit_options_are_each_named_once() {
        let names: Vec<&str> = super::SubmitOption::ALL
            .iter()
            .map(|option| option.name())
            .collect();
        assert_eq!(
            names,
            [
                "reboot",
                "approval",
                "exclusive",
                "after=",
                "needs=",
                "version="
            ]
        );
    }

    // Polling: lines typed, and typed during a wait.

    #[test]
    fn test_poll_runs_each_complete_line_with_a_prompt_after_it() {
        let mut fixture = Fixture::new();
        let (action, out) = fixture.poll(b"speed\rfrob\r");
        assert_eq!(action, Action::Continue);
        assert_eq!(
            out,
            "speed\nspeed 1x\n> frob\nerror: unknown command; type `help` for the list\n> "
        );
        // Half a line waits for the rest.
        let (_, out) = fixture.poll(b"spe");
        assert_eq!(out, "spe");
        let (_, out) = fixture.poll(b"ed\r");
        assert_eq!(out, "ed\nspeed 1x\n> ");
    }

    #[test]
    fn test_poll_stops_at_shutdown() {
        let mut fixture = Fixture::new();
        let (action, _) = fixture.poll(b"shutdown\rspeed\r");
        assert_eq!(action, Action::Shutdown);
        // What follows it is left unread.
        assert_eq!(host::receive_byte(), Some(b's'));
    }

    #[test]
    fn test_wait_keeps_what_is_typed_and_control_c_ends_it() {
        let mut fixture = Fixture::new();
        let (_, out) = fixture.poll(b"wait 2h\r");
        assert_eq!(out, "wait 2h\nwaiting 2h of simulated time\n");
        // Typed during the wait: kept, not echoed.
        let (action, out) = fixture.poll(b"speed\r");
        assert_eq!((action, out.as_str()), (Action::Continue, ""));
        assert!(fixture.console.waiting_until.is_some());
        let (_, out) = fixture.poll(b"\x03");
        assert_eq!(
            out,
            "^C\nwait interrupted at Thu 1970-01-01 00:00 +00:00; what was typed during it is dropped\n> "
        );
        assert!(fixture.console.waiting_until.is_none());
        assert!(fixture.console.typeahead.is_empty());
    }

    #[test]
    fn test_what_follows_control_c_in_a_wait_runs_after_it() {
        let mut fixture = Fixture::new();
        fixture.poll(b"wait 1d\r");
        let (_, out) = fixture.poll(b"dropped\r\x03speed\r");
        assert_eq!(
            out,
            "^C\nwait interrupted at Thu 1970-01-01 00:00 +00:00; what was typed during it is dropped\n> speed\nspeed 1x\n> "
        );
    }

    #[test]
    fn test_a_shutdown_line_typed_in_a_wait_ends_it_at_once() {
        let mut fixture = Fixture::new();
        fixture.poll(b"wait 1d\r");
        let (action, out) = fixture.poll(b"status\r  shutdown \r");
        assert_eq!(action, Action::Shutdown);
        assert_eq!(
            out,
            "wait interrupted at Thu 1970-01-01 00:00 +00:00 by shutdown; what was typed before it is dropped\n"
        );
        assert!(fixture.console.typeahead.is_empty());
    }

    #[test]
    fn test_a_wait_that_has_passed_runs_what_was_typed_and_counts_what_did_not_fit() {
        let mut fixture = Fixture::new();
        // The clock stands still in host tests: a zero wait is over at once.
        fixture.poll(b"wait 0s\r");
        assert!(fixture.console.waiting_until.is_some());
        let mut typed = "x".repeat(TYPEAHEAD + 5).into_bytes();
        typed.push(b'\r');
        let (_, out) = fixture.poll(&typed);
        assert!(
            out.starts_with("wait over at Thu 1970-01-01 00:00 +00:00\nerror: 6 bytes typed during the wait did not fit the 2048 kept; ignored\n> "),
            "{out:?}"
        );
        assert!(fixture.console.typeahead.is_empty());
    }

    #[test]
    fn test_shutdown_lines_are_recognised_whole() {
        for (typed, seen) in [
            (&b"shutdown\r"[..], true),
            (b"  shutdown\t\n", true),
            (b"status\rshutdown\n", true),
            (b"shutdown", false),
            (b"shutdown now\r", false),
            (b"xshutdown\r", false),
            (b"a-very-long-line-shutdown\r", false),
            (b"a-very-long-line-indeed\rshutdown\r", true),
        ] {
            assert_eq!(
                super::holds_shutdown_line(typed.iter().copied()),
                seen,
                "{:?}",
                std::string::String::from_utf8_lossy(typed)
            );
        }
    }
    // Hostile input.

    /// A small, fixed pseudo-random byte stream (xorshift), so that the
    /// hostile input is the same on every run.
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[(self.next() % from.len() as u64) as usize]
        }
    }

    /// Every error the console prints is one line, and is all it prints.
    fn assert_one_line_error_or_none(line: &str, out: &str) {
        if let Some(at) = out.find("error:") {
            assert_eq!(at, 0, "{line:?} printed {out:?}");
            assert_eq!(out.matches('\n').count(), 1, "{line:?} printed {out:?}");
            assert!(out.ends_with('\n'), "{line:?} printed {out:?}");
        }
    }

    #[test]
    fn test_hostile_lines_never_panic_and_errors_are_one_line() {
        let mut fixture = Fixture::new();
        let words = [
            "help",
            "status",
            "list",
            "show",
            "explain",
            "approve",
            "reject",
            "defer",
            "cancel",
            "submit",
            "windows",
            "metrics",
            "profile",
            "emergency",
            "speed",
            "wait",
            "audit",
            "inventory",
            "7",
            "#7",
            "0",
            "#",
            "##7",
            "-1",
            "4294967295",
            "4294967296",
            "18446744073709551616",
            "99999999999999999999999999",
            "0m",
            "0",
            "1s",
            "59s",
            "1h1h",
            "1m0h",
            "999999d",
            "18446744073709551615m",
            "99999999999999999999d",
            "2h30m",
            "low",
            "critical",
            "security",
            "firmware",
            "kernel",
            "application",
            "reboot",
            "approval",
            "exclusive",
            "after=0m",
            "after=",
            "needs=",
            "needs=,",
            "needs=7,7",
            "needs=4294967296",
            "version=",
            "version=1.2.3",
            "version=65536.0.0",
            "on",
            "off",
            "basic",
            "iot",
            "=",
            ",",
            "\u{e9}\u{e9}\u{e9}",
            "\u{1f600}",
            "\u{0}",
            "\t",
        ];
        let mut noise = Noise(0x2545_f491_4f6c_dd1d);
        for _ in 0..3_000 {
            let count = 1 + noise.next() % 8;
            let mut line = String::new();
            for _ in 0..count {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(noise.pick(&words));
            }
            if line.starts_with("wait ") {
                // A wait that was accepted would hold the rest; it is
                // tested on its own below.
                continue;
            }
            let out = fixture.run(&line);
            assert_one_line_error_or_none(&line, &out);
        }
        for line in [
            "wait 0m".to_string(),
            "wait 999999d".to_string(),
            "wait 18446744073709551615m".to_string(),
            "wait 1h trailing".to_string(),
            "x".repeat(10 * MAX_LINE),
            "status ".repeat(2 * MAX_LINE),
        ] {
            let out = fixture.run(&line);
            assert_one_line_error_or_none(&line, &out);
            fixture.console.waiting_until = None;
        }
    }

    #[test]
    fn test_hostile_bytes_never_panic_and_lines_stay_ascii_and_short() {
        let mut fixture = Fixture::new();
        let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
        for round in 0..200 {
            let length = noise.next() % (3 * MAX_LINE as u64);
            let mut bytes: Vec<u8> = (0..length)
                .map(|_| match noise.next() % 8 {
                    // Control characters, escapes, invalid UTF-8.
                    0 => (noise.next() % 0x20) as u8,
                    1 => 0x80 + (noise.next() % 0x80) as u8,
                    2 => b'\x1b',
                    _ => b'a' + (noise.next() % 26) as u8,
                })
                .collect();
            // Ends with a line end, but never one that reads `shutdown`.
            bytes.push(b'\r');
            let (lines, _) = fixture.feed(&bytes);
            for line in &lines {
                assert!(line.len() <= MAX_LINE, "round {round}: {line:?}");
                assert!(
                    line.bytes().all(|byte| (0x20..0x7f).contains(&byte)),
                    "round {round}: {line:?}"
                );
            }
        }
        // Only control characters, then an ordinary line.
        let controls: Vec<u8> = (0u8..0x20).chain([0x7f]).collect();
        fixture.feed(&controls);
        fixture.feed(b"\x15");
        let (lines, _) = fixture.feed(b"status\r");
        assert_eq!(lines, ["status"]);
        // The same through the serial port and the command loop.
        host::type_bytes(&[0xff; 4 * MAX_LINE]);
        let (action, out) = fixture.poll(b"\r");
        assert_eq!(action, Action::Continue);
        assert!(out.contains("error:"), "{out:?}");
    }
}
