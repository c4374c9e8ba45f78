//! The kernel API of the update scheduler, for other subsystems.
//!
//! One [`UpdateScheduler`] lives here, behind a `spin` lock, owned by the
//! kernel: the worker drives it, subsystems and the console call the
//! functions below. Every call reads the kernel clock itself, so callers
//! never pass times they could get wrong. Errors are values ([`ApiError`]);
//! nothing here panics on a caller's mistake.
//!
//! Interrupt handlers never call into this module: the lock is only ever
//! taken by the worker loop and the code it calls, so it cannot deadlock
//! against an interrupt. Events are handed to subscribers *after* the lock
//! is released, so a subscriber may call back into the API.
//!
//! The scheduler's lock comes first in the kernel's lock order (see
//! `kernel/README.md`): under it the worker may take the subjects'
//! (`subject`), the update channel's, the inventory's, the audit log's
//! and the clock's locks, never the other way round, and nothing is
//! printed while it is held: COM1's lock is never taken under it.
//!
//! The API also remembers what the event lines of recent updates name
//! ([`Subject`]), so that a line about an update the scheduler has already
//! let go of (cancelled between two steps of the worker) still names it.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use heapless::Deque;
use spin::Mutex;
use update_sched::civil::{Date, UtcOffset, WallTime};
use update_sched::config::{Config, ConfigErrors, Profile};
use update_sched::event::TimedEvent;
use update_sched::freeze::PauseError;
use update_sched::scheduler::{
    CommandError, Explanation, StatusCounts, SubmitError, UpdateInfo, UpdateScheduler, UpdateState,
};
use update_sched::update::{UpdateName, UpdateRecord};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

use crate::{audit, clock};

/// How many updates the kernel's scheduler can hold at once.
pub const CAPACITY: usize = 1024;

/// How many subsystems may subscribe to update events.
pub const MAX_SUBSCRIBERS: usize = 8;

/// The scheduler type the kernel runs.
pub type KernelScheduler = UpdateScheduler<CAPACITY>;

/// A subscriber: called once for every event, in order, from the worker,
/// with no lock held.
pub type Subscriber = fn(&TimedEvent);

/// A ticket for [`unsubscribe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription(usize);

/// Why an API call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The update service has not been started yet.
    NotStarted,
    /// `submit` refused the update.
    Submit(SubmitError),
    /// A command on one update was refused.
    Command(CommandError),
    /// The new configuration is invalid (the first problem found); the
    /// old one stays.
    Config(update_sched::config::ConfigError),
    /// The subscriber table is full.
    TooManySubscribers,
    /// No such subscription.
    UnknownSubscription,
    /// The [`Authority`] presented was revoked.
    Revoked(Holder),
    /// That holder already obtained its [`Authority`]; there is one each.
    AuthorityTaken(Holder),
    /// The pause was refused (in the past, or more than 35 days away).
    Pause(PauseError),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::NotStarted => f.write_str("the update service is not running"),
            ApiError::Submit(error) => write!(f, "submit refused: {error}"),
            ApiError::Command(error) => error.fmt(f),
            ApiError::Config(error) => write!(f, "invalid configuration: {error}"),
            ApiError::TooManySubscribers => {
                write!(f, "all {MAX_SUBSCRIBERS} subscriber slots are taken")
            }
            ApiError::UnknownSubscription => f.write_str("no such subscription"),
            ApiError::Revoked(holder) => {
                write!(f, "not authorized: the {holder}'s authority was revoked")
            }
            ApiError::Pause(error) => write!(f, "pause refused: {error}"),
            ApiError::AuthorityTaken(holder) => {
                write!(
                    f,
                    "not authorized: the {holder} already holds its authority"
                )
            }
        }
    }
}

impl core::error::Error for ApiError {}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> ApiError {
        ApiError::Submit(error)
    }
}

