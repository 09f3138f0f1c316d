//! The shared, language-agnostic test vectors of `spec/vectors/` run against this
//! implementation through the public API, and the spec's JSON Schemas checked against the
//! vector files and against a real schema document.
//!
//! Every other backend and client runs the same vectors (`spec/vectors/reference.mjs` is
//! the JavaScript side), so the canonical forms agree byte for byte.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mizan_protocol::cache_key::{self, KeyInput, Scope};
use mizan_protocol::edge_manifest::{EdgeManifest, EdgeMwt, MANIFEST_SCHEMA};
use mizan_protocol::field_path::{self, Segment};
use mizan_protocol::invalidation::{decode_header, encode_header, normalize};
use mizan_protocol::mwt::{self, MwtClaims, MwtKeys};
use mizan_protocol::schema::SchemaDocument;
use mizan_protocol::{Invalidation, Params, canonical_json};
use serde::Serialize;
use serde_json::{Value, json};

/// Every vector file, by the feature it pins.
/// (`ws-messages` is the server's parser of WebSocket client messages: run by `mizan`'s
/// `ws::message` tests and spec/vectors/reference.mjs.)
/// (`ssr-frame` and `page-data` are the SSR bridge's: crates/mizan-ssr runs them.)
const FEATURES: [&str; 13] = [
    "field-path",
    "canonical-json",
    "params-encode",
    "params-decode",
    "invalidation-match",
    "invalidate-header",
    "normalize",
    "mwt",
    "cache-key",
    "ws-messages",
    "ssr-frame",
    "page-data",
    "edge-manifest",
];

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// One vector: its description (for every assertion message) and its fields.
struct Vector {
    what: String,
    v: Value,
}

impl Vector {
    fn get(&self, key: &str) -> &Value {
        self.v
            .get(key)
            .unwrap_or_else(|| panic!("{}: the vector has no `{key}`", self.what))
    }

    fn str(&self, key: &str) -> &str {
        self.get(key)
            .as_str()
            .unwrap_or_else(|| panic!("{}: `{key}` is not a string", self.what))
    }

    fn params(&self, key: &str) -> Params {
        let map = self
            .get(key)
            .as_object()
            .unwrap_or_else(|| panic!("{}: `{key}` is not an object", self.what));
        Params::from_map(map.clone())
    }

    fn list(&self, key: &str) -> Vec<Invalidation> {
        serde_json::from_value(self.get(key).clone())
            .unwrap_or_else(|e| panic!("{}: `{key}` is not an invalidation list: {e}", self.what))
    }
}

/// The vectors of `spec/vectors/{feature}.json`.
fn vectors(feature: &str) -> Vec<Vector> {
    let file = read_json(&spec().join("vectors").join(format!("{feature}.json")));
    assert_eq!(
        file["feature"], feature,
        "{feature}.json names another feature"
    );
    let list = file["vectors"]
        .as_array()
        .unwrap_or_else(|| panic!("{feature}.json has no vectors"));
    assert!(!list.is_empty(), "{feature}.json has no vectors");
    list.iter()
        .map(|v| Vector {
            what: format!(
                "{feature}.json: {}",
                v["description"].as_str().unwrap_or("(no description)")
            ),
            v: v.clone(),
        })
        .collect()
}

/// Canonical JSON of anything serializable: how vectors compare parameters (3 == 3.0).
fn canonical(value: &impl Serialize) -> String {
    canonical_json(&serde_json::to_value(value).expect("serializable"))
}

#[test]
fn field_path_vectors() {
    for v in vectors("field-path") {
        let given = v.get("segments").as_array().expect("segments");
        let segments = given.iter().map(|s| match s {
            Value::String(key) => Segment::Key(key),
            Value::Number(n) => Segment::Index(
                usize::try_from(n.as_u64().expect("an index")).expect("an index that fits"),
            ),
            other => panic!("{}: a segment is {other}", v.what),
        });
        assert_eq!(field_path::encode(segments), v.str("path"), "{}", v.what);
        let decoded: Vec<String> = given
            .iter()
            .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
            .collect();
        assert_eq!(
            field_path::decode(v.str("path")),
            decoded,
            "{} (decoded)",
            v.what
        );
    }
}

