//! The pool under faults: hung, crashed and killed workers, garbage on the socket, stray
//! replies, workers that cannot start, a bundle changed under the pool, recycling, the
//! breaker, strict mode, and concurrent load with faults mixed in. Every fault ends in a
//! fallback within the deadline and a pool that recovers.

mod support;

use std::time::{Duration, Instant};

use mizan_ssr::{BreakerConfig, FallbackReason, RenderInput, Ssr, SsrError, StartError};
use serde_json::json;
use support::{all_idle, config, fixture, private_copy};

fn input(props: serde_json::Value) -> RenderInput {
    let mut input = RenderInput::new("/page?x=1");
    if let serde_json::Value::Object(props) = props {
        input.props = props;
    }
    input
}

async fn render(ssr: &Ssr, props: serde_json::Value) -> mizan_ssr::Rendered {
    ssr.render(input(props)).await.expect("not strict")
}

/// The pid a render reports.
fn pid_of(html: &str) -> String {
    html.split("<p id=\"pid\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_render_carries_url_props_identity_and_data_and_console_log_stays_out_of_the_protocol() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1))
        .await
        .expect("starts");
    let mut page = input(json!({"mode": "log"}));
    page.identity = json!({"name": "alice <admin>"});
    page.data = json!({"todos?project=1": {"context": "todos", "params": {"project": 1}, "data": {"n": 1}, "updatedAt": 1, "stale": false}});
    let out = ssr.render(page).await.expect("renders");
    assert_eq!(out.fallback, None);
    assert!(
        out.html.contains("<p id=\"who\">alice &lt;admin></p>"),
        "{}",
        out.html
    );
    assert!(out.html.contains("todos?project=1"), "{}", out.html);
    assert_eq!(out.head, "<title>/page?x=1</title>");
    assert_eq!(ssr.metrics().rendered, 1);
}

#[tokio::test]
async fn a_page_that_throws_is_a_fallback_and_its_worker_stays_in_service() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1))
        .await
        .expect("starts");
    let before = pid_of(&render(&ssr, json!({})).await.html);
    let out = render(&ssr, json!({"mode": "throw"})).await;
    assert_eq!(out.fallback, Some(FallbackReason::Error));
    assert!(out.html.is_empty());
    assert_eq!(pid_of(&render(&ssr, json!({})).await.html), before);
    assert_eq!(ssr.metrics().fallbacks_for(FallbackReason::Error), 1);
    assert_eq!(ssr.metrics().replaced, 0);
}

#[tokio::test]
async fn strict_mode_makes_a_failed_render_an_error_with_the_javascript_stack() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1).strict(true))
        .await
        .expect("starts");
    let error = ssr
        .render(input(json!({"mode": "throw"})))
        .await
        .expect_err("strict");
    let SsrError::Render {
        reason,
        message,
        stack,
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(reason, FallbackReason::Error);
    assert_eq!(message, "boom from the page");
    assert!(stack.contains("bundle.mjs"), "{stack}");
}

#[tokio::test]
async fn a_hung_worker_is_killed_at_the_deadline_and_replaced() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1))
        .await
        .expect("starts");
    let hung = ssr.worker_pids();
    let started = Instant::now();
    let out = render(&ssr, json!({"mode": "hang"})).await;
    // The deadline is 1 s; the fallback comes with it (generously bounded: a shared machine).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.fallback, Some(FallbackReason::Timeout));
    all_idle(&ssr).await;
    let now = ssr.worker_pids();
    assert_ne!(now, hung, "a hung worker is never reused");
    assert_eq!(render(&ssr, json!({})).await.fallback, None);
    // The hung process is gone (TERM, then KILL after 500 ms).
    let proc = format!("/proc/{}", hung[0]);
    for _ in 0..200 {
        if !std::path::Path::new(&proc).exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!std::path::Path::new(&proc).exists());
}