impl From<PauseError> for ApiError {
    fn from(error: PauseError) -> ApiError {
        ApiError::Pause(error)
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> ApiError {
        ApiError::Command(error)
    }
}

impl From<ConfigErrors> for ApiError {
    fn from(errors: ConfigErrors) -> ApiError {
        match errors.first() {
            Some(&first) => ApiError::Config(first),
            // `validate` never reports an empty list as an error; keep a
            // value rather than a panic should that ever change.
            None => ApiError::NotStarted,
        }
    }
}

/// The subsystems that may hold an [`Authority`]: the designated
/// approvers. Anyone may read the scheduler's state; only these may approve
/// updates or queue unsigned ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// The serial console: a person at the machine.
    Console,
    /// The demo's simulated operator.
    DemoOperator,
    /// The `load` scenario, which queues synthetic updates to measure the
    /// scheduler's cost.
    LoadScenario,
}

impl Holder {
    const ALL: [Holder; 3] = [Holder::Console, Holder::DemoOperator, Holder::LoadScenario];

    /// Lower-case name, for the console and the audit log.
    pub const fn name(self) -> &'static str {
        match self {
            Holder::Console => "console",
            Holder::DemoOperator => "demo operator",
            Holder::LoadScenario => "load scenario",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A capability: the right to approve updates and to queue updates that
/// did not come in a signed manifest.
///
/// Only [`authority`] makes one, once per [`Holder`]; it cannot be copied,
/// cloned or built elsewhere (its fields are private), so holding one
/// proves the holder was designated. [`revoke`] withdraws a holder's
/// authority: calls made with it are refused from then on. Inside one
/// address space this is a discipline the type system enforces, not a
/// hardware boundary.
#[derive(Debug)]
pub struct Authority {
    holder: Holder,
    generation: u32,
}

impl Authority {
    /// Whom it was issued to.
    pub fn holder(&self) -> Holder {
        self.holder
    }
}

/// Per holder: whether its authority was issued, and the generation a
/// valid one carries (bumped by [`revoke`]).
static AUTHORITIES: Mutex<[(bool, u32); Holder::ALL.len()]> =
    Mutex::new([(false, 0); Holder::ALL.len()]);

/// Issues `holder`'s authority; each holder gets one, once.
pub fn authority(holder: Holder) -> Result<Authority, ApiError> {
    let mut table = AUTHORITIES.lock();
    let (issued, generation) = &mut table[holder.index()];
    if *issued {
        return Err(ApiError::AuthorityTaken(holder));
    }
    *issued = true;
    Ok(Authority {
        holder,
        generation: *generation,
    })
}

/// Withdraws `holder`'s authority: what it approves or submits from now on
/// is refused.
pub fn revoke(holder: Holder) {
    AUTHORITIES.lock()[holder.index()].1 += 1;
}

fn check(authority: &Authority) -> Result<(), ApiError> {
    let generation = AUTHORITIES.lock()[authority.holder.index()].1;
    if authority.generation != generation {
        return Err(ApiError::Revoked(authority.holder));
    }
    Ok(())
}

/// The scheduler and the state that goes with it.
#[derive(Debug)]
pub struct Service {
    /// The scheduler itself.
    pub scheduler: KernelScheduler,
    /// The profile the configuration came from, if it came from one.
    pub profile: Option<Profile>,
}

/// The service. First in the lock order but for the demo operator's
/// authority (kernel/README.md, "Locks"): nothing is printed while it is
/// held.
static SERVICE: Mutex<Option<Service>> = Mutex::new(None);

/// One past the latest clock time, in milliseconds, of a call that
/// changed the scheduler's state since the worker last looked (0 when none
/// did), so the worker polls at that call's own time instead of a tick
/// later. The latest, so the scheduler never sees time go back.
static POLL_REQUESTED_AT: AtomicU64 = AtomicU64::new(0);

/// The time of the latest API call that asked for a poll since the last
/// time this was called, if any did.
pub(crate) fn take_poll_request() -> Option<Instant> {
    let after = POLL_REQUESTED_AT.swap(0, Ordering::Relaxed);
    after.checked_sub(1).map(Instant::from_millis)
}

static SUBSCRIBERS: Mutex<[Option<Subscriber>; MAX_SUBSCRIBERS]> =
    Mutex::new([None; MAX_SUBSCRIBERS]);

/// Starts the update service with `config` (validated) and a jitter seed.
pub fn start(config: Config, profile: Option<Profile>, seed: u64) -> Result<(), ApiError> {
    let mut scheduler = UpdateScheduler::new(config)?;
    scheduler.set_seed(seed);
    // The executor stages updates: only a reboot or a flash runs alone.
    scheduler.set_staged_updates(true)?;
    *SERVICE.lock() = Some(Service { scheduler, profile });
    Ok(())
}

/// Runs `f` on the service, holding its lock. For the worker and this
/// module; other subsystems use the named functions, or [`inspect`] to
/// read. `f` must not print or call the API (the lock is not reentrant).
pub(crate) fn with_service<R>(f: impl FnOnce(&mut Service) -> R) -> Result<R, ApiError> {
    let mut guard = SERVICE.lock();
    let service = guard.as_mut().ok_or(ApiError::NotStarted)?;
    Ok(f(service))
}

/// Reads the service: runs `f` on it, holding its lock, and returns what
/// `f` made of it. `f` copies out what it needs; the caller prints after.
/// It must not print or call the API itself: the lock is held, and the
/// kernel never prints under it.
pub fn inspect<R>(f: impl FnOnce(&Service) -> R) -> Result<R, ApiError> {
    with_service(|service| f(service))
}

/// The UTC offset of the calendar in force now, for printing local times:
/// its fixed offset, or its time zone's offset at this instant (UTC while
/// the service is not running).
pub fn offset() -> UtcOffset {
    let wall = crate::clock::wall();
    inspect(|service| service.scheduler.config().windows.offset_at(wall)).unwrap_or(UtcOffset::UTC)
}

fn with_scheduler<R>(f: impl FnOnce(&mut KernelScheduler) -> R) -> Result<R, ApiError> {
    with_service(|service| f(&mut service.scheduler))
}

/// As [`with_service`], for calls that change what the scheduler would
/// decide, made at clock time `now` (the one reading the call took): the
/// worker polls at its next step, at `now`.
fn changing_service<R>(now: Instant, f: impl FnOnce(&mut Service) -> R) -> Result<R, ApiError> {
    let result = with_service(f);
    POLL_REQUESTED_AT.fetch_max(now.as_millis().saturating_add(1), Ordering::Relaxed);
    result
}

/// [`changing_service`] for calls on the scheduler alone.
fn changing_scheduler<R>(
    now: Instant,
    f: impl FnOnce(&mut KernelScheduler) -> R,
) -> Result<R, ApiError> {
    changing_service(now, |service| f(&mut service.scheduler))
}

/// Submits an update that came in no signed manifest (signed ones arrive
/// through [`crate::manifest::deliver`]): only a holder of an
/// [`Authority`] may, and the audit log names it. An `available_at` in the
/// past (such as `Instant::ZERO`) means available now.
pub fn submit(record: &UpdateRecord, authority: &Authority) -> Result<(), ApiError> {
    check(authority)?;
    submit_trusted(record)?;
    audit::record(
        audit::What::Submitted,
        Some(record.id),
        format_args!(
            "{} {}, unsigned, by the {}",
            record.name, record.version, authority.holder
        ),
    );
    Ok(())
}

/// Queues an update whose authenticity the caller established (the
/// manifest channel, after verification).
pub(crate) fn submit_trusted(record: &UpdateRecord) -> Result<(), ApiError> {
    let now = clock::now();
    let mut record = record.clone();
    record.available_at = record.available_at.max(now);
    changing_scheduler(now, |scheduler| scheduler.submit(&record, now))??;
    // Its event lines name it even if it is gone before the worker looks.
    RECENT.lock().remember(record.id, Subject::of(&record));
    Ok(())
}

/// Approves an update that needs approval.
pub fn approve(id: UpdateId, authority: &Authority) -> Result<(), ApiError> {
    check(authority)?;
    let now = clock::now();
    changing_scheduler(now, |scheduler| scheduler.approve(id, now))??;
    audit::record(
        audit::What::Approved,
        Some(id),
        format_args!("by the {}", authority.holder),
    );
    Ok(())
}

/// Rejects an update: it will never run.
pub fn reject(id: UpdateId) -> Result<(), ApiError> {
    let now = clock::now();
    Ok(changing_scheduler(now, |scheduler| {
        scheduler.reject(id, now)
    })??)
}

/// Cancels an update that has not started.
pub fn cancel(id: UpdateId) -> Result<(), ApiError> {
    let now = clock::now();
    Ok(changing_scheduler(now, |scheduler| {
        scheduler.cancel(id, now)
    })??)
}

/// Puts an update off for `delay` from now; returns the instant it is put
/// off to, as the scheduler holds it (whole seconds). A deferral past the
/// scheduler's [`LATEST_INSTANT`](update_sched::scheduler::LATEST_INSTANT)
/// is refused.
pub fn defer(id: UpdateId, delay: Duration) -> Result<Instant, ApiError> {
    let now = clock::now();
    let until = now
        .checked_add(delay)
        .ok_or(ApiError::Command(CommandError::TooLate))?;
    Ok(changing_scheduler(now, |scheduler| {
        scheduler.defer(id, until, now)
    })??)
}

/// How many updates are in each state.
pub fn status() -> Result<StatusCounts, ApiError> {
    with_scheduler(|scheduler| scheduler.status())
}

/// One update as the scheduler knows it.
pub fn info(id: UpdateId) -> Result<UpdateInfo, ApiError> {
    with_scheduler(|scheduler| scheduler.get(id))?.ok_or(ApiError::Command(CommandError::UnknownId))
}

/// The state of one update.
pub fn state_of(id: UpdateId) -> Result<UpdateState, ApiError> {
    with_scheduler(|scheduler| scheduler.state_of(id))?
        .ok_or(ApiError::Command(CommandError::UnknownId))
}

/// Why an update is not running now, in one line.
pub fn explain(id: UpdateId) -> Result<Explanation, ApiError> {
    let clock::Reading { now, wall } = clock::read();
    Ok(with_scheduler(|scheduler| {
        scheduler.explain(id, now, wall)
    })??)
}

/// Replaces the configuration with `profile`'s preset.
pub fn set_profile(profile: Profile) -> Result<(), ApiError> {
    set_config(Config::preset(profile), Some(profile))
}

/// Replaces the configuration. On error the old one stays.
pub fn set_config(config: Config, profile: Option<Profile>) -> Result<(), ApiError> {
    changing_service(clock::now(), |service| {
        service.scheduler.set_config(config)?;
        service.profile = profile;
        Ok(())
    })?
}

/// Pauses every update below Security until `date` begins in the
/// windows' local time, at most 35 days from now; returns when it ends.
pub fn pause_until(date: Date) -> Result<WallTime, ApiError> {
    let clock::Reading { now, wall } = clock::read();
    Ok(changing_scheduler(now, |scheduler| {
        scheduler.pause_until(date, now, wall)
    })??)
}

/// Ends the pause; `false` if there was none.
pub fn resume() -> Result<bool, ApiError> {
    let now = clock::now();
    changing_scheduler(now, |scheduler| scheduler.resume(now))
}

/// When the pause ends, if one holds now.
pub fn paused_until() -> Result<Option<WallTime>, ApiError> {
    let wall = clock::wall();
    with_scheduler(|scheduler| scheduler.paused_until(wall))
}

/// Emergency mode: only Critical and Security updates run.
pub fn set_emergency(on: bool) -> Result<(), ApiError> {
    changing_scheduler(clock::now(), |scheduler| scheduler.set_emergency(on))
}

/// Calls `subscriber` for every event from now on.
pub fn subscribe(subscriber: Subscriber) -> Result<Subscription, ApiError> {
    let mut table = SUBSCRIBERS.lock();
    let free = table
        .iter()
        .position(Option::is_none)
        .ok_or(ApiError::TooManySubscribers)?;
    table[free] = Some(subscriber);
    Ok(Subscription(free))
}

/// Stops calling a subscriber.
pub fn unsubscribe(subscription: Subscription) -> Result<(), ApiError> {
    let mut table = SUBSCRIBERS.lock();
    match table.get_mut(subscription.0) {
        Some(slot @ Some(_)) => {
            *slot = None;
            Ok(())
        }
        _ => Err(ApiError::UnknownSubscription),
    }
}

/// Hands `event` to every subscriber. Called by the worker with no lock
/// on the service held.
pub(crate) fn publish(event: &TimedEvent) {
    let table = *SUBSCRIBERS.lock();
    for subscriber in table.iter().flatten() {
        subscriber(event);
    }
}

/// What an event line says about the update it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The update's name.
    pub name: UpdateName,
    /// Its priority.
    pub priority: Priority,
    /// Its kind.
    pub kind: UpdateKind,
    /// When it became (or becomes) available.
    pub available_at: Instant,
}

impl Subject {
    /// The subject of `record`.
    pub fn of(record: &UpdateRecord) -> Subject {
        Subject {
            name: record.name.clone(),
            priority: record.priority,
            kind: record.kind,
            available_at: record.available_at,
        }
    }
}

/// How many recently submitted or seen updates the API remembers the
/// subjects of, for event lines about updates the scheduler has already
/// let go of (a completed update's slot is free before its event is
/// printed).
const RECENT_SUBJECTS: usize = 128;

/// The subjects of recently seen updates, oldest first.
#[derive(Debug)]
struct Recent(Deque<(UpdateId, Subject), RECENT_SUBJECTS>);

/// The subjects of recently submitted or seen updates. Submissions are
/// remembered as they are made: an update submitted and cancelled between
/// two steps of the worker is gone from the scheduler before the worker
/// writes its events, which would otherwise have no name.
static RECENT: Mutex<Recent> = Mutex::new(Recent(Deque::new()));

impl Recent {
    /// Remembers `subject` as `id`'s, in place of any older one.
    fn remember(&mut self, id: UpdateId, subject: Subject) {
        if let Some(known) = self.0.iter_mut().find(|(known, _)| *known == id) {
            known.1 = subject;
            return;
        }
        if self.0.is_full() {
            self.0.pop_front();
        }
        let _ = self.0.push_back((id, subject));
    }

