//! A Redis for tests: `REDIS_URL` when set, otherwise a `redis-server` of the test's own on
//! a free port (scripts/test installs Debian's `redis-server` when it is missing), stopped
//! when dropped. Shared by the tests of the workspace's crates and of the example; not
//! published.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Redis for one test: the given one, or a server this test started (and stops).
pub struct Redis {
    /// Where it listens (`redis://127.0.0.1:<port>/`).
    pub url: String,
    port: u16,
    server: Option<Child>,
}

impl Redis {
    /// `REDIS_URL`, or a server of our own.
    pub fn start() -> Self {
        if let Ok(url) = std::env::var("REDIS_URL") {
            return Self {
                url,
                port: 0,
                server: None,
            };
        }
        Self::own()
    }

    /// Always a server of our own (a test that stops and restarts it).
    pub fn own() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            url: format!("redis://127.0.0.1:{port}/"),
            port,
            server: None,
        };
        redis.spawn();
        redis
    }

    fn spawn(&mut self) {
        let server = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (Debian: apt-get install redis-server), or REDIS_URL");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.server = Some(server);
    }

    /// Whether this test started the server (and may stop it).
    pub fn owned(&self) -> bool {
        self.server.is_some()
    }

    /// Stops a server this test started.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// Starts it again on the same port (after [`stop`](Self::stop)); empty, as a
    /// restarted Redis without persistence is.
    pub fn restart(&mut self) {
        assert!(self.port != 0, "only a server of our own can be restarted");
        self.stop();
        self.spawn();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A unique key prefix per test, so tests sharing one Redis never see each other.
pub fn prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("mizan-test:{test}:{nanos}:")
}