#[test]
fn canonical_json_vectors() {
    for v in vectors("canonical-json") {
        assert_eq!(
            canonical_json(v.get("value")),
            v.str("canonical"),
            "{}",
            v.what
        );
    }
}

#[test]
fn params_encode_vectors() {
    for v in vectors("params-encode") {
        let params = v.params("params");
        let query = params.to_query();
        assert_eq!(query, v.str("query"), "{}", v.what);
        // Deserializing drops nulls just as building from a map does.
        let deserialized: Params =
            serde_json::from_value(v.get("params").clone()).expect("params deserialize");
        assert_eq!(deserialized.to_query(), query, "{} (deserialized)", v.what);
        // The canonical form decodes to the same parameters.
        let back = Params::from_query(&query)
            .unwrap_or_else(|e| panic!("{}: the canonical query does not decode: {e}", v.what));
        assert_eq!(
            canonical(&back),
            canonical(&params),
            "{} (round trip)",
            v.what
        );
    }
}

#[test]
fn params_decode_vectors() {
    for v in vectors("params-decode") {
        match (Params::from_query(v.str("query")), v.v.get("error")) {
            (Ok(params), None) => {
                assert_eq!(canonical(&params), canonical(v.get("params")), "{}", v.what);
                assert_eq!(params.to_query(), v.str("canonical"), "{}", v.what);
            }
            (Err(e), Some(expected)) => {
                // A parameter error is always `400 bad_request` naming its parameter.
                assert_eq!(expected["status"], 400, "{}", v.what);
                assert_eq!(expected["code"], "bad_request", "{}", v.what);
                assert_eq!(
                    json!([e.param]),
                    expected["fields"],
                    "{} (error fields)",
                    v.what
                );
            }
            (Ok(params), Some(_)) => panic!("{}: expected an error, decoded {params:?}", v.what),
            (Err(e), None) => panic!("{}: expected parameters, failed with {e}", v.what),
        }
    }
}

#[test]
fn invalidation_match_vectors() {
    for v in vectors("invalidation-match") {
        let scope = v.params("scope");
        let instance = v.params("instance");
        let hit = v.get("hit").as_bool().expect("hit is a boolean");
        assert_eq!(scope.matches(&instance), hit, "{}", v.what);
        let invalidation = Invalidation::scoped("todos", scope);
        assert_eq!(
            invalidation.hits("todos", &instance),
            hit,
            "{} (Invalidation::hits)",
            v.what
        );
        assert!(
            !invalidation.hits("other", &instance),
            "{} (another context)",
            v.what
        );
        assert!(
            Invalidation::Context("todos".into()).hits("todos", &instance),
            "{} (unscoped)",
            v.what
        );
    }
}

#[test]
fn invalidate_header_vectors() {
    for v in vectors("invalidate-header") {
        if let Some(header) = v.v.get("header") {
            // Both ways.
            let list = v.list("list");
            let encoded = encode_header(&list);
            let text = encoded.as_deref();
            assert!(
                text.is_none_or(|t| t.bytes().all(|b| b == b' ' || b.is_ascii_graphic())),
                "{}: a header value is visible ASCII",
                v.what
            );
            assert_eq!(json!(text), *header, "{} (encode)", v.what);
            let decoded = decode_header(text.unwrap_or_default())
                .unwrap_or_else(|e| panic!("{}: the encoded header does not decode: {e}", v.what));
            assert_eq!(canonical(&decoded), canonical(&list), "{} (decode)", v.what);
            continue;
        }
        // Several header fields (a proxy split or folded them) decode to one list.
        let fields = v.get("fields").as_array().expect("fields is an array");
        let decoded: Result<Vec<Invalidation>, _> = fields
            .iter()
            .map(|f| decode_header(f.as_str().expect("a field is a string")))
            .collect::<Result<Vec<_>, _>>()
            .map(|lists| lists.concat());
        match (decoded, v.v.get("list")) {
            (Ok(list), Some(expected)) => {
                assert_eq!(canonical(&list), canonical(expected), "{}", v.what);
            }
            (Err(_), None) => {}
            (Ok(list), None) => panic!("{}: expected an error, decoded {list:?}", v.what),
            (Err(e), Some(_)) => panic!("{}: expected a list, failed with {e}", v.what),
        }
    }
}