    /// The subject of `id`: from the scheduler while it holds the update
    /// (and remembered), else as last remembered.
    fn subject(&mut self, scheduler: &KernelScheduler, id: UpdateId) -> Option<Subject> {
        if let Some(info) = scheduler.get(id) {
            let subject = Subject::of(&info.record);
            if !self.0.iter().any(|(known, _)| *known == id) {
                self.remember(id, subject.clone());
            }
            return Some(subject);
        }
        self.0
            .iter()
            .find(|(known, _)| *known == id)
            .map(|(_, subject)| subject.clone())
    }
}

/// The subject of update `id`, for an event line: from `scheduler` (the
/// worker's, under the service's lock) while it holds the update, else as
/// remembered from its submission or an earlier look.
pub(crate) fn subject(scheduler: &KernelScheduler, id: UpdateId) -> Option<Subject> {
    RECENT.lock().subject(scheduler, id)
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::string::ToString;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::MutexGuard;

    use update_sched::config::{Config, ConfigError, Profile};
    use update_sched::event::{Event, TimedEvent};
    use update_sched::scheduler::{CommandError, SubmitError, UpdateState};
    use update_sched::update::UpdateRecord;
    use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

    use super::{ApiError, Holder, Recent, Subject, MAX_SUBSCRIBERS, RECENT_SUBJECTS};
    use crate::{clock, host};

    /// Holds the kernel's statics, with a fresh scheduler and the clock at
    /// boot.
    fn fresh() -> MutexGuard<'static, ()> {
        let statics = host::statics();
        clock::release();
        super::start(Config::preset(Profile::Basic), Some(Profile::Basic), 1)
            .expect("the preset is valid");
        statics
    }

