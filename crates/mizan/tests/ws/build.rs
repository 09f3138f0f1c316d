//! What `build()` refuses in a WebSocket configuration, and what the schema document says.

use axum::response::Redirect;
use mizan::ws::{Channel, WebSocket};
use mizan::{BuildError, Mizan};
use serde_json::json;

use crate::{NOTES, Note, add_todo, shout, todo_list};

/// A view-path function cannot answer over the WebSocket.
#[mizan::client(websocket = true)]
async fn page() -> mizan::Result<Redirect> {
    Ok(Redirect::to("/"))
}

static BAD_NAME: Channel<Note> = Channel::new("no spaces");

fn problems(ws: WebSocket, with_page: bool) -> Vec<String> {
    let functions = if with_page {
        mizan::functions![todo_list, page]
    } else {
        mizan::functions![todo_list]
    };
    match Mizan::builder().functions(functions).websocket(ws).build() {
        Err(BuildError::WebSocket(problems)) => problems,
        other => panic!("expected a WebSocket error, got {other:?}"),
    }
}

#[test]
fn misconfigurations_fail_the_build_naming_the_mistake() {
    let twice = problems(
        WebSocket::new()
            .channel(&NOTES, |_| true)
            .channel(&NOTES, |_| true),
        false,
    );
    assert!(twice[0].contains("`notes` is added twice"), "{twice:?}");
    let unknown = problems(WebSocket::new().client_publish(&NOTES, |_| true), false);
    assert!(unknown[0].contains("was not added"), "{unknown:?}");
    let bad = problems(WebSocket::new().channel(&BAD_NAME, |_| true), false);
    assert!(bad[0].contains("not a wire name"), "{bad:?}");
    let view = problems(WebSocket::new(), true);
    assert!(
        view[0].contains("`page`") && view[0].contains("HTTP response"),
        "{view:?}"
    );
}

#[test]
fn the_schema_document_lists_the_channels_and_the_websocket_functions() {
    let api = Mizan::builder()
        .functions(mizan::functions![todo_list, add_todo, shout])
        .websocket(crate::config())
        .build()
        .expect("builds");
    let doc = serde_json::to_value(api.schema()).expect("JSON");
    assert_eq!(
        doc["websocket"]["channels"]["notes"],
        json!({"payload": {"$ref": "#/$defs/Note"}, "publish": true})
    );
    assert!(doc["$defs"]["Note"].is_object());
    assert_eq!(doc["functions"]["add_todo"]["websocket"], json!(true));
    assert!(doc["functions"]["todo_list"].get("websocket").is_none());
    // and the document is valid against its schema
    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/schema-document.schema.json"
    )))
    .expect("the schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("a schema");
    assert!(validator.is_valid(&doc), "{doc}");
}
