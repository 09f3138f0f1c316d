//! The edge's errors.

/// Why the edge could not start or reload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeError {
    /// A flag or environment variable is wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// The manifest cannot be read or is not a manifest this edge understands.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}