    fn record(id: u32) -> UpdateRecord {
        UpdateRecord::new(
            UpdateId(id),
            "curl",
            UpdateKind::Application,
            Priority::Low,
            Duration::from_minutes(5),
            Instant::ZERO,
        )
    }

    /// A security update named `name`, available at 1 s.
    fn named(id: u32, name: &str) -> UpdateRecord {
        UpdateRecord::new(
            UpdateId(id),
            name,
            UpdateKind::Security,
            Priority::Security,
            Duration::from_minutes(20),
            Instant::from_millis(1_000),
        )
    }

    fn subject(id: u32, name: &str) -> Subject {
        Subject::of(&named(id, name))
    }

    #[test]
    fn test_api_errors_read_as_sentences() {
        assert_eq!(
            ApiError::NotStarted.to_string(),
            "the update service is not running"
        );
        assert_eq!(
            ApiError::Submit(SubmitError::Duplicate).to_string(),
            format!("submit refused: {}", SubmitError::Duplicate)
        );
        assert_eq!(
            ApiError::Command(CommandError::UnknownId).to_string(),
            CommandError::UnknownId.to_string()
        );
        assert_eq!(
            ApiError::TooManySubscribers.to_string(),
            "all 8 subscriber slots are taken"
        );
        assert_eq!(
            ApiError::Revoked(Holder::DemoOperator).to_string(),
            "not authorized: the demo operator's authority was revoked"
        );
        assert_eq!(
            ApiError::AuthorityTaken(Holder::Console).to_string(),
            "not authorized: the console already holds its authority"
        );
    }

