//! Reading `multipart/form-data` bodies (PROTOCOL.md §6.2): text parts as textual
//! arguments, file parts streamed to temporary files within the upload limit.

use std::collections::BTreeMap;

use axum::body::Body;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};
use crate::upload::{HEAD, Pending, Stored};

/// The most parts one body may have (each file part is a temporary file while the request
/// lasts): more is a `400`.
const MAX_PARTS: usize = 1000;

/// A multipart body, read.
#[derive(Default)]
pub(crate) struct Multipart {
    /// Text parts by name, in order.
    pub(crate) text: BTreeMap<String, Vec<String>>,
    /// File parts by name: the values standing for them among the arguments.
    pub(crate) files: BTreeMap<String, Vec<Value>>,
    /// The received files, registered until the request ends.
    pub(crate) pending: Pending,
}

/// Reads a whole multipart body: at most `limit` bytes in all (`413` beyond, judged from
/// `Content-Length` when given, else while reading) and `text_limit` bytes per text part.
/// A file part whose file name is empty and which has no content is a file input left
/// empty: it is not sent on.
pub(crate) async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    text_limit: usize,
) -> Result<Multipart> {
    super::body::refuse_declared_over(headers, limit)?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| Error::bad_request("a multipart body needs a boundary in its Content-Type"))?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
    let mut parts =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut out = Multipart::default();
    let mut count = 0;
    while let Some(mut part) = parts.next_field().await.map_err(|e| malformed(&e, limit))? {
        count += 1;
        if count > MAX_PARTS {
            return Err(Error::bad_request(format!(
                "a multipart body has at most {MAX_PARTS} parts"
            )));
        }
        let Some(name) = part.name().map(str::to_owned) else {
            return Err(Error::bad_request("a multipart part has no name"));
        };
        let Some(file_name) = part.file_name().map(str::to_owned) else {
            let mut text = Vec::new();
            while let Some(chunk) = part.chunk().await.map_err(|e| malformed(&e, limit))? {
                if text.len() + chunk.len() > text_limit {
                    return Err(Error::payload_too_large(text_limit));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| {
                Error::bad_field(name.clone(), format!("the part `{name}` is not UTF-8 text"))
            })?;
            out.text.entry(name).or_default().push(text);
            continue;
        };
        let content_type = part.content_type().map_or_else(
            || "application/octet-stream".to_owned(),
            |m| m.essence_str().to_ascii_lowercase(),
        );
        let (file, path) = tempfile::NamedTempFile::new()?.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut size = 0u64;
        let mut head = Vec::with_capacity(HEAD);
        while let Some(chunk) = part.chunk().await.map_err(|e| malformed(&e, limit))? {
            if head.len() < HEAD {
                head.extend_from_slice(&chunk[..chunk.len().min(HEAD - head.len())]);
            }
            size += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        if file_name.is_empty() && size == 0 {
            continue;
        }
        let value = out.pending.add(Stored {
            path,
            field: name.clone(),
            file_name: Some(file_name).filter(|n| !n.is_empty()),
            content_type,
            size,
            head,
        });
        out.files.entry(name).or_default().push(value);
    }
    Ok(out)
}

/// A multer failure: `413` for a body over the limit, else `400`.
fn malformed(e: &multer::Error, limit: usize) -> Error {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            Error::payload_too_large(limit)
        }
        other => Error::bad_request(format!("malformed multipart body: {other}")),
    }
}
