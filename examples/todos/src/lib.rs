//! Mizan's todos example, as a library so that its tests build exactly the app that
//! `main.rs` serves. Run it with `cargo run -p example-todos` from `examples/`.

pub mod accounts;
pub mod api;
pub mod app;
pub mod config;
pub mod db;
pub mod limits;
pub mod model;
pub mod page;
