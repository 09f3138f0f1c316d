//! `#[client]`: options, signature, expansion.

mod expand;
mod options;
mod signature;

pub(crate) use expand::expand;