    #[test]
    fn test_holders_have_lower_case_names() {
        assert_eq!(Holder::Console.name(), "console");
        assert_eq!(Holder::DemoOperator.to_string(), "demo operator");
        assert_eq!(Holder::LoadScenario.to_string(), "load scenario");
    }

    #[test]
    fn test_an_invalid_configuration_is_refused_and_the_old_one_stays() {
        let _statics = fresh();
        let mut config = Config::preset(Profile::Server);
        config.max_concurrent = 0;
        let error = super::set_config(config, None).expect_err("invalid");
        assert_eq!(error, ApiError::Config(ConfigError::ConcurrencyOutOfRange));
        assert_eq!(
            error.to_string(),
            "invalid configuration: max_concurrent must be 1..=16"
        );
        let profile = super::with_service(|service| service.profile).expect("running");
        assert_eq!(profile, Some(Profile::Basic));
        super::set_profile(Profile::Server).expect("a preset");
        let profile = super::with_service(|service| service.profile).expect("running");
        assert_eq!(profile, Some(Profile::Server));
    }

    #[test]
    fn test_a_submission_in_the_past_is_available_now_and_asks_for_a_poll() {
        let _statics = fresh();
        super::take_poll_request();
        let now = clock::now();
        super::submit_trusted(&record(1)).expect("queued");
        assert_eq!(super::take_poll_request(), Some(now));
        assert_eq!(super::take_poll_request(), None);
        let info = super::info(UpdateId(1)).expect("held");
        assert_eq!(info.record.available_at, now);
        assert_eq!(
            super::submit_trusted(&record(1)),
            Err(ApiError::Submit(SubmitError::Duplicate))
        );
    }

