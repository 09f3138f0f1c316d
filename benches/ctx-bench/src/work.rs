//! The work both servers do: three small, deterministic reads of shared state.
//!
//! The structs list their fields in alphabetical order: Mizan serializes each result
//! through a `serde_json::Value` (whose objects are sorted maps), the baseline serializes
//! the structs directly, and both must produce the same bytes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Shared application state: what a database would hold, in memory.
#[derive(Debug)]
pub(crate) struct Data {
    /// Names items and projects are made of.
    pub(crate) words: Vec<String>,
    /// Tag names.
    pub(crate) tags: Vec<String>,
    /// Tag colours.
    pub(crate) colors: Vec<String>,
}

impl Data {
    /// The fixed data set of the benchmark.
    pub(crate) fn new() -> Self {
        let list = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        Self {
            words: list(
                "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima \
                 mike november oscar papa quebec romeo sierra tango uniform victor",
            ),
            tags: list("bug feature docs perf ui api db infra security test ops design"),
            colors: list("red green blue amber teal violet"),
        }
    }
}

/// One item of a project (`fn_a` returns 20 of them).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Item {
    /// Whether the item is done.
    pub(crate) done: bool,
    /// Its id.
    pub(crate) id: i64,
    /// Its position in the list.
    pub(crate) position: u32,
    /// The project it belongs to.
    pub(crate) project: i64,
    /// Its title.
    pub(crate) title: String,
}

/// A project summary (`fn_b`).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Summary {
    /// Items done.
    pub(crate) done: u32,
    /// The project id.
    pub(crate) id: i64,
    /// The project name.
    pub(crate) name: String,
    /// Items still open.
    pub(crate) open: u32,
    /// Who owns it.
    pub(crate) owner: String,
}

/// A tag used in a project (`fn_c` returns 12 of them).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Tag {
    /// Its colour.
    pub(crate) color: String,
    /// How many items carry it.
    pub(crate) count: i64,
    /// Its name.
    pub(crate) name: String,
}

fn pick(list: &[String], n: i64) -> &str {
    let len = i64::try_from(list.len()).unwrap_or(1).max(1);
    let i = usize::try_from(n.rem_euclid(len)).unwrap_or(0);
    list.get(i).map_or("", String::as_str)
}

/// `fn_a`: the 20 items of `project`.
pub(crate) fn items(data: &Data, project: i64) -> Vec<Item> {
    (0..20_u32)
        .map(|position| {
            let n = project.wrapping_mul(31).wrapping_add(i64::from(position));
            Item {
                done: n % 3 == 0,
                id: project.wrapping_mul(1000).wrapping_add(i64::from(position)),
                position,
                project,
                title: format!(
                    "{} {} #{position}",
                    pick(&data.words, n),
                    pick(&data.words, n / 2)
                ),
            }
        })
        .collect()
}

/// `fn_b`: the summary of `project`.
pub(crate) fn summary(data: &Data, project: i64) -> Summary {
    let done = (0..20_i64)
        .filter(|p| project.wrapping_mul(31).wrapping_add(*p) % 3 == 0)
        .count();
    let done = u32::try_from(done).unwrap_or(0);
    Summary {
        done,
        id: project,
        name: format!("Project {}", pick(&data.words, project)),
        open: 20 - done,
        owner: pick(&data.words, project.wrapping_add(7)).to_owned(),
    }
}

/// `fn_c`: the tags of `project`.
pub(crate) fn tags(data: &Data, project: i64) -> Vec<Tag> {
    (0..12_i64)
        .map(|i| Tag {
            color: pick(&data.colors, project.wrapping_add(i)).to_owned(),
            count: project.wrapping_add(i).wrapping_mul(7).rem_euclid(20),
            name: pick(&data.tags, i).to_owned(),
        })
        .collect()
}
