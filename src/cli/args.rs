//! The command line: arguments as typed (clap), turned into library calls. `main` only maps the outcome
//! to an exit code.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes (docs/architecture.md#errors-and-exit-codes). An inconclusive objective (its 95% CI straddles the target) is
/// not a miss: `run` and `compare` exit 1 only when an objective surely fails; `sweep` never exits 1.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The run finished but a stated objective was missed.
    pub const OBJECTIVE_MISSED: i32 = 1;
    /// Usage, input or I/O error.
    pub const ERROR: i32 = 2;
}

/// Most worker threads `--threads` accepts: beyond, threads only cost memory and start-up time.
pub const MAX_THREADS: usize = 1024;

/// A whole number in `1..=max`, or a message saying what is expected (clap prefixes the flag's name).
fn bounded(raw: &str, max: u64, zero_hint: &str) -> Result<u64, String> {
    let n: i128 = raw.trim().parse().map_err(|_| format!("expected a whole number from 1 to {max}"))?;
    if n < 1 {
        return Err(format!("must be at least 1 (got {n}){zero_hint}"));
    }
    if n > i128::from(max) {
        return Err(format!("must be at most {max} (got {n})"));
    }
    Ok(n as u64)
}

/// `--replications N`: 1 to [`MAX_REPLICATIONS`](crate::model::scenario::MAX_REPLICATIONS).
fn parse_replications(raw: &str) -> Result<u32, String> {
    let max = u64::from(crate::model::scenario::MAX_REPLICATIONS);
    bounded(raw, max, "; 20 or more give useful confidence intervals").map(|n| n as u32)
}

/// `--threads N`: 1 to [`MAX_THREADS`].
fn parse_threads(raw: &str) -> Result<usize, String> {
    bounded(raw, MAX_THREADS as u64, "; leave --threads out to use every core").map(|n| n as usize)
}

/// The command line: one subcommand and its arguments.
#[derive(Debug, Parser)]
#[command(
    name = "regionsim",
    version,
    about = "What happens to our users when a region fails? Discrete-event Monte Carlo of multi-region architectures.",
    after_help = "Exit codes: 0 success, 1 an objective was missed (run, compare; inconclusive is not a miss), 2 usage, input or I/O error."
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, one per verb.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a model (and a scenario) and print every problem; no side effects.
    Validate {
        /// The model file (RON), e.g. models/single-region.ron.
        model: PathBuf,
        /// The scenario file (RON), e.g. scenarios/zone-outage.ron.
        scenario: Option<PathBuf>,
        /// The `--set` overrides.
        #[command(flatten)]
        overrides: OverrideArgs,
    },
    /// Simulate a scenario on a model and write results to `output/<model>--<scenario>/`.
    Run(RunArgs),
    /// Re-render the table, CSV, charts and HTML report from a results file, without simulating again.
    Report(ReportArgs),
    /// Run several designs on one scenario with common random numbers and compare them side by side,
    /// with paired confidence intervals of each difference against the first design.
    Compare(CompareArgs),
    /// Run a grid of variants of one design (`--vary`), with common random numbers, and chart each
    /// metric against the varied parameter.
    Sweep(SweepArgs),
    /// Merge the partial files of a study's shards (`--shard`) into the outputs one process would have
    /// written, byte for byte.
    Merge(MergeArgs),
    /// Classify every fault domain of a model (instance, zone, region, store copy, dependency copy, CDN
    /// edge, control plane, the DNS layer) per population: redundant, ignorable or cascading, with the reason, the blast
    /// radius and the survivors' headroom under the scenario's traffic, and a chart of the impact per
    /// fault domain; writes `output/explain--<model>[--<scenario>]/`.
    Explain(ExplainArgs),
    /// Follow one replication event by event: a narrated timeline (printed, and written as
    /// `trace.md`, `trace.html` and a chart) and every event as JSON lines (`trace.jsonl`), in
    /// `output/trace--<model>--<scenario>/`. Tracing changes nothing: it is the replication a run
    /// report of the same study shows (its "What happened" section says which).
    Trace(TraceArgs),
    /// List the models and scenarios built into regionsim (any verb takes their names, e.g.
    /// `regionsim run single-region zone-outage`), or copy them into a folder.
    Examples {
        /// What to do with them (default: list them).
        #[command(subcommand)]
        action: Option<ExamplesAction>,
    },
    /// Print a shell completion script, e.g. `regionsim completions bash > ~/.local/share/bash-completion/completions/regionsim`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `regionsim man > regionsim.1; man ./regionsim.1`.
    Man,
}

