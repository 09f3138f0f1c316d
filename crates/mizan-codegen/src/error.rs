//! Errors.

use std::fmt;
use std::path::PathBuf;

use mizan_protocol::schema::SCHEMA_VERSION;

/// Why code generation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// The input is not JSON.
    #[error("not JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The input is JSON but not a Mizan schema document.
    #[error("not a Mizan schema document (expected \"format\": \"mizan-schema\", found {found})")]
    UnknownFormat {
        /// The `format` member as found (JSON), or `nothing`.
        found: String,
    },
    /// A schema document of a format version this codegen does not know.
    #[error(
        "schema document version {found} is not supported; this mizan reads version {SCHEMA_VERSION}"
    )]
    UnsupportedVersion {
        /// The `version` member as found (JSON), or `nothing`.
        found: String,
    },
    /// A schema document for a wire protocol the generated code cannot speak.
    #[error(
        "the schema document describes wire protocol {found}; the generated code speaks protocol {}",
        mizan_protocol::PROTOCOL_VERSION
    )]
    UnsupportedProtocol {
        /// The `protocol` member.
        found: u32,
    },
    /// The document says it is a Mizan schema document of a known version but does not
    /// follow that format.
    #[error("the schema document does not match its format: {0}")]
    Malformed(#[source] serde_json::Error),
    /// Parts of the document have no TypeScript rendering, or generated names collide.
    #[error("cannot generate TypeScript from this schema document:{}", list(.0))]
    Schema(Vec<Problem>),
    /// Reading or writing a generated file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

/// One thing in a schema document that code generation cannot render.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A JSON Schema construct without a TypeScript equivalent.
    Unsupported {
        /// Whose schema it is: "function `add_todo`", "type `Todo`", "context `todos`".
        owner: String,
        /// The JSON pointer of the construct in the schema document.
        pointer: String,
        /// What cannot be expressed, and why.
        message: String,
    },
    /// Two things would get the same generated name.
    Collision {
        /// The generated file.
        file: &'static str,
        /// What kind of name ("type", "hook", "`call` member").
        what: &'static str,
        /// The name.
        name: String,
        /// What claimed it first.
        first: String,
        /// What claimed it second.
        second: String,
    },
    /// A name no TypeScript identifier can be made from.
    BadName {
        /// What has the name ("function `_`").
        owner: String,
        /// Why it does not work.
        message: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unsupported {
                owner,
                pointer,
                message,
            } => write!(f, "{owner} at {pointer}: {message}"),
            Problem::Collision {
                file,
                what,
                name,
                first,
                second,
            } => write!(
                f,
                "{file}: {first} and {second} both generate the {what} `{name}`; rename one"
            ),
            Problem::BadName { owner, message } => write!(f, "{owner}: {message}"),
        }
    }
}
