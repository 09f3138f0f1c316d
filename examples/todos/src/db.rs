//! The SQLite database: connecting, the schema (`migrations/`), the seed data (a project and
//! the demo users), and every query the API and the page run.

use std::str::FromStr;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::model::{Project, ProjectSummary, Todo};

/// A row of the `users` table (never sent as is: it holds the password hash).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    /// Its id, the one sessions remember.
    pub id: i64,
    /// The name to sign in with (unique, case-insensitive).
    pub username: String,
    /// The Argon2 hash of the password, as a PHC string.
    pub password_hash: String,
    /// Whether the user is staff.
    pub staff: bool,
    /// Bumped to end every session of the user ("sign out everywhere").
    pub generation: i64,
}

/// Where the database lives unless `DATABASE_URL` says otherwise: `todos.db` in the
/// current directory, created on first run.
pub const DEFAULT_URL: &str = "sqlite://todos.db?mode=rwc";

/// A pool for `url` that connects on first use, so `mizan schema` and friends never touch
/// the database. Call [`prepare`] before serving.
pub fn connect_lazy(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?;
    Ok(SqlitePoolOptions::new().connect_lazy_with(options))
}

/// A fresh in-memory database, prepared and seeded: for tests.
///
/// Every connection to `sqlite::memory:` opens a database of its own, so the pool has
/// exactly one connection, which it never closes.
pub async fn memory() -> Result<SqlitePool, sqlx::Error> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await?;
    prepare(&pool).await?;
    Ok(pool)
}

/// The demo users that [`prepare`] creates when they are missing: name, password, staff.
/// Listed in the README; a real app would create users from a command or a sign-up form.
pub const DEMO_USERS: [(&str, &str, bool); 2] =
    [("alice", "alice-demo", true), ("bob", "bob-demo", false)];

/// Creates or updates the schema, adds the demo users that are missing and, when there are
/// no projects yet, one project with two todos. Running it again changes nothing.
pub async fn prepare(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::migrate!().run(pool).await?;
    for (username, password, staff) in DEMO_USERS {
        if user_by_name(pool, username).await?.is_none() {
            // Hashing blocks for a few milliseconds: fine here, before the server starts.
            let hash = password_auth::generate_hash(password);
            sqlx::query(
                "INSERT INTO users (username, password_hash, staff) VALUES (?, ?, ?)
                 ON CONFLICT (username) DO NOTHING",
            )
            .bind(username)
            .bind(hash)
            .bind(staff)
            .execute(pool)
            .await?;
            tracing::info!(username, staff, "created a demo user");
        }
    }
    let mut tx = pool.begin().await?;
    let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(&mut *tx)
        .await?;
    if projects == 0 {
        let id: i64 = sqlx::query_scalar("INSERT INTO projects (name) VALUES (?) RETURNING id")
            .bind("Getting started")
            .fetch_one(&mut *tx)
            .await?;
        for title in ["Read the README", "Toggle this todo"] {
            sqlx::query("INSERT INTO todos (project_id, title) VALUES (?, ?)")
                .bind(id)
                .bind(title)
                .execute(&mut *tx)
                .await?;
        }
        tracing::info!(project = id, "seeded an empty database");
    }
    tx.commit().await
}

/// Every project with its number of todos, in creation order.
pub async fn project_summaries(pool: &SqlitePool) -> Result<Vec<ProjectSummary>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.name, COUNT(t.id) AS todo_count
         FROM projects p LEFT JOIN todos t ON t.project_id = p.id
         GROUP BY p.id ORDER BY p.id",
    )
    .fetch_all(pool)
    .await
}

/// One project, if it exists.
pub async fn project(pool: &SqlitePool, id: i64) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM projects WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Adds a project.
pub async fn insert_project(pool: &SqlitePool, name: &str) -> Result<Project, sqlx::Error> {
    sqlx::query_as("INSERT INTO projects (name) VALUES (?) RETURNING id, name")
        .bind(name)
        .fetch_one(pool)
        .await
}

/// The todos of a project, in creation order.
pub async fn todos(pool: &SqlitePool, project: i64) -> Result<Vec<Todo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, project_id AS project, title, done
         FROM todos WHERE project_id = ? ORDER BY id",
    )
    .bind(project)
    .fetch_all(pool)
    .await
}

/// Adds a todo to a project; `None` when the project does not exist.
pub async fn insert_todo(
    pool: &SqlitePool,
    project: i64,
    title: &str,
) -> Result<Option<Todo>, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO todos (project_id, title)
         SELECT id, ? FROM projects WHERE id = ?
         RETURNING id, project_id AS project, title, done",
    )
    .bind(title)
    .bind(project)
    .fetch_optional(pool)
    .await
}

/// Flips a todo between done and not done; `None` when it does not exist.
pub async fn toggle_todo(pool: &SqlitePool, id: i64) -> Result<Option<Todo>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE todos SET done = NOT done WHERE id = ?
         RETURNING id, project_id AS project, title, done",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Deletes a todo and returns it; `None` when it does not exist.
pub async fn delete_todo(pool: &SqlitePool, id: i64) -> Result<Option<Todo>, sqlx::Error> {
    sqlx::query_as(
        "DELETE FROM todos WHERE id = ? RETURNING id, project_id AS project, title, done",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The user named `username` (case-insensitive), if any.
pub async fn user_by_name(
    pool: &SqlitePool,
    username: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, username, password_hash, staff, generation FROM users WHERE username = ?",
    )
    .bind(username)
    .fetch_optional(pool)
    .await
}

/// The user with this id, if any.
pub async fn user(pool: &SqlitePool, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, username, password_hash, staff, generation FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Bumps the user's generation: every session of the user ends at its next request.
pub async fn bump_generation(pool: &SqlitePool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET generation = generation + 1 WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await
        .map(drop)
}

/// Deletes a project and, by `ON DELETE CASCADE`, its todos; returns the project, or
/// `None` when it does not exist.
pub async fn delete_project(pool: &SqlitePool, id: i64) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query_as("DELETE FROM projects WHERE id = ? RETURNING id, name")
        .bind(id)
        .fetch_optional(pool)
        .await
}