/// What `regionsim examples` does.
#[derive(Debug, Subcommand)]
pub enum ExamplesAction {
    /// List them (the default).
    List,
    /// Copy every model and scenario into DIR (as models/... and scenarios/...), overwriting nothing.
    Copy {
        /// The folder to copy into (created if missing).
        dir: PathBuf,
    },
}

/// Options shared by the commands that simulate.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// The `--set` overrides.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Number of replications (overrides the scenario's), 1 to 100,000.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_replications)]
    pub replications: Option<u32>,
    /// Master seed (overrides the scenario's).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run one shard of the study and write its partial file into the --out folder (for `regionsim
    /// merge`): `I/N` is shard I of N, from 0 (contiguous ranges of replications; of points ×
    /// replications for sweep); `auto` reads a scheduler's array index (SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX with --shards, AWS_BATCH_JOB_ARRAY_INDEX and
    /// AWS_BATCH_JOB_ARRAY_SIZE). See docs/scale-out.md.
    #[arg(long, value_name = "I/N|auto", value_parser = parse_shard)]
    pub shard: Option<ShardArg>,
    /// With `--shard auto` and JOB_COMPLETION_INDEX (a Kubernetes Indexed Job): the number of shards
    /// (the Job's completions).
    #[arg(long, value_name = "N", value_parser = parse_shards)]
    pub shards: Option<u32>,
}

/// `--shard`: a shard given, or `auto` (read from the scheduler's environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardArg {
    /// `I/N`: shard `index` of `count`, from 0.
    Fixed {
        /// From 0.
        index: u32,
        /// At least 1.
        count: u32,
    },
    /// `auto`.
    Auto,
}

/// Most shards a study may be split into.
pub const MAX_SHARDS: u32 = 100_000;

/// `--shard I/N` (I from 0 to N − 1) or `--shard auto`.
pub fn parse_shard(raw: &str) -> Result<ShardArg, String> {
    let raw = raw.trim();
    if raw == "auto" {
        return Ok(ShardArg::Auto);
    }
    let (i, n) = raw.split_once('/').ok_or("expected I/N (shard I of N, from 0, e.g. 0/4) or auto")?;
    let number = |what: &str, s: &str| -> Result<u32, String> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("{what} '{}' is not a whole number (expected I/N, e.g. 0/4)", s.trim()))
    };
    let (index, count) = (number("the index", i)?, number("the count", n)?);
    shard_checked(index, count)
}

/// A shard index and count, checked: at least one shard, at most [`MAX_SHARDS`], the index below
/// the count.
pub fn shard_checked(index: u32, count: u32) -> Result<ShardArg, String> {
    if count == 0 {
        return Err(format!("{index}/0: the number of shards must be at least 1"));
    }
    if count > MAX_SHARDS {
        return Err(format!("{index}/{count}: at most {MAX_SHARDS} shards"));
    }
    if index >= count {
        return Err(format!(
            "{index}/{count}: shard {index} does not exist: the {count} shard{} are numbered 0 to {}",
            if count == 1 { "" } else { "s" },
            count - 1
        ));
    }
    Ok(ShardArg::Fixed { index, count })
}

/// `--shards N`: 1 to [`MAX_SHARDS`].
fn parse_shards(raw: &str) -> Result<u32, String> {
    bounded(raw, u64::from(MAX_SHARDS), "").map(|n| n as u32)
}

/// Arguments of `regionsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Every shard's partial file (written by run, compare or sweep with --shard), in any order.
    #[arg(required = true, value_name = "PARTIAL")]
    pub partials: Vec<PathBuf>,
    /// Output folder: the files the study would have written without shards, byte for byte.
    #[arg(long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `regionsim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more model files (RON); the first is the baseline the differences are taken against.
    #[arg(required = true, num_args = 2.., value_name = "MODEL")]
    pub models: Vec<PathBuf>,
    /// The scenario file (RON) every design runs.
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// Options shared by the commands that simulate.
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: `output/compare--<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Arguments of `regionsim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The model file (RON).
    pub model: PathBuf,
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// A parameter to vary and its values, applied like --set: `PATH=V1,V2,...` or `PATH=FROM..TO:STEP`
    /// (e.g. `services[api].deployments[us-east-1].instances=4..10:1`). Repeatable: every combination
    /// runs; charts put the first against each metric.
    #[arg(long, required = true, value_name = "PATH=VALUES")]
    pub vary: Vec<String>,
    /// Options shared by the commands that simulate.
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: `output/sweep--<model>--<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Arguments of `regionsim report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results.json written by `regionsim run`.
    pub results: PathBuf,
    /// Re-price the results: change a price of the model, e.g.
    /// `--set 'services[api].price_usd_per_hour=0.12'` or `--set prices.downtime_usd_per_hour=5000`.
    /// Only prices may change (nothing is simulated again). Repeatable.
    #[arg(long = "set", value_name = "PATH=PRICE")]
    pub set: Vec<String>,
    /// Output folder (default: the folder holding the results file).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The `--set PATH=VALUE` overrides of the model or scenario.
