//! Shards and their merge (docs/scale-out.md): `--shard I/N` (or `auto`, from a scheduler's array
//! index) runs one contiguous range of a study's work and writes its partial file; `regionsim merge`
//! checks a set of partials and feeds their replications, in index order, to the same aggregation a
//! single process uses, so it writes the same bytes.

use std::path::{Path, PathBuf};

use crate::analysis::report::{Aggregate, Inputs, Report};
use crate::analysis::{compare, objective, sweep};
use crate::cli::args::{MergeArgs, ShardArg, SimArgs, exit, shard_checked};
use crate::cli::console::err;
use crate::cli::outputs as verbs;
use crate::model::study::{self, Study};
use crate::present::bundle;
use crate::present::partial::{self, Plan, Shard, Verb, Writer};
use crate::sim::engine::SimError;
use crate::sim::montecarlo::{self, RunOptions};

/// The environment variables `--shard auto` reads, in the order it looks for them: (index, count) of
/// Slurm job arrays, Kubernetes Indexed Jobs (the count from `--shards`) and AWS Batch array jobs.
pub const SCHEDULERS: [(&str, Option<&str>); 3] = [
    ("SLURM_ARRAY_TASK_ID", Some("SLURM_ARRAY_TASK_COUNT")),
    ("JOB_COMPLETION_INDEX", None),
    ("AWS_BATCH_JOB_ARRAY_INDEX", Some("AWS_BATCH_JOB_ARRAY_SIZE")),
];

