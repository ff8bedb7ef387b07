//! Loading a study: read the model and scenario files, splice in `--set` overrides, parse the RON with
//! every error located (file:line:col, or the `--set` that caused it), and resolve both into the form the
//! engine runs on. Every problem found is reported, not only the first.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::input::examples;
use crate::input::issue::{Issues, did_you_mean};
use crate::input::ron_path::{self, Origin, RonPath, Segment, Spliced};
use crate::input::spec::model::MODEL_FIELDS;
use crate::input::spec::scenario::SCENARIO_FIELDS;
use crate::input::spec::{ModelSpec, ScenarioSpec};
use crate::model::architecture::Model;
use crate::model::scenario::Scenario;

mod error;
mod parse;

pub use error::{InputError, InputErrors};
use parse::{Parsed, parse_text};

/// Which file a `--set` applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The model file.
    Model,
    /// The scenario file.
    Scenario,
}

/// A parsed `--set PATH=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// As typed, for messages.
    pub raw: String,
    /// The file it applies to.
    pub target: Target,
    /// The path inside that file, without a leading `model.` or `scenario.`.
    pub path: RonPath,
    /// RON text.
    pub value: String,
}

impl Override {
    /// Parses `PATH=VALUE`. The file is chosen by the first segment of the path: `model.` or `scenario.`
    /// explicitly, otherwise the file that has that top-level field.
    pub fn parse(raw: &str) -> Result<Override, InputError> {
        let err = |message: String| InputError::Override { set: raw.to_string(), message };
        let (path, value) = raw.split_once('=').ok_or_else(|| {
            err("expected PATH=VALUE, e.g. services[api].deployments[us-east-1].instances=6".into())
        })?;
        let mut path: RonPath = path.trim().parse().map_err(|e: ron_path::PathError| err(e.to_string()))?;
        let first = match path.segments.first() {
            Some(Segment::Field(f)) => f.clone(),
            _ => return Err(err("a path starts with a field name".into())),
        };
        let target = match first.as_str() {
            "model" | "scenario" => {
                path.segments.remove(0);
                if path.segments.is_empty() {
                    return Err(err(format!("name a field after '{first}.'")));
                }
                if first == "model" { Target::Model } else { Target::Scenario }
            }
            f if MODEL_FIELDS.contains(&f) && SCENARIO_FIELDS.contains(&f) => {
                return Err(err(format!("both files have a field '{f}': write model.{f} or scenario.{f}")));
            }
            f if MODEL_FIELDS.contains(&f) => Target::Model,
            f if SCENARIO_FIELDS.contains(&f) => Target::Scenario,
            f => {
                return Err(err(format!(
                    "no top-level field '{f}'; model fields: {}; scenario fields: {}{}",
                    MODEL_FIELDS.join(", "),
                    SCENARIO_FIELDS.join(", "),
                    did_you_mean(f, MODEL_FIELDS.iter().chain(SCENARIO_FIELDS).copied())
                )));
            }
        };
        Ok(Override { raw: raw.to_string(), target, path, value: value.trim().to_string() })
    }
}

/// What the command line changes on top of the files.
#[derive(Debug, Clone, Default)]
pub struct Adjustments {
    /// The `--set` overrides, in the order given.
    pub overrides: Vec<Override>,
    /// `--replications`: replaces the scenario's.
    pub replications: Option<u32>,
    /// `--seed`: replaces the scenario's master seed.
    pub seed: Option<u64>,
}

/// A model and a scenario, as written (after overrides) and resolved.
#[derive(Debug, Clone)]
pub struct Study {
    /// The model file, as named on the command line.
    pub model_file: PathBuf,
    /// The scenario file, as named on the command line.
    pub scenario_file: PathBuf,
    /// The model as written, overrides applied.
    pub model_spec: ModelSpec,
    /// The scenario as written, overrides, `--seed` and `--replications` applied.
    pub scenario_spec: ScenarioSpec,
    /// The model resolved.
    pub model: Model,
    /// The scenario resolved against the model.
    pub scenario: Scenario,
}

/// A model file read, parsed and resolved on its own.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    /// The model as written, overrides applied.
    pub spec: ModelSpec,
    /// The model resolved.
    pub model: Model,
}

/// Loads and checks a model file alone (`validate MODEL`).
pub fn load_model(file: &Path, adjust: &Adjustments) -> Result<LoadedModel, InputErrors> {
    let mut errors = Vec::new();
    let parsed = parse_file::<ModelSpec>(file, Target::Model, &adjust.overrides, &mut errors);
    let Some(Parsed { spec, spliced, applied }) = parsed else { return Err(InputErrors(errors)) };
    let mut issues = Issues::default();
    match Model::resolve(&spec, &mut issues) {
        Some(model) if errors.is_empty() => Ok(LoadedModel { spec, model }),
        _ => {
            errors.extend(locate_issues(file, &spliced, &applied, issues));
            Err(InputErrors(errors))
        }
    }
}

