//! `mizan::Upload`: a file sent as a part of a `multipart/form-data` body, streamed to a
//! temporary file before the function runs (PROTOCOL.md §6.2).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use tempfile::TempPath;

use crate::error::{Error, Result};

/// A file argument: `async fn set_avatar(cx: &Cx, avatar: mizan::Upload)`.
///
/// A function taking one is called with a `multipart/form-data` body (from an HTML form with
/// `enctype="multipart/form-data"`, or from the form core of `@mizan/runtime/form`): each
/// file part is streamed to a temporary file while the body arrives, within the API's
/// upload limit ([`Builder::upload_limit`](crate::Builder::upload_limit), `413` above it),
/// and the part of the argument's name becomes this value. The file is deleted when the
/// last `Upload` of it is dropped: [`persist`](Self::persist) it to keep it.
///
/// An `Upload` cannot be sent as JSON: only the server makes one, from a part of the
/// request being served. Check its type with [`accept`](Self::accept).
///
/// ```
/// use mizan::{Cx, Result, Upload};
///
/// #[mizan::client(auth = true)]
/// async fn set_avatar(cx: &Cx, avatar: Upload) -> Result<u64> {
///     avatar.accept(&["image/png", "image/jpeg"])?;
///     Ok(avatar.len())
/// }
/// ```
#[derive(Clone)]
pub struct Upload {
    inner: Arc<Stored>,
}

/// One received file.
pub(crate) struct Stored {
    pub(crate) path: TempPath,
    /// The part's name: the argument.
    pub(crate) field: String,
    pub(crate) file_name: Option<String>,
    /// The part's `Content-Type` (its essence, lowercase); `application/octet-stream` when
    /// the part gave none.
    pub(crate) content_type: String,
    pub(crate) size: u64,
    /// The first bytes, for [`Upload::accept`]'s content check.
    pub(crate) head: Vec<u8>,
}

/// How many leading bytes are kept for the content check.
pub(crate) const HEAD: usize = 16;

/// The files of requests being served, by their random token. A request's files are
/// removed when it ends ([`Pending`]); deserializing an [`Upload`] only looks them up.
static PENDING: LazyLock<Mutex<HashMap<String, Arc<Stored>>>> = LazyLock::new(Default::default);

/// The key of the marker object an upload argument holds while the arguments are decoded.
const MARKER: &str = "$mizan_upload";

/// The uploads of one request: registered while its body is read, forgotten when it ends
/// (the files themselves go with their last [`Upload`]).
#[derive(Default)]
pub(crate) struct Pending {
    tokens: Vec<String>,
}

impl Pending {
    /// Registers a received file; returns the argument value that stands for it.
    pub(crate) fn add(&mut self, stored: Stored) -> Value {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).expect("the operating system's random source");
        let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
        PENDING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), Arc::new(stored));
        self.tokens.push(token.clone());
        serde_json::json!({ MARKER: token })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.tokens.is_empty() {
            return;
        }
        let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
        for token in &self.tokens {
            pending.remove(token);
        }
    }
}

impl Upload {
    /// The name of the form field (the argument) it came in.
    pub fn field(&self) -> &str {
        &self.inner.field
    }

    /// The file name the client gave, if any. Untrusted: never use it as a path.
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name.as_deref()
    }

    /// The media type the client declared for the part (lowercase, without parameters);
    /// `application/octet-stream` when it declared none. Check it with
    /// [`accept`](Self::accept).
    pub fn content_type(&self) -> &str {
        &self.inner.content_type
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.inner.size
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.size == 0
    }

    /// Where the temporary file is (deleted with the last `Upload` of it).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Reads the whole file.
    pub async fn bytes(&self) -> Result<Vec<u8>> {
        Ok(tokio::fs::read(self.path()).await?)
    }

    /// Copies the file to `to` (the temporary file is still deleted with the last
    /// `Upload`).
    pub async fn persist(&self, to: impl AsRef<Path>) -> Result<()> {
        tokio::fs::copy(self.path(), to).await?;
        Ok(())
    }

    /// Checks the file's type: its declared media type must be one of `types` (`image/*`
    /// matches any image type), and for the formats recognised by their first bytes (PNG,
    /// JPEG, GIF, WebP, PDF, ZIP) the content must be what was declared. A failure is a
    /// `422 validation` keyed by the field, which a form shows next to it.
    pub fn accept(&self, types: &[&str]) -> Result<()> {
        let declared = self.content_type();
        let listed = types.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            match t.strip_suffix("/*") {
                Some(kind) => declared.split('/').next() == Some(kind),
                None => t == declared,
            }
        });
        if !listed {
            return Err(Error::field(
                self.field(),
                format!(
                    "files of type {declared} are not accepted (accepted: {})",
                    types.join(", ")
                ),
            ));
        }
        match sniff(&self.inner.head) {
            Some(actual) if actual != declared => Err(Error::field(
                self.field(),
                format!("the file is {actual}, not {declared} as declared"),
            )),
            None if SNIFFED.iter().any(|(t, _)| *t == declared) => Err(Error::field(
                self.field(),
                format!("the file is not {declared} as declared"),
            )),
            _ => Ok(()),
        }
    }
}

