//! Writing to standard output without panicking when the reader goes away
//! (`cortado inspect f.root | head`).

use std::io::Write;

/// Appends a formatted line to a `String` (formatting into a `String` cannot fail).
macro_rules! wln {
    ($s:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($s, $($arg)*);
    }};
}
pub(crate) use wln;

/// Writes `text` to standard output; a closed pipe ends output quietly.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}