#[tokio::test]
async fn a_worker_that_dies_mid_render_is_a_fallback_and_is_replaced() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1))
        .await
        .expect("starts");
    let out = render(&ssr, json!({"mode": "crash"})).await;
    assert_eq!(out.fallback, Some(FallbackReason::Crash));
    all_idle(&ssr).await;

    // Killed from outside while rendering.
    let pid = ssr.worker_pids()[0];
    let slow = {
        let ssr = ssr.clone();
        tokio::spawn(async move { render(&ssr, json!({"mode": "slow", "ms": 800})).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert_eq!(
        slow.await.expect("joins").fallback,
        Some(FallbackReason::Crash)
    );
    all_idle(&ssr).await;
    assert_eq!(render(&ssr, json!({})).await.fallback, None);
    assert_eq!(ssr.metrics().replaced, 2);
}

#[tokio::test]
async fn garbage_on_the_socket_is_a_crash_and_the_worker_is_replaced() {
    let ssr =
        Ssr::start(config(fixture("bundle.mjs"), 1).worker_script(fixture("garbage-worker.mjs")))
            .await
            .expect("starts");
    let first = ssr.worker_pids();
    let out = render(&ssr, json!({})).await;
    assert_eq!(out.fallback, Some(FallbackReason::Crash));
    all_idle(&ssr).await;
    assert_ne!(ssr.worker_pids(), first);
}

#[tokio::test]
async fn a_reply_whose_id_is_not_pending_never_reaches_a_caller() {
    let ssr =
        Ssr::start(config(fixture("bundle.mjs"), 1).worker_script(fixture("stray-worker.mjs")))
            .await
            .expect("starts");
    for _ in 0..3 {
        let out = render(&ssr, json!({})).await;
        assert_eq!(out.html, "<p>mine</p>");
    }
}

#[tokio::test]
async fn a_bundle_that_cannot_load_or_a_worker_on_another_bundle_fails_the_start_clearly() {
    let error = Ssr::start(config(fixture("broken-bundle.mjs"), 1))
        .await
        .expect_err("broken");
    let SsrError::Start(StartError::Bundle { message, stack }) = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("broken on purpose"), "{message}");
    assert!(stack.contains("broken-bundle.mjs"), "{stack}");

    let error = Ssr::start(
        config(fixture("bundle.mjs"), 1).worker_script(fixture("wrong-hash-worker.mjs")),
    )
    .await
    .expect_err("wrong hash");
    assert!(
        matches!(error, SsrError::Start(StartError::HashMismatch { .. })),
        "{error:?}"
    );

    let error = Ssr::start(config(fixture("no-such-bundle.mjs"), 1))
        .await
        .expect_err("missing");
    assert!(error.to_string().contains("no-such-bundle.mjs"), "{error}");
}

#[tokio::test]
async fn replacements_that_exit_at_start_up_give_fallbacks_until_they_start_again() {
    let bundle = private_copy("bundle.mjs");
    let flag = bundle.with_file_name("fail-start");
    let ssr = Ssr::start(
        config(bundle, 1)
            .worker_script(support::worker_script())
            .queue(Duration::from_millis(200), 64),
    )
    .await
    .expect("starts");
    std::fs::write(&flag, "").expect("flag");
    let out = render(&ssr, json!({"mode": "crash"})).await;
    assert_eq!(out.fallback, Some(FallbackReason::Crash));
    // The replacement exits at start-up, again and again (wait for the first to have failed:
    // starting Node takes a while on a busy machine): pages are fallbacks, quickly.
    for _ in 0..400 {
        if ssr.metrics().failed_starts >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ssr.metrics().failed_starts >= 1, "{:?}", ssr.metrics());
    let started = Instant::now();
    let out = render(&ssr, json!({})).await;
    assert_eq!(out.fallback, Some(FallbackReason::NoWorker));
    assert!(started.elapsed() < Duration::from_secs(2));
    std::fs::remove_file(&flag).expect("unflag");
    all_idle(&ssr).await;
    assert_eq!(render(&ssr, json!({})).await.fallback, None);
}

#[tokio::test]
async fn a_new_bundle_on_disk_replaces_the_workers_running_the_old_one() {
    let bundle = private_copy("bundle.mjs");
    let ssr = Ssr::start(config(bundle.clone(), 2)).await.expect("starts");
    all_idle(&ssr).await;
    assert!(!render(&ssr, json!({})).await.html.contains("v2"));
    let source = std::fs::read_to_string(&bundle).expect("read");
    std::fs::write(
        &bundle,
        source.replace("<p id=\"who\">", "<p id=\"v2\">v2</p><p id=\"who\">"),
    )
    .expect("deploy");
    // Every render is answered (by an old worker's replacement, or as a fallback while none
    // is ready); soon every answer comes from the new bundle.
    let mut new = 0;
    for _ in 0..40 {
        let out = render(&ssr, json!({})).await;
        if out.html.contains("v2") {
            new += 1;
            if new == 4 {
                break;
            }
        }
    }
    assert_eq!(new, 4, "{:?}", ssr.metrics());
    all_idle(&ssr).await;
}

#[tokio::test]
async fn workers_are_recycled_after_n_renders_without_a_failed_render() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1).recycle(3, u64::MAX))
        .await
        .expect("starts");
    let first = pid_of(&render(&ssr, json!({})).await.html);
    // The worker serves on while its replacement starts; then the replacement serves.
    let mut replaced = false;
    for _ in 0..200 {
        let out = render(&ssr, json!({})).await;
        assert_eq!(out.fallback, None, "{:?}", ssr.metrics());
        if pid_of(&out.html) != first {
            replaced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(replaced, "{:?}", ssr.metrics());
    assert!(ssr.metrics().recycled >= 1);
}

#[tokio::test]
async fn the_breaker_turns_ssr_off_after_repeated_failures() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1).breaker(BreakerConfig {
        failures: 2,
        window: Duration::from_secs(60),
        open_for: Duration::from_secs(60),
    }))
    .await
    .expect("starts");
    for _ in 0..2 {
        assert_eq!(
            render(&ssr, json!({"mode": "crash"})).await.fallback,
            Some(FallbackReason::Crash)
        );
        all_idle(&ssr).await;
    }
    let started = Instant::now();
    let out = render(&ssr, json!({})).await;
    assert_eq!(out.fallback, Some(FallbackReason::BreakerOpen));
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn two_identities_rendering_interleaved_each_see_only_their_own() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 1))
        .await
        .expect("starts");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let ssr = ssr.clone();
        let name = if i % 2 == 0 { "alice" } else { "bob" };
        tasks.push(tokio::spawn(async move {
            let mut page = input(json!({}));
            page.identity = json!({"name": name});
            (name, ssr.render(page).await.expect("renders"))
        }));
    }
    for task in tasks {
        let (name, out) = task.await.expect("joins");
        if out.fallback.is_none() {
            assert!(
                out.html.contains(&format!("<p id=\"who\">{name}</p>")),
                "{}",
                out.html
            );
        }
    }
}

