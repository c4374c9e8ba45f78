//! Output sinks: where a module's lines go is its caller's choice.
//!
//! A module below the console never prints on its own: it writes to an
//! [`Out`] it is handed, and the layer that owns the screen decides where
//! that goes (straight to COM1 at boot, above the console's prompt once
//! the console runs). So output never pulls a lower layer up to the
//! console, and a caller can see from a function's arguments that it
//! prints.
//!
//! A sink that fails loses the line, never the caller's work: [`line()`]
//! ignores the error.

use core::fmt;

use crate::drivers::serial;

/// The sink a module writes its lines to.
pub type Out<'a> = &'a mut dyn fmt::Write;

/// COM1 as a sink, for boot-time output before the console runs.
///
/// Each piece of text is written under the port's lock on its own, so
/// the formatting between pieces (which may read other state, and take
/// its locks) never runs with the port held.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

impl fmt::Write for Serial {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        serial::write_str(text);
        Ok(())
    }
}

/// Writes `args` and a line break to `out`.
pub fn line(out: &mut dyn fmt::Write, args: fmt::Arguments<'_>) {
    let _ = writeln!(out, "{args}");
}
