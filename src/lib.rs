//! # regionsim
//!
//! A discrete-event Monte Carlo simulator for multi-region cloud architectures: what users see, what is
//! lost and what it costs when parts of a system fail. A **model** describes the architecture (regions,
//! zones, services, stores and their replication, DNS routing and health checks, client populations,
//! prices); a **scenario** says what happens to it (traffic, failures, outages, horizon, replications,
//! seed). regionsim simulates every request, replicated write and outage of each replication, in
//! parallel, and reports availability, latency percentiles, RPO, RTO and cost with confidence intervals.
//!
//! The crate is organised by stage, in the direction data flows (see `docs/architecture.md`):
//! [`input`] (the files as written) → [`model`] (resolved) → [`sim`] (the engine and the Monte Carlo)
//! → [`analysis`] (estimators, the results model, comparisons) → [`present`] (text, Markdown, HTML,
//! CSV, charts) → [`cli`] (the command line).
//!
//! ## Load a study, run it, read a result
//!
//! ```
//! use std::path::Path;
//!
//! use regionsim::analysis::{objective, report};
//! use regionsim::model::study::{self, Adjustments};
//! use regionsim::sim::montecarlo::{self, RunOptions};
//!
//! let root = Path::new(env!("CARGO_MANIFEST_DIR"));
//! // The M/M/c validation model: 10 servers of 10 ms mean service, 900 requests/s (utilisation 0.9).
//! let study = study::load_study(
//!     &root.join("models/validation/mmc.ron"),
//!     &root.join("tests/fixtures/mmc_short.ron"),
//!     &Adjustments { replications: Some(4), seed: Some(7), ..Adjustments::default() },
//! )?;
//! let runs = montecarlo::run(&study.model, &study.scenario, &RunOptions::default())?;
//! let results = objective::judged(report::build(&study, &[], &runs), &study.scenario.objectives);
//!
//! // Nothing fails in this study, and the mean response time is Erlang C's 16.7 ms, within noise.
//! assert_eq!(results.availability.mean, 1.0);
//! let mean = results.latency_ms.mean.expect("requests succeeded");
//! assert!((10.0..25.0).contains(&mean.mean), "{mean:?}");
//! assert!(mean.ci95[0] <= mean.mean && mean.mean <= mean.ci95[1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Every input error says where
//!
//! ```
//! use std::path::Path;
//!
//! use regionsim::model::study::{self, Adjustments, Override};
//!
//! let root = Path::new(env!("CARGO_MANIFEST_DIR"));
//! let bad = Override::parse("services[mm].concurrency=0")?;
//! let errors = study::load_study(
//!     &root.join("models/validation/mmc.ron"),
//!     &root.join("scenarios/validation/mmc.ron"),
//!     &Adjustments { overrides: vec![bad], ..Adjustments::default() },
//! )
//! .unwrap_err();
//! let message = errors.to_string();
//! assert!(message.contains("services[mm].concurrency: must be at least 1 (got 0)"), "{message}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Render a result
//!
//! ```
//! # use std::path::Path;
//! # use regionsim::analysis::{objective, report};
//! # use regionsim::model::study::{self, Adjustments};
//! # use regionsim::sim::montecarlo::{self, RunOptions};
//! use regionsim::present::document::Renderer;
//! use regionsim::present::render::markdown::Markdown;
//! use regionsim::present::run;
//!
//! # let root = Path::new(env!("CARGO_MANIFEST_DIR"));
//! # let study = study::load_study(&root.join("models/validation/mmc.ron"),
//! #     &root.join("tests/fixtures/mmc_short.ron"), &Adjustments::default())?;
//! # let runs = montecarlo::run(&study.model, &study.scenario, &RunOptions::default())?;
//! # let results = objective::judged(report::build(&study, &[], &runs), &study.scenario.objectives);
//! let summary = Markdown.render(&run::document(&results, &[]));
//! assert!(summary.starts_with("# regionsim: mmc × mmc-short"));
//! assert!(summary.contains("| availability (requests) | 100.0000% |"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod analysis;
pub mod cli;
pub mod input;
pub mod model;
pub mod present;
pub mod sim;
