//! spec/vectors/ssr-frame.json and page-data.json (spec/SSR.md): the Rust side of the SSR
//! socket encodes and decodes frames byte for byte as the vectors say, and writes the page
//! data script exactly.

use std::path::Path;

use serde_json::Value;

fn vectors(feature: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors")
        .join(format!("{feature}.json"));
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the vector file"))
            .expect("JSON");
    assert_eq!(file["feature"], feature);
    file["vectors"].as_array().expect("vectors").clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

#[tokio::test]
async fn ssr_frame_vectors() {
    for v in vectors("ssr-frame") {
        let what = v["description"].as_str().unwrap_or_default();
        let bytes = unhex(v["hex"].as_str().expect("hex"));
        let decoded = mizan_ssr::__vectors::decode_frame(&bytes).await;
        match v.get("error").and_then(Value::as_str) {
            Some(kind) => assert_eq!(decoded.err().as_deref(), Some(kind), "{what}"),
            None => {
                let blob = v["blob"].as_str().expect("blob");
                let encoded =
                    mizan_ssr::__vectors::encode_frame(&v["message"], blob.as_bytes()).await;
                assert_eq!(hex(&encoded), v["hex"].as_str().expect("hex"), "{what}");
                let (message, decoded_blob) = decoded.expect(what);
                assert_eq!(message, v["message"], "{what}");
                assert_eq!(decoded_blob, blob.as_bytes(), "{what}");
            }
        }
    }
}

#[test]
fn page_data_vectors() {
    for v in vectors("page-data") {
        let what = v["description"].as_str().unwrap_or_default();
        let script = mizan_ssr::__vectors::page_data_script(&v["data"]);
        assert_eq!(script, v["script"].as_str().expect("script"), "{what}");
    }
}
