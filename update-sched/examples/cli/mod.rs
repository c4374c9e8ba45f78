//! Command-line plumbing the examples share: reading arguments, writing
//! the report, quoting text back safely.

use std::io::Write as _;

/// The command line's arguments after the program's name, or the message
/// for one that is not UTF-8 text (`std::env::args` would panic on it).
pub fn arguments() -> Result<Vec<String>, String> {
    std::env::args_os()
        .skip(1)
        .enumerate()
        .map(|(index, arg)| {
            arg.into_string().map_err(|arg| {
                format!(
                    "argument {} is not UTF-8 text: `{}`",
                    index + 1,
                    arg.to_string_lossy()
                )
            })
        })
        .collect()
}

/// Writes `text` to standard output. A reader that went away early (`|
/// head`) is no error: the output was wanted only so far. Any other
/// failure (a full disk) is, rather than a panic in `print!` or a report
/// lost without a word.
pub fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {error}"))
        }
        _ => Ok(()),
    }
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`): an
/// argument or file name quoted back stays on one line and cannot move
/// the terminal's cursor or clear its screen.
pub fn escaped(text: &str) -> String {
    text.chars()
        .map(|character| {
            if character.is_control() {
                character.escape_default().to_string()
            } else {
                character.to_string()
            }
        })
        .collect()
}
