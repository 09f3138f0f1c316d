//! The shapes the API sends and receives. Each derives `Serialize`/`Deserialize` for the
//! wire and `JsonSchema` for `mizan schema` (and the TypeScript codegen built on it);
//! argument types derive `garde::Validate`, which Mizan runs before the function (a
//! failure is a 422 with a message per field).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A todo item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct Todo {
    /// Its id.
    pub id: i64,
    /// The project it belongs to.
    pub project: i64,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// A project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct Project {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A project in the list of projects, with how many todos it has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct ProjectSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// How many todos it has (done or not).
    pub todo_count: i64,
}

/// The title of a new todo: 1 to 200 characters, not only spaces.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, garde::Validate)]
#[garde(transparent)]
pub struct Title(#[garde(length(chars, min = 1, max = 200), custom(not_blank))] pub String);

/// The name of a new project: 1 to 100 characters, not only spaces.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, garde::Validate)]
#[garde(transparent)]
pub struct NewName(#[garde(length(chars, min = 1, max = 100), custom(not_blank))] pub String);

fn not_blank(value: &str, _: &()) -> garde::Result {
    if !value.is_empty() && value.trim().is_empty() {
        return Err(garde::Error::new("must not be only whitespace"));
    }
    Ok(())
}

/// Who is signed in, as `login` and the `me` context tell it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Me {
    /// The name they signed in with.
    pub username: String,
    /// Whether they are staff (staff may delete projects).
    pub staff: bool,
}
