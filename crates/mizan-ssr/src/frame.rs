//! The frames of the worker socket (spec/SSR.md §2): an 8-byte header — the JSON part's
//! length and the blob's length, both `u32` big-endian — then a JSON-RPC 2.0 message and the
//! blob (a render's HTML as raw UTF-8, never escaped into a JSON string).

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest JSON part the Rust side reads (a reply's JSON is small: the HTML is the blob).
pub(crate) const MAX_JSON: u32 = 16 * 1024 * 1024;
/// The largest blob (a page's HTML) the Rust side reads.
pub(crate) const MAX_BLOB: u32 = 256 * 1024 * 1024;

/// One frame.
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) message: Value,
    pub(crate) blob: Vec<u8>,
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("the worker closed the socket")]
    Closed,
    #[error("a frame of {0} + {1} bytes is over the limit")]
    TooLarge(u32, u32),
    #[error("a frame's JSON part is not a JSON object: {0}")]
    NotJson(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Writes one frame.
pub(crate) async fn write(
    out: &mut (impl AsyncWrite + Unpin),
    message: &Value,
    blob: &[u8],
) -> std::io::Result<()> {
    let json = serde_json::to_vec(message)?;
    let mut bytes = Vec::with_capacity(8 + json.len() + blob.len());
    for len in [json.len(), blob.len()] {
        let len = u32::try_from(len).map_err(std::io::Error::other)?;
        bytes.extend_from_slice(&len.to_be_bytes());
    }
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(blob);
    out.write_all(&bytes).await?;
    out.flush().await
}

/// Reads one frame.
pub(crate) async fn read(input: &mut (impl AsyncRead + Unpin)) -> Result<Frame, FrameError> {
    let mut header = [0u8; 8];
    if let Err(e) = input.read_exact(&mut header).await {
        return Err(if e.kind() == std::io::ErrorKind::UnexpectedEof {
            FrameError::Closed
        } else {
            e.into()
        });
    }
    let [a, b, c, d, e, f, g, h] = header;
    let json_len = u32::from_be_bytes([a, b, c, d]);
    let blob_len = u32::from_be_bytes([e, f, g, h]);
    if json_len > MAX_JSON || blob_len > MAX_BLOB {
        return Err(FrameError::TooLarge(json_len, blob_len));
    }
    let mut json = vec![0; json_len as usize];
    input.read_exact(&mut json).await?;
    let mut blob = vec![0; blob_len as usize];
    input.read_exact(&mut blob).await?;
    let message: Value =
        serde_json::from_slice(&json).map_err(|e| FrameError::NotJson(e.to_string()))?;
    if !message.is_object() {
        return Err(FrameError::NotJson("not an object".into()));
    }
    Ok(Frame { message, blob })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_frame_round_trips_and_garbage_is_refused() {
        let mut bytes = Vec::new();
        let message = serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {}});
        write(&mut bytes, &message, "<p>é</p>".as_bytes())
            .await
            .expect("write");
        let frame = read(&mut bytes.as_slice()).await.expect("read");
        assert_eq!(frame.message, message);
        assert_eq!(frame.blob, "<p>é</p>".as_bytes());

        let huge = [0xff; 16];
        assert!(matches!(
            read(&mut huge.as_slice()).await,
            Err(FrameError::TooLarge(..))
        ));
        let mut not_json = vec![0, 0, 0, 3, 0, 0, 0, 0];
        not_json.extend_from_slice(b"abc");
        assert!(matches!(
            read(&mut not_json.as_slice()).await,
            Err(FrameError::NotJson(_))
        ));
        assert!(matches!(
            read(&mut [0u8, 1].as_slice()).await,
            Err(FrameError::Closed)
        ));
    }
}
