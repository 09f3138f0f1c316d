//! `mizan::Upload`: multipart bodies on `/call/` and on routes, the upload limit, the type
//! check, and that nothing but a received part becomes an upload.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::response::Redirect;
use http::{Request, StatusCode};
use mizan::{Cx, Error, Result, Upload};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::support::{Reply, post, send};

/// Where the last upload's temporary file was.
#[derive(Clone, Default)]
pub(crate) struct LastPath(pub(crate) Arc<Mutex<Option<PathBuf>>>);

#[derive(Serialize, JsonSchema)]
pub(crate) struct Received {
    caption: String,
    file_name: Option<String>,
    content_type: String,
    len: u64,
    content: String,
}

/// Takes a PNG and a caption.
#[mizan::client]
pub(crate) async fn set_avatar(cx: &Cx, avatar: Upload, caption: String) -> Result<Received> {
    avatar.accept(&["image/png"])?;
    *cx.state::<LastPath>()?
        .0
        .lock()
        .map_err(|_| Error::internal("poisoned"))? = Some(avatar.path().to_owned());
    let bytes = avatar.bytes().await?;
    Ok(Received {
        caption,
        file_name: avatar.file_name().map(str::to_owned),
        content_type: avatar.content_type().to_owned(),
        len: avatar.len(),
        content: String::from_utf8_lossy(&bytes[8..]).into_owned(),
    })
}

/// Any number of attachments.
#[mizan::client]
pub(crate) async fn attach(files: Vec<Upload>, note: Option<String>) -> Result<Vec<u64>> {
    let _ = note;
    Ok(files.iter().map(Upload::len).collect())
}

