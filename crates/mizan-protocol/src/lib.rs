//! The Mizan wire protocol, without a server: what every implementation (the `mizan` server
//! crate, the code generator, the CLI, the edge proxy, a backend in another language) must
//! agree on, byte for byte.
//!
//! - [`canonical_json`]: RFC 8785 canonical JSON, the one spelling of a value;
//! - [`Params`]: a context instance's parameters, their canonical URL and how an
//!   invalidation scope matches them;
//! - [`cache_key`]: origin cache keys, HMAC-SHA256 over a length-prefixed encoding;
//! - [`edge_manifest`]: the edge manifest, the cache policy of a proxy in front of an origin;
//! - [`field_path`]: how an error names the value it is about (`items/2/qty`);
//! - [`invalidation`]: what a call invalidates and the `X-Mizan-Invalidate` header codec;
//! - [`mwt`]: the Mizan Web Token, the signed cache scope an edge keys entries by;
//! - [`schema`]: the versioned schema document, its lint (`mizan check`) and its OpenAPI
//!   rendering.
//!
//! The contract is `spec/PROTOCOL.md` with the vectors in `spec/vectors/`, which this
//! crate's tests run. No HTTP server, runtime or validation library is a dependency.

pub mod cache_key;
mod canonical;
pub mod edge_manifest;
pub mod field_path;
pub mod invalidation;
pub mod mwt;
mod params;
pub mod schema;

pub use canonical::{COMPONENT, canonical_json, integral_floats, utf16_cmp};
pub use invalidation::Invalidation;
pub use params::{ParamError, Params};

/// The protocol version (`spec/PROTOCOL.md`).
pub const PROTOCOL_VERSION: u32 = 1;
