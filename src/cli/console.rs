//! Standard output and standard error as a well-behaved command-line tool uses them.
//!
//! - A closed pipe on stdout (`regionsim run ... | head -1`) is not an error: printing stops quietly, the
//!   verb carries on (its output folder is still written) and the exit code is the verb's own.
//! - Any other failure to write stdout (a full disk, `>/dev/full`, a closed descriptor) is an I/O
//!   error: printing stops, the message is printed once on stderr at the end and the exit code is 2.
//! - A closed or failing stderr is ignored: there is nowhere left to report it.
//!
//! Nothing here panics, unlike `println!` on a closed stream.

use std::io::Write;
use std::sync::Mutex;

use crate::cli::args::exit;

/// What has happened to stdout so far.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Every write succeeded.
    Open,
    /// The reader went away: print nothing more, and do not complain.
    PipeClosed,
    /// A write failed for another reason: print nothing more, and fail with this message.
    Failed(String),
}

static STDOUT: Mutex<State> = Mutex::new(State::Open);

fn state() -> std::sync::MutexGuard<'static, State> {
    STDOUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Writes `text` to stdout and flushes it; after the first failure nothing more is written.
pub fn out(text: &str) {
    let mut state = state();
    if *state != State::Open {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        *state = match e.kind() {
            std::io::ErrorKind::BrokenPipe => State::PipeClosed,
            _ => State::Failed(e.to_string()),
        };
    }
}

/// Writes one line to stderr, ignoring a closed or failing stream.
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}").and_then(|()| stderr.flush());
}

/// The exit code once a verb has returned `code`: [`exit::ERROR`] (with the message on stderr) if stdout
/// could not be written for a reason other than a closed pipe, otherwise `code`.
pub fn finish(code: i32) -> i32 {
    let failed = match &*state() {
        State::Failed(message) => Some(message.clone()),
        State::Open | State::PipeClosed => None,
    };
    match failed {
        Some(message) => {
            err(&format!("error: cannot write to standard output: {message}"));
            exit::ERROR
        }
        None => code,
    }
}