#[tokio::test]
async fn under_concurrent_load_with_faults_every_request_is_answered_and_the_pool_recovers() {
    let ssr = Ssr::start(config(fixture("bundle.mjs"), 2))
        .await
        .expect("starts");
    all_idle(&ssr).await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let ssr = ssr.clone();
        let mode = ["ok", "hang", "crash", "ok", "throw", "ok"][i % 6];
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let out = render(&ssr, json!({"mode": mode})).await;
            (mode, out, started.elapsed())
        }));
    }
    for task in tasks {
        let (mode, out, took) = task.await.expect("joins");
        // queue wait (0.5 s) + deadline (1 s), generously bounded for a shared machine
        assert!(took < Duration::from_secs(5), "{mode}: {took:?}");
        match mode {
            "ok" => assert!(
                out.fallback.is_none()
                    || matches!(
                        out.fallback,
                        Some(FallbackReason::Busy | FallbackReason::NoWorker)
                    ),
                "{out:?}"
            ),
            _ => assert!(out.fallback.is_some(), "{mode}: {out:?}"),
        }
    }
    all_idle(&ssr).await;
    for _ in 0..4 {
        assert_eq!(render(&ssr, json!({})).await.fallback, None);
    }
}

#[tokio::test]
async fn bun_runs_the_same_worker_through_the_same_faults() {
    // Bun is a dev dependency of the repository (npm ci installs node_modules/.bin/bun).
    let config = config(fixture("bundle.mjs"), 1).runtime(mizan_ssr::Runtime::Bun);
    let ssr = Ssr::start(config)
        .await
        .expect("Bun starts (npm ci installs it)");
    let mut page = input(json!({}));
    page.identity = json!({"name": "bun"});
    let out = ssr.render(page).await.expect("renders");
    assert!(out.html.contains("<p id=\"who\">bun</p>"), "{}", out.html);
    assert_eq!(
        render(&ssr, json!({"mode": "throw"})).await.fallback,
        Some(FallbackReason::Error)
    );
    assert_eq!(
        render(&ssr, json!({"mode": "hang"})).await.fallback,
        Some(FallbackReason::Timeout)
    );
    all_idle(&ssr).await;
    assert_eq!(
        render(&ssr, json!({"mode": "crash"})).await.fallback,
        Some(FallbackReason::Crash)
    );
    all_idle(&ssr).await;
    assert_eq!(render(&ssr, json!({})).await.fallback, None);
}
