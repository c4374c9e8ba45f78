//! Test kernel: the approval capability and the audit ring, through the
//! kernel API as another subsystem would use them.
//!
//! Each check prints `test-authority: ok <what>` or
//! `test-authority: FAILED <what>: <detail>`; the kernel exits with
//! success only if every check passed.
#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};
use kernel::audit::{self, What};
use kernel::update::{self, ApiError, Holder};
use kernel::{qemu, serial_println};
use update_sched::config::{Config, Profile};
use update_sched::scheduler::UpdateState;
use update_sched::update::{UpdateFlags, UpdateRecord};
use update_sched::{Duration, Instant, Priority, UpdateId, UpdateKind};

entry_point!(kernel_main, config = &kernel::BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    kernel::init(boot_info);
    let mut failed = 0;
    let mut check = |what: &str, passed: bool, detail: core::fmt::Arguments<'_>| {
        if passed {
            serial_println!("test-authority: ok {what}");
        } else {
            failed += 1;
            serial_println!("test-authority: FAILED {what}: {detail}");
        }
    };

    let started = update::start(Config::preset(Profile::Desktop), Some(Profile::Desktop), 1);
    check(
        "service starts",
        started.is_ok(),
        format_args!("{started:?}"),
    );

    let console = update::authority(Holder::Console);
    check(
        "a holder gets its authority",
        console.is_ok(),
        format_args!("{console:?}"),
    );
    let Ok(console) = console else {
        qemu::exit(qemu::ExitCode::Failure)
    };
    let again = update::authority(Holder::Console);
    check(
        "a second one is refused",
        matches!(again, Err(ApiError::AuthorityTaken(Holder::Console))),
        format_args!("{again:?}"),
    );

    let mut record = UpdateRecord::new(
        UpdateId(7),
        "openssl",
        UpdateKind::Security,
        Priority::Optional,
        Duration::from_minutes(10),
        Instant::ZERO,
    );
    record.flags |= UpdateFlags::NEEDS_APPROVAL;
    let submitted = update::submit(&record, &console);
    check(
        "submit with authority",
        submitted.is_ok(),
        format_args!("{submitted:?}"),
    );
    let state = update::state_of(UpdateId(7));
    check(
        "it waits for approval",
        state == Ok(UpdateState::AwaitingApproval),
        format_args!("{state:?}"),
    );

    update::revoke(Holder::Console);
    let refused = update::approve(UpdateId(7), &console);
    check(
        "an approval with a revoked authority is refused",
        matches!(refused, Err(ApiError::Revoked(Holder::Console))),
        format_args!("{refused:?}"),
    );
    let state = update::state_of(UpdateId(7));
    check(
        "and changes nothing",
        state == Ok(UpdateState::AwaitingApproval),
        format_args!("{state:?}"),
    );
    record.id = UpdateId(8);
    let refused = update::submit(&record, &console);
    check(
        "so is a submit",
        matches!(refused, Err(ApiError::Revoked(Holder::Console))),
        format_args!("{refused:?}"),
    );

    let operator = update::authority(Holder::DemoOperator);
    let approved = operator
        .as_ref()
        .map_err(|error| *error)
        .and_then(|operator| update::approve(UpdateId(7), operator));
    check(
        "another designated holder approves",
        approved.is_ok(),
        format_args!("{approved:?}"),
    );
    let mut approval_audited = false;
    audit::for_each_last(usize::MAX, |record| {
        approval_audited |= record.what == What::Approved
            && record.id == Some(UpdateId(7))
            && record.detail.contains("demo operator");
    });
    check(
        "the audit log says who approved",
        approval_audited,
        format_args!("no APPROVED #7 by the demo operator"),
    );

    let (_, before, _) = audit::counts();
    for i in 0..300u32 {
        audit::record(
            What::Rejected,
            Some(UpdateId(i)),
            format_args!("filler {i}"),
        );
    }
    let (kept, total, dropped) = audit::counts();
    check(
        "a full audit ring counts what it drops",
        kept == audit::CAPACITY && total == before + 300 && dropped == total - kept as u64,
        format_args!("kept {kept} total {total} dropped {dropped}"),
    );
    let mut oldest = None;
    audit::for_each_last(audit::CAPACITY, |record| {
        oldest.get_or_insert(record.id);
    });
    check(
        "and keeps the newest",
        oldest == Some(Some(UpdateId(300 - audit::CAPACITY as u32))),
        format_args!("oldest kept {oldest:?}"),
    );

    if failed == 0 {
        qemu::exit(qemu::ExitCode::Success)
    }
    qemu::exit(qemu::ExitCode::Failure)
}