#[test]
fn normalize_vectors() {
    for v in vectors("normalize") {
        let normalized = normalize(v.list("list"));
        assert_eq!(
            canonical(&normalized),
            canonical(v.get("normalized")),
            "{}",
            v.what
        );
        // Normalizing is idempotent.
        assert_eq!(
            canonical(&normalize(normalized.clone())),
            canonical(&normalized),
            "{} (twice)",
            v.what
        );
    }
}

/// MWT claims from a vector (`{"sub", "roles", "exp"}`), as `MwtClaims::new` takes them.
fn mwt_claims(value: &Value, what: &str) -> Result<MwtClaims, mwt::MwtIssueError> {
    let sub = value["sub"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: sub"));
    let roles = value["roles"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: roles"))
        .iter()
        .map(|r| r.as_str().unwrap_or_else(|| panic!("{what}: a role")));
    let exp = value["exp"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: exp"));
    MwtClaims::new(sub, roles, exp)
}

/// Claims as the vectors write them.
fn mwt_json(claims: &MwtClaims) -> Value {
    json!({"sub": claims.sub(), "roles": claims.roles(), "exp": claims.exp()})
}

#[test]
fn mwt_vectors() {
    let file = read_json(&spec().join("vectors/mwt.json"));
    let now = file["now"].as_u64().expect("now");
    let leeway = file["leeway"].as_u64().expect("leeway");
    let secrets: Vec<(String, Vec<u8>)> = file["keys"]
        .as_object()
        .expect("keys")
        .iter()
        .map(|(kid, hex)| {
            let hex = hex.as_str().expect("a secret is hex");
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect();
            (kid.clone(), bytes)
        })
        .collect();
    // The same key map, signing with `kid`.
    let keys = |kid: &str| -> MwtKeys {
        let (_, secret) = secrets
            .iter()
            .find(|(k, _)| k == kid)
            .expect("the signing kid is a key");
        let mut keys = MwtKeys::new(kid, secret)
            .expect("valid key")
            .with_leeway(leeway);
        for (other, secret) in secrets.iter().filter(|(k, _)| k != kid) {
            keys = keys.with_key(other, secret).expect("valid key");
        }
        keys
    };
    let verifier = keys(&secrets[0].0);
    for v in vectors("mwt") {
        if let Some(issue) = v.v.get("issue") {
            let kid = issue["kid"].as_str().expect("issue.kid");
            let issued =
                mwt_claims(&issue["claims"], &v.what).and_then(|c| mwt::issue(&c, &keys(kid)));
            match (issued, v.v.get("token")) {
                (Ok(token), Some(expected)) => {
                    assert_eq!(json!(token), *expected, "{} (issue)", v.what);
                }
                (Err(e), None) => {
                    assert_eq!(json!(e.kind()), *v.get("error"), "{} (issue)", v.what);
                }
                (Ok(token), None) => panic!("{}: expected an error, issued {token}", v.what),
                (Err(e), Some(_)) => panic!("{}: expected a token, failed with {e}", v.what),
            }
            if v.v.get("token").is_none() {
                continue;
            }
        }
        let token = v.str("token");
        match (mwt::verify(token, &verifier, now), v.v.get("claims")) {
            (Ok(claims), Some(expected)) => assert_eq!(mwt_json(&claims), *expected, "{}", v.what),
            (Err(e), None) => assert_eq!(json!(e.kind()), *v.get("error"), "{}", v.what),
            (Ok(claims), None) => panic!("{}: expected an error, verified {claims:?}", v.what),
            (Err(e), Some(_)) => panic!("{}: expected claims, failed with {e}", v.what),
        }
        // Every signing key verifies the same way: the key map, not its signing kid, decides.
        let other = keys(&secrets[secrets.len() - 1].0);
        assert_eq!(
            mwt::verify(token, &other, now).map_err(|e| e.kind()),
            mwt::verify(token, &verifier, now).map_err(|e| e.kind()),
            "{} (another signing kid)",
            v.what
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn cache_key_vectors() {
    let file = read_json(&spec().join("vectors/cache-key.json"));
    let secret: Vec<u8> = file["secret"]
        .as_str()
        .expect("a hex secret")
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).expect("hex"), 16).expect("hex"))
        .collect();
    for v in vectors("cache-key") {
        let input = v.get("input");
        let revs: Vec<(&str, u32)> = input["revs"]
            .as_object()
            .expect("revs")
            .iter()
            .map(|(k, r)| {
                (
                    k.as_str(),
                    u32::try_from(r.as_u64().expect("a rev")).expect("u32"),
                )
            })
            .collect();
        let params = Params::from_map(input["params"].as_object().expect("params").clone());
        let query = params.to_query();
        let scope = match &input["scope"] {
            Value::String(s) if s == "public" => Scope::Public,
            Value::String(s) if s == "anonymous" => Scope::Anonymous,
            other => Scope::User(other["user"].as_str().expect("a user scope")),
        };
        let key_input = KeyInput {
            version: u32::try_from(input["version"].as_u64().expect("a version")).expect("u32"),
            name: input["name"].as_str().expect("a name"),
            revs: &revs,
            query: &query,
            scope,
        };
        let encoding = cache_key::encoding(&key_input);
        assert_eq!(hex(&encoding), v.str("encoding"), "{}", v.what);
        assert_eq!(
            cache_key::cache_key(&secret, &key_input),
            v.str("key"),
            "{}",
            v.what
        );
    }
}

fn validator(schema: &Value, name: &str) -> jsonschema::Validator {
    if let Err(e) = jsonschema::meta::validate(schema) {
        panic!("{name} is not a valid JSON Schema: {e}");
    }
    jsonschema::draft202012::new(schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn vector_files_follow_their_schema() {
    let schema = validator(
        &read_json(&spec().join("vectors/vectors.schema.json")),
        "vectors.schema.json",
    );
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(spec().join("vectors")).expect("spec/vectors exists") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.ends_with(".json") || name == "vectors.schema.json" {
            continue;
        }
        let file = read_json(&path);
        let problems = errors(&schema, &file);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        assert_eq!(
            Some(name.trim_end_matches(".json")),
            file["feature"].as_str(),
            "{name}: a file is named after its feature"
        );
        let mut descriptions = BTreeSet::new();
        for v in file["vectors"].as_array().into_iter().flatten() {
            let what = v["description"].as_str().unwrap_or_default();
            assert!(
                descriptions.insert(what),
                "{name}: description `{what}` is repeated"
            );
        }
        found.insert(name.trim_end_matches(".json").to_owned());
    }
    let expected: BTreeSet<String> = FEATURES.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(found, expected, "spec/vectors has one file per feature");

    // The schema rejects what it should.
    let bad = json!({
        "feature": "params-encode",
        "description": "x",
        "vectors": [{ "description": "x", "params": {}, "hit": true }],
    });
    assert!(
        !errors(&schema, &bad).is_empty(),
        "a vector of the wrong shape is rejected"
    );
    // MWT files need their keys, clock and leeway; no other file may have them.
    let mwt = json!({
        "feature": "mwt",
        "description": "x",
        "vectors": [{ "description": "x", "token": "t", "error": "expired" }],
    });
    assert!(
        !errors(&schema, &mwt).is_empty(),
        "an MWT file without keys"
    );
    let mut keyed = mwt;
    keyed["keys"] = json!({ "k1": "00".repeat(32) });
    keyed["now"] = json!(1);
    keyed["leeway"] = json!(0);
    assert_eq!(errors(&schema, &keyed), Vec::<String>::new(), "an MWT file");
    keyed["vectors"][0]["claims"] = json!({ "sub": "u", "roles": [], "exp": 1 });
    assert!(
        !errors(&schema, &keyed).is_empty(),
        "claims and an error at once"
    );
    keyed["vectors"][0] = json!({ "description": "x", "token": "t", "error": "too_large" });
    assert!(
        !errors(&schema, &keyed).is_empty(),
        "an issue error for a verification"
    );
    let mut stray = json!({
        "feature": "canonical-json",
        "description": "x",
        "vectors": [{ "description": "x", "value": 1, "canonical": "1" }],
    });
    assert_eq!(
        errors(&schema, &stray),
        Vec::<String>::new(),
        "a canonical-json file"
    );
    stray["now"] = json!(1);
    assert!(
        !errors(&schema, &stray).is_empty(),
        "now outside an MWT file"
    );
}

#[test]
fn edge_manifest_vectors() {
    let manifest_schema = validator(
        &serde_json::from_str(MANIFEST_SCHEMA).expect("the embedded manifest schema is JSON"),
        "edge-manifest.schema.json",
    );
    assert_eq!(
        serde_json::from_str::<Value>(MANIFEST_SCHEMA).ok(),
        Some(read_json(&spec().join("edge-manifest.schema.json"))),
        "the embedded schema is spec/edge-manifest.schema.json"
    );
    // The documents are not checked against schema-document.schema.json: some hold
    // view-path queries with a route (the cacheable pages of EDGE_MANIFEST.md §3.3), which
    // version 1 of that schema does not admit yet (a query is `rpc` there).
    for v in vectors("edge-manifest") {
        let doc: SchemaDocument = serde_json::from_value(v.get("schema").clone())
            .unwrap_or_else(|e| panic!("{}: not a schema document: {e}", v.what));
        let mwt: Option<EdgeMwt> = serde_json::from_value(v.get("mwt").clone())
            .unwrap_or_else(|e| panic!("{}: `mwt`: {e}", v.what));
        let derived = EdgeManifest::from_schema(&doc, mwt);
        assert_eq!(
            canonical(&derived),
            canonical_json(v.get("manifest")),
            "{}",
            v.what
        );
        let json = serde_json::to_value(&derived).expect("serializable");
        let problems = errors(&manifest_schema, &json);
        assert!(problems.is_empty(), "{}: {problems:#?}", v.what);
        assert_eq!(derived.check(), vec![], "{}", v.what);
        let parsed = EdgeManifest::parse(&derived.to_json_pretty())
            .unwrap_or_else(|e| panic!("{}: {e}", v.what));
        assert_eq!(parsed, derived, "{} (read back)", v.what);
    }
}

#[test]
fn the_manifest_schema_refuses_what_it_should() {
    let schema = validator(
        &serde_json::from_str(MANIFEST_SCHEMA).expect("JSON"),
        "edge-manifest.schema.json",
    );
    let good = json!({
        "format": "mizan-edge-manifest", "version": 1, "protocol": 1, "base_path": "/api/mizan",
        "credentials": {"session_cookie": null, "bearer": false},
        "mwt": {"cookie": "mizan-mwt", "header": "x-mizan-mwt", "key_ids": ["k1"], "signing_key_id": "k1", "leeway": 60},
        "contexts": {"todos": {"path": "/api/mizan/ctx/todos/", "params": ["project"], "ttl": 30,
                               "scope": "public", "revs": {"todo_list": 0}, "content_type": "application/json"}},
        "routes": [{"function": "page", "context": "page", "pattern": "/p/{id}", "params": [], "ttl": 5,
                    "scope": "user", "rev": 0, "content_type": "text/html"}],
        "purges": {"add": {"route": {"pattern": "/add", "methods": ["POST"]}, "contexts": ["todos"], "routes": []}},
    });
    assert_eq!(errors(&schema, &good), Vec::<String>::new());
    let bad: [(&str, Value); 9] = [
        ("/format", json!("mizan-schema")),
        ("/version", json!(2)),
        ("/base_path", json!("/api/")),
        ("/mwt/key_ids/0", json!("a key")),
        ("/contexts/todos/scope", json!("everyone")),
        ("/contexts/todos/extra", json!(1)),
        ("/routes/0/ttl", json!(0)),
        ("/routes/0/pattern", json!("p/{id}")),
        ("/purges/add/route/methods", json!(["FETCH"])),
    ];
    for (pointer, value) in bad {
        let mut m = good.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        let target = m.pointer_mut(parent).expect("the parent exists");
        match target {
            Value::Object(map) => {
                map.insert(key.to_owned(), value);
            }
            Value::Array(items) => items[key.parse::<usize>().expect("an index")] = value,
            _ => unreachable!(),
        }
        assert!(!errors(&schema, &m).is_empty(), "{pointer} is refused");
    }
}
