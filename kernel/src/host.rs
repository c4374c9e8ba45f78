//! Host doubles for the kernel's unit tests, which run on the build
//! machine (`cargo test -p kernel --lib`), not under QEMU.
//!
//! Only the two hardware leaves the logic above them reaches are replaced:
//! the serial port (output captured and input typed per test thread, here)
//! and interrupt masking ([`crate::arch::without_interrupts`] just runs its
//! closure). Everything else is the kernel's own code.
//!
//! The kernel keeps its state in statics (the scheduler, the clock, the
//! audit log, the update channel, the line being edited). The test harness
//! runs tests on several threads at once, so a test that touches those
//! statics holds [`statics`] for its whole run.

use core::fmt::{self, Write};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::string::String;
use std::sync::{Mutex, MutexGuard, PoisonError};

std::thread_local! {
    /// What this thread printed: `\n` ends a line (the real port sends
    /// `\r\n`).
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
    /// What this thread typed and the console has not read yet.
    static INPUT: RefCell<VecDeque<u8>> = const { RefCell::new(VecDeque::new()) };
}

/// Held by every test that uses the kernel's statics.
static STATICS: Mutex<()> = Mutex::new(());

/// Takes the lock on the kernel's statics; a test that failed while
/// holding it does not fail the others.
pub fn statics() -> MutexGuard<'static, ()> {
    STATICS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Appends to this thread's output.
pub fn print(args: fmt::Arguments) {
    OUTPUT.with(|output| {
        // Writing to a `String` never fails.
        let _ = output.borrow_mut().write_fmt(args);
    });
}

/// Returns this thread's output so far and clears it.
pub fn take_output() -> String {
    OUTPUT.with(|output| core::mem::take(&mut *output.borrow_mut()))
}

/// Queues `bytes` as typed at the console, after anything still unread.
pub fn type_bytes(bytes: &[u8]) {
    INPUT.with(|input| input.borrow_mut().extend(bytes));
}

/// The next typed byte, if any.
pub fn receive_byte() -> Option<u8> {
    INPUT.with(|input| input.borrow_mut().pop_front())
}

#[cfg(test)]
mod tests {
    #[test]
    fn test_statics_lock_survives_a_test_that_panicked_holding_it() {
        let panicked = std::thread::spawn(|| {
            let _guard = super::statics();
            panic!("a failing test");
        })
        .join();
        assert!(panicked.is_err());
        drop(super::statics());
    }
}