/// The shard `--shard` names: as given, or read from the scheduler's environment (`env` looks a
/// variable up) for `auto`; `--shards` must agree with the count when both are known.
pub fn resolve(
    arg: ShardArg,
    shards: Option<u32>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Shard, String> {
    let number = |name: &str| -> Result<Option<u32>, String> {
        match env(name) {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Err(format!("--shard auto: {name} is set but empty")),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .map(Some)
                .map_err(|_| format!("--shard auto: {name}={v} is not a whole number")),
        }
    };
    let (index, count) = match arg {
        ShardArg::Fixed { index, count } => {
            if let Some(n) = shards.filter(|&n| n != count) {
                return Err(format!("--shard {index}/{count} and --shards {n} disagree: give one of them"));
            }
            (index, count)
        }
        ShardArg::Auto => {
            let Some((name, count_name)) = SCHEDULERS.iter().find(|(name, _)| env(name).is_some()) else {
                return Err(format!(
                    "--shard auto: none of {} is set: run it as a scheduler's array task, or give --shard I/N",
                    SCHEDULERS.map(|(n, _)| n).join(", ")
                ));
            };
            let mut index = number(name)?.unwrap_or(0);
            let count = match count_name {
                Some(c) => {
                    let count =
                        number(c)?.ok_or_else(|| format!("--shard auto: {name} is set but {c} is not"))?;
                    if let Some(n) = shards.filter(|&n| n != count) {
                        return Err(format!("--shard auto: {c}={count} but --shards {n}: give one of them"));
                    }
                    count
                }
                None => shards.ok_or_else(|| {
                    format!("--shard auto: {name} gives the index but not the count: add --shards N (the Job's completions)")
                })?,
            };
            // A Slurm array numbered from 1 (or any first index) counts from its first task.
            if *name == "SLURM_ARRAY_TASK_ID"
                && let Some(min) = number("SLURM_ARRAY_TASK_MIN")?
            {
                index = index.checked_sub(min).ok_or_else(|| {
                    format!("--shard auto: SLURM_ARRAY_TASK_ID={index} is below SLURM_ARRAY_TASK_MIN={min}")
                })?;
            }
            (index, count)
        }
    };
    match shard_checked(index, count).map_err(|e| format!("--shard {e}"))? {
        ShardArg::Fixed { index, count } => Ok(Shard { index, count }),
        ShardArg::Auto => unreachable!("shard_checked returns a fixed shard"),
    }
}

/// The plan of a run's shards.
pub fn run_plan(study: &Study, overrides: &[String]) -> Plan {
    plan(Verb::Run, std::slice::from_ref(study), |_| overrides.to_vec())
}

/// The plan of a comparison's shards: every design.
pub fn compare_plan(studies: &[Study], overrides: &[String]) -> Plan {
    plan(Verb::Compare, studies, |_| overrides.to_vec())
}

/// The plan of a sweep's shards: every point, with its `--set`s as the sweep gives them.
pub fn sweep_plan(studies: &[Study], varies: &[sweep::Vary], grid: &[Vec<String>], base: &[String]) -> Plan {
    let mut p = plan(Verb::Sweep, studies, |i| sweep::point_sets(base, varies, &grid[i]));
    p.parameters = varies.to_vec();
    p.points = grid.to_vec();
    p
}

fn plan(verb: Verb, studies: &[Study], overrides: impl Fn(usize) -> Vec<String>) -> Plan {
    let first = &studies[0].scenario;
    Plan {
        verb,
        seed: first.seed,
        replications: first.replications,
        studies: studies.iter().enumerate().map(|(i, s)| Inputs::of(s, &overrides(i))).collect(),
        parameters: Vec::new(),
        points: Vec::new(),
    }
}

/// Why a shard stopped.
#[derive(Debug)]
enum Failure {
    Sim(SimError),
    Io(std::io::Error),
}

impl From<SimError> for Failure {
    fn from(e: SimError) -> Self {
        Failure::Sim(e)
    }
}

/// Runs one shard of `plan` and writes its partial into `out` (default: `<dir>.partials`).
pub fn run(
    arg: ShardArg,
    sim: &SimArgs,
    plan: Plan,
    studies: &[Study],
    out: Option<&Path>,
    dir: &Path,
) -> i32 {
    let shard = match resolve(arg, sim.shards, &|name| std::env::var(name).ok()) {
        Ok(s) => s,
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    let folder = out.map(Path::to_path_buf).unwrap_or_else(|| {
        let mut name = dir.as_os_str().to_owned();
        name.push(".partials");
        PathBuf::from(name)
    });
    let path = folder.join(shard.file_name());
    let (total, units) = (plan.units(), shard.units(plan.units()));
    let records = plan.records(units.clone());
    let (verb, n) = (plan.verb, plan.studies.len());
    let options = RunOptions { threads: sim.threads, progress: !sim.quiet };
    let written = Writer::create(&path, plan, shard).map_err(Failure::Io).and_then(|mut w| {
        for (s, reps) in records {
            let label = match verb {
                Verb::Run => format!("shard {shard}"),
                Verb::Compare => format!("shard {shard}, design {}/{n}", s + 1),
                Verb::Sweep => format!("shard {shard}, point {}/{n}", s + 1),
            };
            let study = &studies[s];
            montecarlo::for_each(&study.model, &study.scenario, reps, &label, &options, |o| {
                w.add(s, o).map_err(Failure::Io)
            })?;
        }
        w.commit().map_err(Failure::Io)
    });
    match written {
        Ok(p) => {
            if !sim.quiet {
                let what = match verb {
                    Verb::Sweep => "points × replications",
                    Verb::Run | Verb::Compare => "replications",
                };
                crate::cli::console::out(&format!(
                    "wrote shard {shard} ({what} {} to {} of {}) to {}\nmerge every shard with: regionsim merge {}/*.partial --out DIR\n",
                    units.start,
                    units.end,
                    total,
                    p.display(),
                    folder.display()
                ));
            }
            exit::OK
        }
        Err(Failure::Sim(e)) => {
            err(&format!("error: {e}"));
            exit::ERROR
        }
        Err(Failure::Io(e)) => {
            err(&format!("error: {}: {e}", path.display()));
            exit::ERROR
        }
    }
}

/// `regionsim merge PARTIAL... --out DIR`.
pub fn merge(args: &MergeArgs) -> i32 {
    let mut problems = Vec::new();
    let mut headers = Vec::new();
    for p in &args.partials {
        match partial::verify(p) {
            Ok(h) => headers.push((p.clone(), h)),
            Err(e) => problems.push(e.to_string()),
        }
    }
    let set = if problems.is_empty() {
        partial::check_set(headers).map_err(|more| problems.extend(more)).ok()
    } else {
        None
    };
    let Some(set) = set else {
        return refuse(&problems);
    };
    let plan = set[0].1.plan.clone();
    let name = set[0].0.display().to_string();
    let mut studies = Vec::new();
    for i in &plan.studies {
        match study::resolve_specs(
            &name,
            Path::new(&i.model_file),
            Path::new(&i.scenario_file),
            i.model.clone(),
            i.scenario.clone(),
        ) {
            Ok(s) => studies.push(s),
            Err(e) => problems.extend(e.0.iter().map(|e| e.to_string())),
        }
    }
    if !problems.is_empty() {
        return refuse(&problems);
    }
    if let Err(e) = bundle::check_target(&args.out) {
        err(&format!("error: {e}"));
        return exit::ERROR;
    }
    let reports = match aggregate(&plan, &studies, &set) {
        Ok(r) => r,
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    match plan.verb {
        Verb::Run => {
            let report = &reports[0];
            if let Err(code) = verbs::write_run(report, &args.out, args.quiet) {
                return code;
            }
            verbs::run_exit(report)
        }
        Verb::Compare => {
            let designs = compare::design_names(&studies)
                .into_iter()
                .zip(reports)
                .map(|(name, results)| compare::Design { name, results })
                .collect();
            verbs::write_compare(&compare::comparison(designs), &args.out, args.quiet)
        }
        Verb::Sweep => {
            let points = plan
                .points
                .iter()
                .zip(reports)
                .map(|(values, results)| sweep::Point { values: values.clone(), results })
                .collect();
            verbs::write_sweep(&sweep::sweep(plan.parameters.clone(), points), &args.out, args.quiet)
        }
    }
}

fn refuse(problems: &[String]) -> i32 {
    for p in problems {
        err(&format!("error: {p}"));
    }
    err(&format!(
        "error: {} problem{} found: nothing merged",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    ));
    exit::ERROR
}

/// Every study's report, objectives judged, from the shards' records fed in index order: each study's
/// aggregate is finished (and freed) as soon as its last replication arrives.
fn aggregate(
    plan: &Plan,
    studies: &[Study],
    set: &[(PathBuf, partial::Header)],
) -> Result<Vec<Report>, String> {
    let mut aggregates: Vec<Option<Aggregate>> = studies
        .iter()
        .enumerate()
        .map(|(i, s)| Some(Aggregate::new(s, &plan.studies[i].overrides)))
        .collect();
    let mut reports: Vec<Option<Report>> = studies.iter().map(|_| None).collect();
    let replications = plan.replications as usize;
    for (path, header) in set {
        let expected = plan.records(header.units[0]..header.units[1]);
        let mut expected = expected.iter().flat_map(|(s, reps)| reps.clone().map(move |r| (*s, r)));
        for record in partial::records(path).map_err(|e| e.to_string())? {
            let record = record.map_err(|e| e.to_string())?;
            if expected.next() != Some((record.study, record.replication)) {
                return Err(format!(
                    "{}: record of study {} replication {} out of place: the file was altered after it was written",
                    path.display(),
                    record.study,
                    record.replication
                ));
            }
            let Some(aggregate) = aggregates.get_mut(record.study).and_then(Option::as_mut) else {
                return Err(format!("{}: a record of study {} after its last", path.display(), record.study));
            };
            aggregate.add(&record.observations);
            if aggregate.len() == replications
                && let Some(done) = aggregates[record.study].take()
            {
                let study = &studies[record.study];
                let report = done.replayed().map_err(|e| e.to_string())?;
                reports[record.study] = Some(objective::judged(report, &study.scenario.objectives));
            }
        }
    }
    reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.ok_or_else(|| format!("study {i} has fewer replications than the plan: a shard is missing"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|mut r: Vec<Report>| {
            r.shrink_to_fit();
            r
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn auto_reads_each_schedulers_index_and_count() {
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert_eq!(resolve(ShardArg::Auto, None, &slurm), Ok(Shard { index: 2, count: 4 }));
        let from_one = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(resolve(ShardArg::Auto, None, &from_one), Ok(Shard { index: 3, count: 4 }));
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(resolve(ShardArg::Auto, Some(3), &k8s), Ok(Shard { index: 0, count: 3 }));
        let e = resolve(ShardArg::Auto, None, &k8s).unwrap_err();
        assert!(e.contains("--shards N"), "{e}");
        let aws = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "9"), ("AWS_BATCH_JOB_ARRAY_SIZE", "10")]);
        assert_eq!(resolve(ShardArg::Auto, None, &aws), Ok(Shard { index: 9, count: 10 }));
    }

    #[test]
    fn auto_refuses_empty_missing_and_out_of_range_indexes() {
        let empty = env(&[("SLURM_ARRAY_TASK_ID", ""), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        let e = resolve(ShardArg::Auto, None, &empty).unwrap_err();
        assert!(e.contains("SLURM_ARRAY_TASK_ID is set but empty"), "{e}");
        let e = resolve(ShardArg::Auto, None, &env(&[])).unwrap_err();
        assert!(e.contains("none of SLURM_ARRAY_TASK_ID"), "{e}");
        let no_count = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "1")]);
        let e = resolve(ShardArg::Auto, None, &no_count).unwrap_err();
        assert!(e.contains("AWS_BATCH_JOB_ARRAY_SIZE is not"), "{e}");
        let beyond = env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        let e = resolve(ShardArg::Auto, None, &beyond).unwrap_err();
        assert!(e.contains("numbered 0 to 3"), "{e}");
        let e = resolve(ShardArg::Fixed { index: 1, count: 4 }, Some(3), &env(&[])).unwrap_err();
        assert!(e.contains("disagree"), "{e}");
    }
}