    #[test]
    fn test_commands_on_an_unknown_update_are_refused() {
        let _statics = fresh();
        let unknown = ApiError::Command(CommandError::UnknownId);
        assert_eq!(super::info(UpdateId(5)).err(), Some(unknown));
        assert_eq!(super::state_of(UpdateId(5)), Err(unknown));
        assert_eq!(super::cancel(UpdateId(5)), Err(unknown));
        assert_eq!(super::reject(UpdateId(5)), Err(unknown));
        assert_eq!(
            super::defer(UpdateId(5), Duration::from_minutes(1)),
            Err(unknown)
        );
    }

    #[test]
    fn test_defer_past_the_latest_instant_is_too_late() {
        let _statics = fresh();
        super::submit_trusted(&record(2)).expect("queued");
        let until = super::defer(UpdateId(2), Duration::from_minutes(90)).expect("deferred");
        assert_eq!(
            until,
            clock::now().saturating_add(Duration::from_minutes(90))
        );
        assert_eq!(
            super::defer(UpdateId(2), Duration::from_millis(u64::MAX)),
            Err(ApiError::Command(CommandError::TooLate))
        );
        super::cancel(UpdateId(2)).expect("cancelled");
        assert_eq!(super::state_of(UpdateId(2)), Ok(UpdateState::Cancelled));
    }

