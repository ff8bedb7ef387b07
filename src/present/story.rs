//! The story of a replication as a document section: a table of dated sentences (see
//! [`crate::analysis::story`]), shared by the run report's "What happened" and `regionsim trace`.

use crate::analysis::story::{StoryLine, clock};
use crate::present::document::Section;
use crate::present::table::Table;

/// Lines a run report tells; a longer story is cut there and points at `regionsim trace`.
pub const REPORT_LINES: usize = 40;

/// The table of `lines`: time and sentence.
pub fn table<'a>(lines: impl IntoIterator<Item = &'a StoryLine>) -> Table {
    let mut t = Table::new(&["time", "what happened"]);
    for l in lines {
        t.row(vec![clock(l.t_s), l.text.clone()]);
    }
    t
}

/// Fills the run report's "What happened" section from the representative replication's story:
/// the lines about regions, zones, stores, steering and recovery (one instance's failure, a load
/// balancer's rotation and fast-forwards are left to `regionsim trace`), at most [`REPORT_LINES`].
/// `trace_command` is the command that tells all of it.
pub fn fill_report_section(
    section: &mut Section,
    replication: u32,
    story: &[StoryLine],
    trace_command: &str,
) {
    let told: Vec<&StoryLine> = story.iter().filter(|l| !l.is_detail()).collect();
    let details = story.len() - told.len();
    if story.is_empty() {
        section.text(format!(
            "Nothing failed in replication {replication} (the one nearest the median): no component went \
             down and no answer changed."
        ));
        return;
    }
    section.text(format!(
        "Replication {replication}, the one whose availability is nearest the median, as it happened."
    ));
    section.table(None, table(told.iter().copied().take(REPORT_LINES)));
    let cut = told.len().saturating_sub(REPORT_LINES);
    let mut left_out = Vec::new();
    if cut > 0 {
        left_out.push(format!("{cut} later events"));
    }
    if details > 0 {
        left_out.push(format!(
            "{details} details (single instances, load-balancer rotations, fast-forwarded stretches)"
        ));
    }
    if left_out.is_empty() {
        section.note(format!("Every event with its details: {trace_command}"));
    } else {
        section.note(format!("Not shown: {}. All of it: {trace_command}", left_out.join(" and ")));
    }
}