/// Loads and checks a model and a scenario, reporting the problems of both: a syntax error in one file
/// does not hide the other's problems, and the scenario is checked as far as it can be when the model
/// has errors.
pub fn load_study(
    model_file: &Path,
    scenario_file: &Path,
    adjust: &Adjustments,
) -> Result<Study, InputErrors> {
    let mut errors = Vec::new();
    let model = parse_file::<ModelSpec>(model_file, Target::Model, &adjust.overrides, &mut errors);
    let scenario =
        parse_file::<ScenarioSpec>(scenario_file, Target::Scenario, &adjust.overrides, &mut errors);
    let resolved = model.as_ref().and_then(|m| {
        let mut issues = Issues::default();
        let resolved = Model::resolve(&m.spec, &mut issues);
        errors.extend(locate_issues(model_file, &m.spliced, &m.applied, issues));
        resolved
    });
    let Some(Parsed { spec: mut scenario_spec, spliced: scenario_text, applied: scenario_applied }) =
        scenario
    else {
        swap_hint(model_file, scenario_file, &mut errors);
        return Err(InputErrors(errors));
    };
    if let Some(n) = adjust.replications {
        scenario_spec.replications = n;
    }
    if let Some(seed) = adjust.seed {
        scenario_spec.seed = seed;
    }
    let mut scenario_issues = Issues::default();
    let scenario = match &resolved {
        Some(model) => Scenario::resolve(&scenario_spec, model, &mut scenario_issues),
        None => {
            Scenario::check_without_model(&scenario_spec, &mut scenario_issues);
            None
        }
    };
    // `--replications` replaces the file's value: a problem with it is the flag's.
    if adjust.replications.is_some() {
        scenario_issues.0.retain(|issue| {
            let flag = issue.path == "replications";
            if flag {
                errors.push(InputError::Flag {
                    flag: format!("--replications {}", scenario_spec.replications),
                    message: issue.message.clone(),
                });
            }
            !flag
        });
    }
    errors.extend(locate_issues(scenario_file, &scenario_text, &scenario_applied, scenario_issues));
    match (model, resolved, scenario) {
        (Some(Parsed { spec: model_spec, .. }), Some(model), Some(scenario)) if errors.is_empty() => {
            Ok(Study {
                model_file: model_file.to_path_buf(),
                scenario_file: scenario_file.to_path_buf(),
                model_spec,
                scenario_spec,
                model,
                scenario,
            })
        }
        _ => {
            swap_hint(model_file, scenario_file, &mut errors);
            Err(InputErrors(errors))
        }
    }
}

/// When the model file looks like a scenario and the scenario file like a model (each file's errors say
/// it lacks the other kind's fields), one more line says the two were likely given in the wrong order.
fn swap_hint(model_file: &Path, scenario_file: &Path, errors: &mut Vec<InputError>) {
    let (model_name, scenario_name) = (model_file.display().to_string(), scenario_file.display().to_string());
    let mentions = |file: &str, fields: &[&str]| {
        errors.iter().any(|e| match e {
            InputError::At { file: f, message, .. } | InputError::Field { file: f, message, .. } => {
                f == file
                    && fields.iter().any(|field| {
                        message.contains(&format!("unknown field '{field}'"))
                            || message.contains(&format!("missing field '{field}'"))
                    })
            }
            _ => false,
        })
    };
    let model_only = ["regions", "services", "request_path", "populations"];
    let scenario_only = ["horizon_s", "replications", "seed", "traffic"];
    if mentions(&model_name, &scenario_only) && mentions(&scenario_name, &model_only) {
        errors.push(InputError::Hint {
            message: format!(
                "{model_name} looks like a scenario and {scenario_name} like a model: the model comes first \
                 (regionsim run MODEL SCENARIO)"
            ),
        });
    }
}

/// Largest input file read \[bytes\]: the shipped models are a few kilobytes; anything near this is
/// not a model written by hand.
pub const MAX_INPUT_BYTES: u64 = 8 * 1024 * 1024;

/// Reads a file into a string with a one-line error for every way that can fail. Only regular files
/// are read (a FIFO would block, `/dev/zero` never ends), and at most [`MAX_INPUT_BYTES`]. A UTF-8 byte
/// order mark, which some editors write, is skipped.
pub fn read_file(file: &Path) -> Result<String, InputError> {
    use std::io::Read;
    let name = file.display().to_string();
    let err = |message: String| InputError::File { file: name.clone(), message };
    let meta = std::fs::metadata(file).map_err(|e| err(describe_io(&e)))?;
    if meta.is_dir() {
        return Err(err("is a directory; expected a RON file".into()));
    }
    if !meta.is_file() {
        return Err(err("is not a regular file (a pipe, a device or a socket); expected a RON file".into()));
    }
    let too_big =
        || err(format!("is larger than {} MB; expected a RON file written by hand", MAX_INPUT_BYTES >> 20));
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| err(describe_io(&e)))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    let mut text = String::from_utf8(bytes).map_err(|e| err(format!("is not UTF-8 text ({e})")))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if text.trim().is_empty() {
        return Err(err("is empty; expected a RON file".into()));
    }
    Ok(text)
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot be read: {e}"),
    }
}