/// Formats recognised by their first bytes: (media type, signature).
const SNIFFED: [(&str, &[u8]); 6] = [
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF8"),
    ("application/pdf", b"%PDF-"),
    ("application/zip", b"PK\x03\x04"),
    ("image/webp", b"RIFF"),
];

/// The media type the first bytes show, for the formats of [`SNIFFED`].
fn sniff(head: &[u8]) -> Option<&'static str> {
    SNIFFED.iter().find_map(|(t, signature)| {
        let webp_ok = *t != "image/webp" || head.get(8..12) == Some(b"WEBP");
        (head.starts_with(signature) && webp_ok).then_some(*t)
    })
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("field", &self.inner.field)
            .field("file_name", &self.inner.file_name)
            .field("content_type", &self.inner.content_type)
            .field("len", &self.inner.size)
            .finish_non_exhaustive()
    }
}

impl<'de> Deserialize<'de> for Upload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(UploadVisitor)
    }
}

struct UploadVisitor;

impl<'de> Visitor<'de> for UploadVisitor {
    type Value = Upload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a file: send the form as multipart/form-data with a file part of this name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Upload, A::Error> {
        let mut token: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != MARKER || token.is_some() {
                return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
            }
            token = Some(map.next_value()?);
        }
        let stored = token.and_then(|t| {
            PENDING
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&t)
                .cloned()
        });
        stored
            .map(|inner| Upload { inner })
            .ok_or_else(|| de::Error::invalid_type(de::Unexpected::Map, &self))
    }
}

impl JsonSchema for Upload {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Upload".into()
    }

    fn inline_schema() -> bool {
        true
    }

    /// A binary string: OpenAPI's file in a multipart body, a `Blob` in generated code.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "binary",
            "contentMediaType": "application/octet-stream"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(content_type: &str, head: &[u8]) -> Upload {
        let path = tempfile::NamedTempFile::new()
            .expect("temp file")
            .into_temp_path();
        Upload {
            inner: Arc::new(Stored {
                path,
                field: "avatar".into(),
                file_name: Some("a.png".into()),
                content_type: content_type.into(),
                size: head.len() as u64,
                head: head.to_vec(),
            }),
        }
    }

    #[test]
    fn accept_checks_the_declared_type_and_the_content() {
        let png = b"\x89PNG\r\n\x1a\n0000";
        assert!(upload("image/png", png).accept(&["image/png"]).is_ok());
        assert!(upload("image/png", png).accept(&["image/*"]).is_ok());
        let e = upload("text/plain", b"hello")
            .accept(&["image/png"])
            .unwrap_err();
        assert_eq!(e.status(), 422);
        assert!(e.fields().is_some_and(|f| f.contains_key("avatar")));
        // A PNG declared as JPEG, a text declared as PNG.
        assert!(upload("image/jpeg", png).accept(&["image/jpeg"]).is_err());
        assert!(
            upload("image/png", b"hello")
                .accept(&["image/png"])
                .is_err()
        );
        // Types without a signature are taken as declared.
        assert!(upload("text/csv", b"a,b").accept(&["text/csv"]).is_ok());
    }

    #[test]
    fn json_cannot_forge_an_upload() {
        for value in [
            serde_json::json!({MARKER: "00000000000000000000000000000000"}),
            serde_json::json!("/etc/passwd"),
            serde_json::json!({"path": "/etc/passwd"}),
        ] {
            assert!(serde_json::from_value::<Upload>(value).is_err());
        }
    }
}
