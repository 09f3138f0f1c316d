//! `mizan edge` as a process: the flags of the contract, the ready line on stdout, the
//! metrics address, and SIGHUP reloading the manifest without dropping connections.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A one-thread HTTP/1.1 origin answering every request with a counter (keep-alive).
fn origin() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut n = 0u32;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                if head.is_empty() {
                    break;
                }
                n += 1;
                let body = format!("{{\"n\":{n}}}");
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: public, max-age=60\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(response.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    port
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends one request on `stream` and reads one response (content-length framed).
fn request(stream: &mut TcpStream, path: &str) -> (String, String) {
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: edge.test\r\nconnection: keep-alive\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (head.to_ascii_lowercase(), String::from_utf8(body).unwrap())
}

struct Edge(Child);

impl Drop for Edge {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn manifest(ttl: Option<u32>) -> String {
    let text = serde_json::json!({
        "format": "mizan-edge-manifest", "version": 1, "protocol": 1, "base_path": "/api/mizan",
        "credentials": {"session_cookie": null, "bearer": false}, "mwt": null,
        "contexts": {"todos": {"path": "/api/mizan/ctx/todos/", "params": [], "ttl": ttl,
            "scope": "public", "revs": {"todo_list": 0}, "content_type": "application/json"}},
        "routes": [], "purges": {}
    })
    .to_string();
    // Equal lengths: the file poller must not tell the two apart (SIGHUP does the reload).
    format!("{text:<1000}")
}

#[test]
fn edge_runs_with_the_contract_flags_and_reloads_on_sighup() {
    let origin = origin();
    let dead = free_port();
    let listen = free_port();
    let metrics = free_port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge-manifest.json");
    std::fs::write(&path, manifest(Some(60))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mizan"))
        .args([
            "edge",
            "--origin",
            &format!("http://127.0.0.1:{dead}"),
            "--origin",
            &format!("http://127.0.0.1:{origin}"),
            "--listen",
            &format!("127.0.0.1:{listen}"),
            "--manifest",
            path.to_str().unwrap(),
            "--bus-channel",
            "mizan:bus",
            "--cache-bytes",
            "10000000",
            "--metrics",
            &format!("127.0.0.1:{metrics}"),
        ])
        .env_remove("MIZAN_MWT_KEYS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let edge = Edge(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert_eq!(
        line.trim(),
        format!("mizan edge listening on http://127.0.0.1:{listen}")
    );

    let mut conn = TcpStream::connect(("127.0.0.1", listen)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (head, first) = request(&mut conn, "/api/mizan/ctx/todos/");
    assert!(head.contains("x-mizan-edge: miss"), "{head}");
    let (head, again) = request(&mut conn, "/api/mizan/ctx/todos/");
    assert!(head.contains("x-mizan-edge: hit"), "{head}");
    assert_eq!(first, again);

    // The manifest loses the context's ttl; SIGHUP applies it on the same connection.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, manifest(None)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    // Longer than one poll: the poller alone would not reload.
    std::thread::sleep(Duration::from_millis(1500));
    let (head, _) = request(&mut conn, "/api/mizan/ctx/todos/");
    assert!(
        head.contains("x-mizan-edge: hit"),
        "reloaded without SIGHUP: {head}"
    );
    let status = Command::new("kill")
        .args(["-HUP", &edge.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (head, _) = request(&mut conn, "/api/mizan/ctx/todos/");
        if head.contains("x-mizan-edge: pass") {
            break;
        }
        assert!(Instant::now() < deadline, "the reload never applied");
        std::thread::sleep(Duration::from_millis(100));
    }

    let mut m = TcpStream::connect(("127.0.0.1", metrics)).unwrap();
    m.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (_, text) = {
        write!(
            m,
            "GET /metrics HTTP/1.1\r\nhost: m\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut all = String::new();
        m.read_to_string(&mut all).unwrap();
        let (head, body) = all.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), body.to_owned())
    };
    assert!(text.contains("mizan_edge_hits_total 2"), "{text}");
    assert!(text.contains("mizan_edge_reloads_total 1"), "{text}");
}
