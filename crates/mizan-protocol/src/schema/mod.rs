//! The schema document, its lint and its OpenAPI rendering.

mod document;
mod lint;
mod openapi;
mod types;

pub use document::{
    AuthDoc, ChannelDoc, ContextDoc, CsrfDoc, FunctionDoc, Kind, ReturnPath, RouteDoc,
    SCHEMA_VERSION, SchemaDocument, Source, WebSocketDoc, arg_properties,
};
pub use lint::{Diagnostic, Level, lint};
pub use openapi::openapi;
pub use types::JsonTypes;