#[derive(Debug, Args)]
pub struct OverrideArgs {
    /// Override a value of the model or scenario before validation, e.g.
    /// `services[api].deployments[us-east-1].instances=6` or `traffic.rate_per_s=450`. Repeatable; applied
    /// in order. Prefix the path with `model.` or `scenario.` when both files have the field.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// Arguments of `regionsim explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The model file (RON).
    pub model: PathBuf,
    /// The scenario file (RON) whose traffic judges the survivors' headroom.
    pub scenario: Option<PathBuf>,
    /// The `--set` overrides.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Output folder (default: `output/explain--<model>[--<scenario>]`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also inject each fault domain's failure into the scenario (its outages replaced, 60 s after the
    /// warm-up, for `--duration`), with common random numbers, and rank them by measured availability
    /// loss; a measurement that contradicts the static classification is flagged. Needs a scenario.
    #[arg(long)]
    pub simulate: bool,
    /// How long each injected failure lasts with `--simulate` \[s\] (default 600).
    #[arg(long, value_name = "S", default_value_t = 600.0)]
    pub duration: f64,
    /// Worker threads for `--simulate`, 1 to 1024 (default: all cores).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// An instant of a replication: seconds (`1800`), a clock (`00:30:00`, `30:00`, as the narration
/// prints it) or a number with a unit (`90s`, `30min`, `2h`, `1d`). A hand-written parser: the three
/// forms a trace's readers type, of which a duration crate (humantime) reads only the last.
pub fn parse_instant(raw: &str) -> Result<f64, String> {
    let raw = raw.trim();
    let bad = || format!("'{raw}' is not an instant: write seconds (1800), a clock (00:30:00) or 30min, 2h");
    let value = if raw.contains(':') {
        let parts: Vec<&str> = raw.split(':').collect();
        if parts.len() > 3 {
            return Err(bad());
        }
        let mut total = 0.0;
        for (k, p) in parts.iter().enumerate() {
            let v: f64 = p.parse().map_err(|_| bad())?;
            // Minutes and seconds below 60; the leading field may be any count.
            if k > 0 && !(0.0..60.0).contains(&v) {
                return Err(bad());
            }
            total = total * 60.0 + v;
        }
        total
    } else {
        let split = raw.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(raw.len());
        let (number, unit) = raw.split_at(split);
        let v: f64 = number.trim().parse().map_err(|_| bad())?;
        let scale = match unit.trim() {
            "" | "s" => 1.0,
            "min" | "m" => 60.0,
            "h" => 3_600.0,
            "d" => 86_400.0,
            _ => return Err(bad()),
        };
        v * scale
    };
    if value.is_finite() && value >= 0.0 { Ok(value) } else { Err(bad()) }
}

/// Arguments of `regionsim trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The model file (RON).
    pub model: PathBuf,
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// The `--set` overrides.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// The replication to follow, from 0 (a run report names the one it shows).
    #[arg(long, value_name = "R", default_value_t = 0)]
    pub replication: u32,
    /// Master seed (overrides the scenario's).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Follow from this instant (default: the start): seconds, `00:30:00` or `30min`.
    #[arg(long, value_name = "T", value_parser = parse_instant)]
    pub from: Option<f64>,
    /// Follow up to this instant (default: the horizon).
    #[arg(long, value_name = "T", value_parser = parse_instant)]
    pub to: Option<f64>,
    /// Output folder (default: `output/trace--<model>--<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `regionsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The model file (RON).
    pub model: PathBuf,
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// Options shared by the commands that simulate.
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: `output/<model>--<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn instants_read_in_the_forms_the_narration_prints() {
        assert_eq!(parse_instant("1800"), Ok(1800.0));
        assert_eq!(parse_instant("00:30:00"), Ok(1800.0));
        assert_eq!(parse_instant("30:00"), Ok(1800.0));
        assert_eq!(parse_instant("30min"), Ok(1800.0));
        assert_eq!(parse_instant("0.5h"), Ok(1800.0));
        assert_eq!(parse_instant("2d"), Ok(172_800.0));
        for bad in ["", "-5", "00:75:00", "1:2:3:4", "5 parsecs", "NaN", "inf"] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
    }
}