/// The JavaScript-off form: a route answering with a redirect.
#[mizan::client(route = "/avatar", methods = [POST])]
pub(crate) async fn avatar_form(avatar: Upload) -> Result<Redirect> {
    avatar.accept(&["image/*"])?;
    Ok(Redirect::to(&format!("/done?len={}", avatar.len())))
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const BOUNDARY: &str = "XyZ";

/// A part: (name, file name and type for a file, content).
type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some((file_name, ty)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {ty}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn send_parts(app: &axum::Router, uri: &str, parts: &[Part<'_>], script: bool) -> Reply {
    let mut request = Request::post(uri).header(
        "content-type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if script {
        request = request.header("x-mizan-client", "1");
    }
    send(
        app,
        request.body(Body::from(multipart(parts))).expect("request"),
    )
    .await
}

fn app(limit: usize) -> axum::Router {
    app_with(limit, LastPath::default())
}

fn app_with(limit: usize, last: LastPath) -> axum::Router {
    crate::builder()
        .state(last)
        .upload_limit(limit)
        .build()
        .expect("valid")
        .router()
}

fn png(text: &str) -> Vec<u8> {
    [PNG, text.as_bytes()].concat()
}

#[tokio::test]
async fn a_file_part_becomes_the_upload_argument_and_its_file_goes_after() {
    let last = LastPath::default();
    let app = app_with(1 << 20, last.clone());
    let content = png("pixels");
    let r = send_parts(
        &app,
        "/api/mizan/call/set_avatar/",
        &[
            ("caption", None, b"me"),
            ("avatar", Some(("me.png", "image/png")), &content),
        ],
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    assert_eq!(
        r.json()["result"],
        json!({"caption": "me", "file_name": "me.png", "content_type": "image/png", "len": 14, "content": "pixels"})
    );
    // The temporary file is gone once the call is answered.
    let path = last.0.lock().expect("lock").clone().expect("a path");
    assert!(!path.exists(), "{} is left behind", path.display());
}

#[tokio::test]
async fn the_upload_limit_is_413_declared_or_streamed() {
    let app = app(64);
    let big = png(&"x".repeat(200));
    let parts: &[Part<'_>] = &[
        ("caption", None, b"c"),
        ("avatar", Some(("a.png", "image/png")), &big),
    ];
    let declared = send_parts(&app, "/api/mizan/call/set_avatar/", parts, true).await;
    assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(declared.code(), "payload_too_large");
    // Without Content-Length: counted while streaming.
    let chunks: Vec<std::result::Result<Vec<u8>, std::io::Error>> = multipart(parts)
        .chunks(16)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = send(
        &app,
        Request::post("/api/mizan/call/set_avatar/")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header("x-mizan-client", "1")
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .expect("request"),
    )
    .await;
    assert_eq!(
        streamed.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        streamed.json()
    );
}

#[tokio::test]
async fn the_type_is_checked_against_the_declaration_and_the_content() {
    let app = app(1 << 20);
    for (declared, content, why) in [
        ("text/plain", png("x"), "an undeclared type"),
        ("image/png", b"GIF89a....".to_vec(), "a GIF declared as PNG"),
        (
            "image/png",
            b"not an image".to_vec(),
            "text declared as PNG",
        ),
    ] {
        let r = send_parts(
            &app,
            "/api/mizan/call/set_avatar/",
            &[
                ("caption", None, b"c"),
                ("avatar", Some(("a.png", declared)), &content),
            ],
            true,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {}",
            r.json()
        );
        assert!(r.json()["error"]["fields"]["avatar"].is_array(), "{why}");
    }
}

#[tokio::test]
async fn multipart_calls_need_the_client_header_and_known_parts() {
    let app = app(1 << 20);
    let content = png("x");
    let parts: &[Part<'_>] = &[
        ("caption", None, b"c"),
        ("avatar", Some(("a.png", "image/png")), &content),
    ];
    // A cross-site HTML form cannot send X-Mizan-Client.
    let form = send_parts(&app, "/api/mizan/call/set_avatar/", parts, false).await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unknown = send_parts(
        &app,
        "/api/mizan/call/set_avatar/",
        &[parts[0], parts[1], ("zzz", None, b"1")],
        true,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.json()["error"]["fields"]["zzz"].is_array());
    let twice = send_parts(
        &app,
        "/api/mizan/call/set_avatar/",
        &[parts[0], parts[1], parts[1]],
        true,
    )
    .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    // Several files for an array argument; none at all is an empty list.
    let many = send_parts(
        &app,
        "/api/mizan/call/attach/",
        &[
            ("files", Some(("a", "text/plain")), b"ab"),
            ("files", Some(("b", "text/plain")), b"abc"),
        ],
        true,
    )
    .await;
    assert_eq!(many.json()["result"], json!([2, 3]), "{}", many.json());
    let malformed = send(
        &app,
        Request::post("/api/mizan/call/attach/")
            .header("content-type", "multipart/form-data")
            .header("x-mizan-client", "1")
            .body(Body::from("x"))
            .expect("request"),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn json_cannot_name_an_upload() {
    let app = app(1 << 20);
    for avatar in [
        json!({"$mizan_upload": "00000000000000000000000000000000"}),
        json!("/etc/passwd"),
        json!({"path": "/etc/passwd"}),
    ] {
        let r = post(
            &app,
            "/api/mizan/call/set_avatar/",
            json!({"avatar": avatar, "caption": "c"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{avatar}");
        assert!(r.json()["error"]["fields"]["avatar"].is_array());
    }
    // A text part where a file is expected is no file either.
    let r = send_parts(
        &app,
        "/api/mizan/call/set_avatar/",
        &[("caption", None, b"c"), ("avatar", None, b"/etc/passwd")],
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn routes_take_multipart_forms_and_an_empty_file_input_is_no_file() {
    let app = app(1 << 20);
    let content = png("x");
    let r = send_parts(
        &app,
        "/avatar",
        &[("avatar", Some(("a.png", "image/png")), &content)],
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.json());
    assert_eq!(r.header("location"), Some("/done?len=9"));
    let empty = send_parts(
        &app,
        "/avatar",
        &[("avatar", Some(("", "application/octet-stream")), b"")],
        false,
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(
        empty.json()["error"]["fields"]["avatar"].is_array(),
        "{}",
        empty.json()
    );
}

#[tokio::test]
async fn a_body_of_too_many_parts_is_refused() {
    let app = app(1 << 20);
    let parts: Vec<Part<'_>> = (0..1001)
        .map(|_| ("files", Some(("a", "text/plain")), &b"x"[..]))
        .collect();
    let r = send_parts(&app, "/api/mizan/call/attach/", &parts, true).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json());
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("1000 parts"))
    );
}
