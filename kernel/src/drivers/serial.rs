//! COM1 serial port: the kernel's console output and input.
//!
//! One `spin::Mutex` guards the port. It is always taken with interrupts
//! disabled, so an interrupt handler that prints can never spin on a lock
//! held by the code it interrupted, and it is the last lock in the
//! kernel's lock order (see `kernel/README.md`): it is held only while
//! bytes go out, never while text is formatted, so no other lock is ever
//! taken under it.

use core::fmt::{self, Write};

use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::{Config, Uart16550};
use x86_64::instructions::interrupts;

/// The I/O port base of COM1 on every PC.
const COM1_BASE: u16 = 0x3f8;

/// How many times the panic path tries the lock before taking it by force.
const PANIC_LOCK_ATTEMPTS: u32 = 1_000_000;

/// COM1, once [`init`] has run.
static COM1: Mutex<Option<Port>> = Mutex::new(None);

/// A UART that turns `\n` into `\r\n`, since QEMU puts a terminal on
/// `-serial stdio` into raw mode.
struct Port(Uart16550<PioBackend>);

impl Write for Port {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for line_piece in text.split_inclusive('\n') {
            match line_piece.strip_suffix('\n') {
                Some(body) => {
                    self.0.send_bytes_exact(body.as_bytes());
                    self.0.send_bytes_exact(b"\r\n");
                }
                None => self.0.send_bytes_exact(line_piece.as_bytes()),
            }
        }
        Ok(())
    }
}

/// Initialises COM1 (115200 8N1, FIFOs on). Safe to call more than once.
pub fn init() {
    interrupts::without_interrupts(|| {
        let mut slot = COM1.lock();
        if slot.is_some() {
            return;
        }
        // SAFETY: 0x3f8 is COM1 on the PC platform QEMU emulates, all eight
        // of its registers are valid port addresses, and this static is the
        // only owner of the port for the life of the kernel.
        let created = unsafe { Uart16550::new_port(COM1_BASE) };
        if let Ok(mut uart) = created {
            if uart.init(Config::default()).is_ok() {
                *slot = Some(Port(uart));
            }
        }
    });
}

/// Writes formatted text to COM1; used by [`crate::serial_print!`].
///
/// Output before [`init`], or on a machine without COM1, is dropped: there
/// is nowhere else to send it. The port's lock is taken for each piece of
/// text on its own ([`write_str`]), never while `args` is being formatted:
/// a `Display` that takes another lock cannot nest it inside this one.
#[cfg(not(test))]
pub fn print(args: fmt::Arguments) {
    // `Pieces::write_str` never fails.
    let _ = Pieces.write_fmt(args);
}

/// Writes `text` to COM1, holding the port's lock (with interrupts
/// disabled) only while the bytes go out.
#[cfg(not(test))]
pub fn write_str(text: &str) {
    interrupts::without_interrupts(|| {
        if let Some(port) = COM1.lock().as_mut() {
            // Port::write_str never fails.
            let _ = port.write_str(text);
        }
    });
}

/// Formatted output, each piece written by [`write_str`].
#[cfg(not(test))]
struct Pieces;

#[cfg(not(test))]
impl Write for Pieces {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        write_str(text);
        Ok(())
    }
}

/// The next byte typed at the console, if one has arrived. Input is
/// polled: the main loop reads after every timer tick, and the UART (and
/// QEMU behind it) holds what arrives in between.
#[cfg(not(test))]
pub fn try_receive_byte() -> Option<u8> {
    interrupts::without_interrupts(|| {
        COM1.lock()
            .as_mut()
            .and_then(|port| port.0.try_receive_byte().ok())
    })
}

/// In a host test: appends to the test thread's captured output.
#[cfg(test)]
pub fn print(args: fmt::Arguments) {
    crate::host::print(args);
}

/// In a host test: appends `text` to the test thread's captured output.
#[cfg(test)]
pub fn write_str(text: &str) {
    crate::host::print(format_args!("{text}"));
}

/// In a host test: the next byte the test typed, if any.
#[cfg(test)]
pub fn try_receive_byte() -> Option<u8> {
    crate::host::receive_byte()
}

/// Writes one line from the panic path, even if the lock is held.
///
/// A panic can strike while this CPU holds the lock (inside a print). The
/// kernel runs on one CPU and the panicking code never returns to the
/// holder, so after a bounded wait the lock is taken by force rather than
/// losing the panic message to a deadlock.
pub fn panic_println(args: fmt::Arguments) {
    interrupts::disable();
    for _ in 0..PANIC_LOCK_ATTEMPTS {
        if let Some(mut guard) = COM1.try_lock() {
            write_line(&mut guard, args);
            return;
        }
        core::hint::spin_loop();
    }
    // SAFETY: single CPU, interrupts off, and the holder can never run
    // again: nothing else can observe the port while we use it.
    unsafe { COM1.force_unlock() };
    write_line(&mut COM1.lock(), args);
}

fn write_line(slot: &mut Option<Port>, args: fmt::Arguments) {
    if slot.is_none() {
        // The panic came before init(): try to bring the port up now.
        // SAFETY: as in `init`; we are the only code running.
        if let Ok(mut uart) = unsafe { Uart16550::new_port(COM1_BASE) } {
            if uart.init(Config::default()).is_ok() {
                *slot = Some(Port(uart));
            }
        }
    }
    if let Some(port) = slot.as_mut() {
        let _ = port.write_str("\n");
        let _ = port.write_fmt(args);
        let _ = port.write_str("\n");
    }
}

/// Prints to the serial console.
#[macro_export]
macro_rules! serial_print {
    ($($arg:tt)*) => {
        $crate::drivers::serial::print(format_args!($($arg)*))
    };
}

/// Prints a line to the serial console.
#[macro_export]
macro_rules! serial_println {
    () => ($crate::serial_print!("\n"));
    ($($arg:tt)*) => ($crate::serial_print!("{}\n", format_args!($($arg)*)));
}

#[cfg(test)]
mod tests {
    use crate::host;

    #[test]
    fn test_serial_output_is_captured_with_bare_newlines() {
        host::take_output();
        serial_print!("> ");
        serial_println!("status {}", 7);
        serial_println!();
        assert_eq!(host::take_output(), "> status 7\n\n");
        assert_eq!(host::take_output(), "");
    }

    #[test]
    fn test_typed_bytes_are_received_in_order_then_none() {
        host::type_bytes(b"ab");
        host::type_bytes(b"\r");
        let received: std::vec::Vec<Option<u8>> =
            (0..4).map(|_| super::try_receive_byte()).collect();
        assert_eq!(received, [Some(b'a'), Some(b'b'), Some(b'\r'), None]);
    }

    #[test]
    fn test_output_and_input_belong_to_their_thread() {
        host::take_output();
        host::type_bytes(b"x");
        std::thread::spawn(|| {
            serial_print!("elsewhere");
            assert_eq!(super::try_receive_byte(), None);
        })
        .join()
        .expect("the other thread ran");
        assert_eq!(host::take_output(), "");
        assert_eq!(host::receive_byte(), Some(b'x'));
    }
}
