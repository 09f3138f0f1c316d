//! The Mizan functions: queries grouped in contexts, and the mutations that invalidate
//! them. Anyone may read; changing todos and projects takes a signed-in user
//! (`auth = true`), deleting a project takes staff (`auth = "staff"`).

pub mod account;
pub mod projects;
pub mod todos;
