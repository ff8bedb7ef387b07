//! Stage 6, the command line: arguments as typed (clap, in `args`), and the verbs that turn them into
//! library calls and outputs (`verbs`). `main` only maps a verb's outcome to an exit code.

pub mod args;
pub mod console;
pub mod examples;
pub mod explain;
pub mod outputs;
pub mod shard;
pub mod trace;
pub mod verbs;

pub use args::{Cli, Command, exit};