    #[test]
    fn test_each_holder_gets_one_authority_and_a_revoked_one_is_refused() {
        let _statics = fresh();
        // The load scenario's authority: no other test takes it.
        let authority = super::authority(Holder::LoadScenario).expect("the first");
        assert_eq!(authority.holder(), Holder::LoadScenario);
        assert_eq!(
            super::authority(Holder::LoadScenario).err(),
            Some(ApiError::AuthorityTaken(Holder::LoadScenario))
        );
        super::submit(&record(3), &authority).expect("queued");
        super::revoke(Holder::LoadScenario);
        assert_eq!(
            super::submit(&record(4), &authority),
            Err(ApiError::Revoked(Holder::LoadScenario))
        );
        assert_eq!(
            super::approve(UpdateId(3), &authority),
            Err(ApiError::Revoked(Holder::LoadScenario))
        );
        assert!(super::state_of(UpdateId(4)).is_err());
    }

    static SEEN: AtomicU32 = AtomicU32::new(0);

    fn count(event: &TimedEvent) {
        if let Event::Completed { id } = event.event {
            SEEN.fetch_add(id.0, Ordering::Relaxed);
        }
    }

    #[test]
    fn test_subscribers_are_called_until_unsubscribed_and_slots_run_out() {
        let _statics = fresh();
        let completed = TimedEvent {
            at: Instant::ZERO,
            event: Event::Completed { id: UpdateId(5) },
        };
        let before = SEEN.load(Ordering::Relaxed);
        let first = super::subscribe(count).expect("a free slot");
        super::publish(&completed);
        assert_eq!(SEEN.load(Ordering::Relaxed), before + 5);
        super::unsubscribe(first).expect("subscribed");
        assert_eq!(
            super::unsubscribe(first),
            Err(ApiError::UnknownSubscription)
        );
        super::publish(&completed);
        assert_eq!(SEEN.load(Ordering::Relaxed), before + 5);
        let mut taken = std::vec::Vec::new();
        while let Ok(subscription) = super::subscribe(count) {
            taken.push(subscription);
        }
        assert!(taken.len() <= MAX_SUBSCRIBERS);
        assert_eq!(super::subscribe(count), Err(ApiError::TooManySubscribers));
        for subscription in taken {
            super::unsubscribe(subscription).expect("subscribed");
        }
    }

    #[test]
    fn test_recent_subjects_keep_the_newest_and_replace_in_place() {
        let mut recent = Recent(heapless::Deque::new());
        for id in 0..RECENT_SUBJECTS as u32 + 1 {
            recent.remember(UpdateId(id), subject(id, "app"));
        }
        assert_eq!(recent.0.len(), RECENT_SUBJECTS);
        assert!(recent.0.iter().all(|(id, _)| *id != UpdateId(0)));
        // Remembering a known id again replaces it, dropping nothing.
        recent.remember(UpdateId(1), subject(1, "renamed"));
        assert_eq!(recent.0.len(), RECENT_SUBJECTS);
        assert_eq!(recent.0.front().map(|(id, _)| *id), Some(UpdateId(1)));
        assert_eq!(
            recent.0.front().map(|(_, subject)| subject.name.as_str()),
            Some("renamed")
        );
    }

    #[test]
    fn test_recent_subject_comes_from_the_scheduler_then_from_memory() {
        let mut scheduler = std::boxed::Box::new(
            super::KernelScheduler::new(Config::preset(Profile::Basic)).expect("valid"),
        );
        let mut recent = Recent(heapless::Deque::new());
        assert!(recent.subject(&scheduler, UpdateId(8)).is_none());
        scheduler
            .submit(&named(8, "glibc"), Instant::ZERO)
            .expect("queued");
        let held = recent.subject(&scheduler, UpdateId(8)).expect("held");
        assert_eq!(held.name.as_str(), "glibc");
        scheduler
            .cancel(UpdateId(8), Instant::ZERO)
            .expect("cancelled");
        let empty = std::boxed::Box::new(
            super::KernelScheduler::new(Config::preset(Profile::Basic)).expect("valid"),
        );
        let remembered = recent.subject(&empty, UpdateId(8)).expect("remembered");
        assert_eq!(remembered.name.as_str(), "glibc");
        assert_eq!(remembered.available_at, Instant::from_millis(1_000));
    }
}
