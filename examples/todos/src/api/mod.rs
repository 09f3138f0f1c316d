//! The Mizan functions: queries grouped in contexts, and the mutations that invalidate
//! them.

pub mod projects;
pub mod todos;
