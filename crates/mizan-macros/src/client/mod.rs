//! `#[client]`: options, signature, expansion.

mod expand;
mod options;
mod reads;
mod signature;

pub(crate) use expand::expand;
