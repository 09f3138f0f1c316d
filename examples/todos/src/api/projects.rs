//! The `projects` context: the list of projects, and adding one.

use mizan::{Cx, Result};
use sqlx::SqlitePool;

use crate::db;
use crate::model::{NewName, Project, ProjectSummary};

mizan::context!(
    /// Every project with its todo count: `GET /api/mizan/ctx/projects/`.
    pub PROJECTS = "projects"
);

/// Every project, with how many todos each has.
#[mizan::client(context = PROJECTS, cache = 5)]
pub async fn project_list(cx: &Cx) -> Result<Vec<ProjectSummary>> {
    let pool = cx.state::<SqlitePool>()?;
    Ok(db::project_summaries(pool).await?)
}

/// Adds a project. Every client showing the project list refetches it.
#[mizan::client(affects = [PROJECTS])]
pub async fn add_project(cx: &Cx, name: NewName) -> Result<Project> {
    let pool = cx.state::<SqlitePool>()?;
    Ok(db::insert_project(pool, name.0.trim()).await?)
}
