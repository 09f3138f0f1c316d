//! A PostgreSQL for tests, found or started the way `scripts/scale` does:
//! `TEST_DATABASE_URL` when set (a role that may `CREATE DATABASE`), else the server on
//! 127.0.0.1:5432 as `postgres` (trust authentication, as Debian's and CI's local one),
//! else a throwaway cluster of the test's own: `initdb` in a temporary directory and
//! `pg_ctl start` on a free port, as the `postgres` user (or `nobody`) when running as root,
//! since PostgreSQL refuses to run as root. Without PostgreSQL's programs the tests are
//! skipped, loudly, unless `CI` is set: there they fail.
//!
//! Every test gets a database of its own (`todos_test_…`), dropped by
//! [`TestDb::drop_database`].

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use example_todos::db::Db;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

/// The server the tests of this process use: one per test binary.
static SERVER: OnceCell<Option<Server>> = OnceCell::const_new();

/// A PostgreSQL server, as its superuser connects to it.
struct Server {
    admin: PgConnectOptions,
}

/// One test's database on the server.
pub struct TestDb {
    /// A pool on it, not yet prepared.
    pub db: Db,
    /// Its URL, for code that connects by URL.
    pub url: String,
    name: String,
}

impl TestDb {
    /// Closes the pool and drops the database.
    pub async fn drop_database(self) {
        self.db.close().await;
        let server = SERVER.get().and_then(Option::as_ref).expect("a server");
        let mut admin = PgConnection::connect_with(&server.admin)
            .await
            .expect("the admin connection");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .expect("DROP DATABASE");
    }
}

/// A fresh, empty database, or `None` (after saying why) when there is no PostgreSQL and
/// `CI` is unset.
pub async fn database() -> Option<TestDb> {
    let server = SERVER.get_or_init(find_or_start).await.as_ref()?;
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "todos_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = PgConnection::connect_with(&server.admin)
        .await
        .expect("the admin connection");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let options = server.admin.clone().database(&name);
    let url = format!(
        "postgres://{}@{}:{}/{name}",
        options.get_username(),
        options.get_host(),
        options.get_port()
    );
    let url = match std::env::var("TEST_DATABASE_URL") {
        // Keep the password of the given URL: swap its database only.
        Ok(given) => match given.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => url,
        },
        Err(_) => url,
    };
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(options)
        .await
        .expect("a pool on the test database");
    Some(TestDb {
        db: Db::Postgres(pool),
        url,
        name,
    })
}

async fn find_or_start() -> Option<Server> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        let admin = PgConnectOptions::from_str(&url).expect("TEST_DATABASE_URL parses");
        return Some(Server { admin });
    }
    let local = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(5432)
        .username("postgres")
        .database("postgres");
    if TcpStream::connect(("127.0.0.1", 5432)).is_ok()
        && PgConnection::connect_with(&local).await.is_ok()
    {
        return Some(Server { admin: local });
    }
    match start_own() {
        Ok(server) => Some(server),
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "SKIPPED: no PostgreSQL ({why}); set TEST_DATABASE_URL, run one on \
                 127.0.0.1:5432, or install Debian's `postgresql`. With CI set this fails."
            );
            None
        }
        Err(why) => panic!("no PostgreSQL for the tests: {why}"),
    }
}

/// `initdb` and `pg_ctl` of the newest installed PostgreSQL: on `PATH`, else Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return Ok(dir);
        }
    }
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no /usr/lib/postgresql".to_owned())?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop()
        .map(|(_, dir)| dir)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql".to_owned())
}

/// Runs a PostgreSQL program, as `user` when given.
fn run(user: Option<&str>, program: &Path, args: &[&str]) -> Result<(), String> {
    let mut command = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    let out = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn start_own() -> Result<Server, String> {
    let bin = bin_dir()?;
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let user = if !root {
        None
    } else if Command::new("id")
        .arg("postgres")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        Some("postgres")
    } else {
        Some("nobody")
    };
    let dir = std::env::temp_dir().join(format!("todos-test-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if let Some(user) = user {
        let status = Command::new("chown")
            .arg(user)
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("chown {user} {}", dir.display()));
        }
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let data = dir.join("data").to_string_lossy().into_owned();
    let initdb = [
        "-D",
        &data,
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-sync",
    ];
    run(user, &bin.join("initdb"), &initdb)?;
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
        dir.display()
    );
    let log = dir.join("log").to_string_lossy().into_owned();
    let pg_ctl = bin.join("pg_ctl");
    run(
        user,
        &pg_ctl,
        &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
    )?;
    // Statics are never dropped: a watcher stops the cluster and removes its directory
    // once this test process has exited.
    let stop = match user {
        Some(user) => format!("runuser -u {user} -- '{}'", pg_ctl.display()),
        None => format!("'{}'", pg_ctl.display()),
    };
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            dir = dir.display(),
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("the watcher: {e}"))?;
    eprintln!(
        "started a throwaway PostgreSQL on 127.0.0.1:{port} in {}",
        dir.display()
    );
    Ok(Server {
        admin: PgConnectOptions::new()
            .host("127.0.0.1")
            .port(port)
            .username("postgres")
            .database("postgres"),
    })
}
