//! The database: SQLite (the default) or PostgreSQL, chosen by the URL; connecting, the
//! schema (`migrations/sqlite/`, `migrations/postgres/`), the seed data (a project and the
//! demo users), and every query the API and the page run.
//!
//! [`Db`] is an enum of the two native pools rather than `sqlx::AnyPool`: the `Any` driver
//! decodes by the *value's* type, and SQLite stores a `BOOLEAN` as an integer, so `done`
//! and `staff` would not decode as `bool` there. With the enum, each query runs on its
//! backend's own driver and types; the queries are written once ([`on_pool!`] expands each
//! body for both), in SQL both understand: `$1` placeholders (SQLite reads `$N` too),
//! `RETURNING`, `ON CONFLICT DO NOTHING`, `lower(username)` for case-insensitive names.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::model::{Project, ProjectSummary, Todo};

/// The app's database: a pool of one of the two backends. Cheap to clone (a pool is a
/// handle); the API finds it with `cx.state::<Db>()`.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite: `sqlite://todos.db?mode=rwc`, or `sqlite::memory:` in the tests.
    Sqlite(SqlitePool),
    /// PostgreSQL: `postgres://user:password@host:port/database`.
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the native pool of either backend: one query text,
/// compiled once per driver.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection (waits for the ones in use).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }
}

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

/// A pool for `url` (`sqlite:…`, or `postgres:…`/`postgresql:…`) that connects on first
/// use, so `mizan schema` and friends never touch the database. Call [`prepare`] before
/// serving.
///
/// # Errors
/// A URL of another scheme, or one its driver cannot parse (`sqlx::Error::Configuration`).
pub fn connect_lazy(url: &str) -> Result<Db, sqlx::Error> {
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?;
        Ok(Db::Sqlite(
            SqlitePoolOptions::new().connect_lazy_with(options),
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let options = PgConnectOptions::from_str(url)?;
        Ok(Db::Postgres(
            PgPoolOptions::new().connect_lazy_with(options),
        ))
    } else {
        Err(sqlx::Error::Configuration(
            format!(
                "the database URL must start with sqlite: or postgres: (for example {DEFAULT_URL})"
            )
            .into(),
        ))
    }
}

/// A fresh in-memory SQLite database, prepared and seeded: for tests.
///
/// Every connection to `sqlite::memory:` opens a database of its own, so the pool has
/// exactly one connection, which it never closes.
pub async fn memory() -> Result<Db, sqlx::Error> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await?;
    let db = Db::Sqlite(pool);
    prepare(&db).await?;
    Ok(db)
}

/// The demo users that [`prepare`] creates when they are missing: name, password, staff.
/// Listed in the README; a real app would create users from a command or a sign-up form.
pub const DEMO_USERS: [(&str, &str, bool); 2] =
    [("alice", "alice-demo", true), ("bob", "bob-demo", false)];

/// Creates or updates the schema (the migrations of the pool's backend), adds the demo
/// users that are missing and, when there are no projects yet, one project with two todos.
/// Running it again changes nothing, and so does running it from several processes at once
/// (PostgreSQL: the migrations hold an advisory lock, the seeding a table lock; SQLite
/// writes one transaction at a time).
pub async fn prepare(db: &Db) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
        Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
    }
    for (username, password, staff) in DEMO_USERS {
        if user_by_name(db, username).await?.is_none() {
            // Hashing blocks for a few milliseconds: fine here, before the server starts.
            let hash = password_auth::generate_hash(password);
            let created = on_pool!(db, pool => sqlx::query(
                "INSERT INTO users (username, password_hash, staff) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(username)
            .bind(hash)
            .bind(staff)
            .execute(pool)
            .await?
            .rows_affected());
            if created > 0 {
                tracing::info!(username, staff, "created a demo user");
            }
        }
    }
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        if matches!(db, Db::Postgres(_)) {
            // Two instances starting at once must not both see no project and both seed.
            sqlx::query("LOCK TABLE projects IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
            .fetch_one(&mut *tx)
            .await?;
        if projects == 0 {
            let id: i64 =
                sqlx::query_scalar("INSERT INTO projects (name) VALUES ($1) RETURNING id")
                    .bind("Getting started")
                    .fetch_one(&mut *tx)
                    .await?;
            for title in ["Read the README", "Toggle this todo"] {
                sqlx::query("INSERT INTO todos (project_id, title) VALUES ($1, $2)")
                    .bind(id)
                    .bind(title)
                    .execute(&mut *tx)
                    .await?;
            }
            tracing::info!(project = id, "seeded an empty database");
        }
        tx.commit().await
    })
}

/// Every project with its number of todos, in creation order.
pub async fn project_summaries(db: &Db) -> Result<Vec<ProjectSummary>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT p.id, p.name, COUNT(t.id) AS todo_count
         FROM projects p LEFT JOIN todos t ON t.project_id = p.id
         GROUP BY p.id ORDER BY p.id",
    )
    .fetch_all(pool)
    .await)
}

/// One project, if it exists.
pub async fn project(db: &Db, id: i64) -> Result<Option<Project>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as("SELECT id, name FROM projects WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// Adds a project.
pub async fn insert_project(db: &Db, name: &str) -> Result<Project, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as("INSERT INTO projects (name) VALUES ($1) RETURNING id, name")
        .bind(name)
        .fetch_one(pool)
        .await)
}

/// The todos of a project, in creation order.
pub async fn todos(db: &Db, project: i64) -> Result<Vec<Todo>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, project_id AS project, title, done
         FROM todos WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(pool)
    .await)
}

/// Adds a todo to a project; `None` when the project does not exist.
pub async fn insert_todo(db: &Db, project: i64, title: &str) -> Result<Option<Todo>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "INSERT INTO todos (project_id, title)
         SELECT id, $1 FROM projects WHERE id = $2
         RETURNING id, project_id AS project, title, done",
    )
    .bind(title)
    .bind(project)
    .fetch_optional(pool)
    .await)
}

/// Flips a todo between done and not done; `None` when it does not exist.
pub async fn toggle_todo(db: &Db, id: i64) -> Result<Option<Todo>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "UPDATE todos SET done = NOT done WHERE id = $1
         RETURNING id, project_id AS project, title, done",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// Deletes a todo and returns it; `None` when it does not exist.
pub async fn delete_todo(db: &Db, id: i64) -> Result<Option<Todo>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "DELETE FROM todos WHERE id = $1 RETURNING id, project_id AS project, title, done",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// The user named `username` (case-insensitive, ASCII), if any.
pub async fn user_by_name(db: &Db, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, username, password_hash, staff, generation FROM users
         WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(pool)
    .await)
}

/// The user with this id, if any.
pub async fn user(db: &Db, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, username, password_hash, staff, generation FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
}

/// Bumps the user's generation: every session of the user ends at its next request.
pub async fn bump_generation(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query("UPDATE users SET generation = generation + 1 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(drop))
}

/// Deletes a project and, by `ON DELETE CASCADE`, its todos; returns the project, or
/// `None` when it does not exist.
pub async fn delete_project(db: &Db, id: i64) -> Result<Option<Project>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as("DELETE FROM projects WHERE id = $1 RETURNING id, name")
        .bind(id)
        .fetch_optional(pool)
        .await)
}
