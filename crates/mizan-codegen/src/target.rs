//! The frameworks Stage 2 is generated for.

use std::fmt;
use std::str::FromStr;

/// A framework whose Stage 2 file `mizan codegen --target <name>` writes, beside the
/// framework-free Stage 1 (`types.ts`, `protocol.ts`). Every target has the same hook
/// names (`useTodos`, `useAddTodo`, …), over its own adapter package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// `react.ts`: hooks over `@mizan/react`.
    React,
    /// `vue.ts`: composables returning refs, over `@mizan/vue`.
    Vue,
    /// `svelte.ts`: Svelte 5 (runes) classes, over `@mizan/svelte`.
    Svelte,
}

impl Target {
    /// Every target, in the order of the generated files.
    pub const ALL: [Target; 3] = [Target::React, Target::Vue, Target::Svelte];

    /// Its name on the command line: `react`, `vue`, `svelte`.
    pub fn name(self) -> &'static str {
        match self {
            Target::React => "react",
            Target::Vue => "vue",
            Target::Svelte => "svelte",
        }
    }

    /// The Stage 2 file it writes.
    pub fn file(self) -> &'static str {
        match self {
            Target::React => "react.ts",
            Target::Vue => "vue.ts",
            Target::Svelte => "svelte.ts",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A target name that is not `react`, `vue` or `svelte`.
#[derive(Debug, thiserror::Error)]
#[error("unknown target {0:?} (expected react, vue or svelte)")]
pub struct UnknownTarget(String);

impl FromStr for Target {
    type Err = UnknownTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTarget(s.to_owned()))
    }
}
