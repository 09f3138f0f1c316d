//! The `projects` context: the list of projects, adding one (signed-in users) and deleting
//! one (staff).

use crate::db::Db;
use mizan::{Cx, Error, Result, params};

use super::todos::TODOS;
use crate::db;
use crate::model::{NewName, Project, ProjectSummary};

mizan::context!(
    /// Every project with its todo count: `GET /api/mizan/ctx/projects/`.
    pub PROJECTS = "projects"
);

/// Every project, with how many todos each has.
#[mizan::client(context = PROJECTS, cache = 5)]
pub async fn project_list(cx: &Cx) -> Result<Vec<ProjectSummary>> {
    let pool = cx.state::<Db>()?;
    Ok(db::project_summaries(pool).await?)
}

/// Adds a project. Every client showing the project list refetches it.
#[mizan::client(auth = true, affects = [PROJECTS])]
pub async fn add_project(cx: &Cx, name: NewName) -> Result<Project> {
    let pool = cx.state::<Db>()?;
    Ok(db::insert_project(pool, name.0.trim()).await?)
}

/// Deletes a project and its todos (staff only: `403` for other users); `404` when there
/// is no such project. Clients showing the list, or this project, refetch.
#[mizan::client(auth = "staff", affects = [PROJECTS, TODOS], affects_params = |a, _| params! { project: a.id })]
pub async fn delete_project(cx: &Cx, id: i64) -> Result<Project> {
    let pool = cx.state::<Db>()?;
    db::delete_project(pool, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("no project with id {id}")))
}