/// Reads, splices and parses one file; problems go to `errors`. Returns the spec and the spliced text.
/// The text of the built-in example `file` names, when no file is there (`active-passive`,
/// `models/active-passive.ron` from any folder): the study keeps `file` as given, so a reproduce line
/// names the example, not a copy.
fn builtin(file: &Path, target: Target) -> Option<&'static str> {
    if file.exists() {
        return None;
    }
    let kind = match target {
        Target::Model => examples::Kind::Model,
        Target::Scenario => examples::Kind::Scenario,
    };
    file.to_str().and_then(|name| examples::find(name, kind)).map(|(_, text)| text)
}

fn parse_file<T: DeserializeOwned>(
    file: &Path,
    target: Target,
    overrides: &[Override],
    errors: &mut Vec<InputError>,
) -> Option<Parsed<T>> {
    let text = match read_file(file) {
        Ok(t) => t,
        Err(e) => match builtin(file, target) {
            Some(text) => text.to_string(),
            None => {
                errors.push(e);
                return None;
            }
        },
    };
    parse_text(file, &text, target, overrides, errors)
}

/// A model spec as simulated (from a results file), with price overrides applied, and resolved: what
/// `report --set prices...` re-bills a results file with. `name` says where the spec came from in
/// messages. Every override must change a price (a field whose name holds `price`): anything else
/// would change what was simulated.
pub fn reprice_model(
    name: &Path,
    spec: &ModelSpec,
    overrides: &[Override],
) -> Result<(ModelSpec, Model), InputErrors> {
    let mut errors = Vec::new();
    for o in overrides {
        let last = o.path.segments.iter().rev().find_map(|s| match s {
            Segment::Field(f) => Some(f.as_str()),
            _ => None,
        });
        let pricey = o.target == Target::Model
            && o.path.segments.iter().any(|s| matches!(s, Segment::Field(f) if f.contains("price")));
        if !pricey {
            errors.push(InputError::Override {
                set: o.raw.clone(),
                message: format!(
                    "report re-prices a results file: only prices can change (a field such as prices.*, \
                     services[NAME].price_usd_per_hour, stores[NAME].price_usd_per_million_writes); {} would change \
                     what was simulated: run the study again",
                    last.unwrap_or("this")
                ),
            });
        }
    }
    if !errors.is_empty() {
        return Err(InputErrors(errors));
    }
    let text = ron::ser::to_string_pretty(spec, ron::ser::PrettyConfig::default()).map_err(|e| {
        InputErrors(vec![InputError::File { file: name.display().to_string(), message: e.to_string() }])
    })?;
    let Some(Parsed { spec, spliced, applied }) =
        parse_text::<ModelSpec>(name, &text, Target::Model, overrides, &mut errors)
    else {
        return Err(InputErrors(errors));
    };
    let mut issues = Issues::default();
    match Model::resolve(&spec, &mut issues) {
        Some(model) if errors.is_empty() => Ok((spec, model)),
        _ => {
            errors.extend(locate_issues(name, &spliced, &applied, issues));
            Err(InputErrors(errors))
        }
    }
}

/// Turns path-located issues into errors with a line and column where the path can be found.
fn locate_issues(file: &Path, spliced: &Spliced, applied: &[Override], issues: Issues) -> Vec<InputError> {
    let file = file.display().to_string();
    issues
        .0
        .into_iter()
        .map(|issue| {
            let at = issue.path.parse::<RonPath>().ok().and_then(|p| ron_path::locate(&spliced.text, &p));
            match at.map(|(line, col)| spliced.origin(line, col)) {
                Some(Origin::Source { line, col }) => InputError::At {
                    file: file.clone(),
                    line,
                    col,
                    field: Some(issue.path),
                    message: issue.message,
                },
                Some(Origin::Override(i)) => InputError::Override {
                    set: applied[i].raw.clone(),
                    message: format!("{}: {}", issue.path, issue.message),
                },
                None => InputError::Field { file: file.clone(), field: issue.path, message: issue.message },
            }
        })
        .collect()
}

/// A study from the specs it was simulated with (a partial file's inputs), resolved as
/// [`load_study`] resolves files: what `merge` aggregates the shards' replications against. `name`
/// says where the specs came from in messages.
pub fn resolve_specs(
    name: &str,
    model_file: &Path,
    scenario_file: &Path,
    model_spec: ModelSpec,
    scenario_spec: ScenarioSpec,
) -> Result<Study, InputErrors> {
    let mut issues = Issues::default();
    let model = Model::resolve(&model_spec, &mut issues);
    let scenario = model.as_ref().and_then(|m| Scenario::resolve(&scenario_spec, m, &mut issues));
    match (model, scenario) {
        (Some(model), Some(scenario)) if issues.is_empty() => Ok(Study {
            model_file: model_file.to_path_buf(),
            scenario_file: scenario_file.to_path_buf(),
            model_spec,
            scenario_spec,
            model,
            scenario,
        }),
        _ => Err(InputErrors(
            issues
                .0
                .into_iter()
                .map(|i| InputError::Field { file: name.to_string(), field: i.path, message: i.message })
                .collect(),
        )),
    }
}
