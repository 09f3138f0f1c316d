//! Names: wire names and `$defs` keys to TypeScript identifiers, and collision detection.

use std::collections::BTreeMap;

use crate::Problem;

/// The words of a name: split on `_`, `-` and every other character that cannot be part
/// of an identifier; empty words are dropped.
fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn uncapitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `add_todo` → `AddTodo`, `user-profile` → `UserProfile`; the letters after the first of a
/// word are kept (`NewName` stays `NewName`). May start with a digit; empty when the name
/// has no letters or digits.
pub(crate) fn pascal(name: &str) -> String {
    words(name).map(capitalize).collect()
}

/// `add_todo` → `addTodo`, `TodoList` → `todoList`.
pub(crate) fn camel(name: &str) -> String {
    uncapitalize(&pascal(name))
}

/// A type name: [`pascal`], with `_` in front when it would start with a digit.
pub(crate) fn type_name(name: &str) -> String {
    let p = pascal(name);
    if p.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{p}")
    } else {
        p
    }
}

/// Whether `s` is an ASCII JavaScript identifier (reserved words included: they are valid
/// property names).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key as written in an object type or literal: bare when it is an
/// identifier, else a string literal.
pub(crate) fn property_key(key: &str) -> String {
    if is_identifier(key) {
        key.to_owned()
    } else {
        string_literal(key)
    }
}

/// A TypeScript string literal (JSON's syntax is a subset of it).
pub(crate) fn string_literal(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The generated names of one namespace of one file: a second claim of a name is a
/// collision.
pub(crate) struct Namespace {
    file: &'static str,
    what: &'static str,
    taken: BTreeMap<String, String>,
}

impl Namespace {
    pub(crate) fn new(file: &'static str, what: &'static str) -> Self {
        Self {
            file,
            what,
            taken: BTreeMap::new(),
        }
    }

    /// Claims `name` for `origin` (e.g. "function `add_todo`"); records a collision in
    /// `problems` when another origin has it.
    pub(crate) fn claim(&mut self, name: &str, origin: String, problems: &mut Vec<Problem>) {
        match self.taken.get(name) {
            Some(first) => problems.push(Problem::Collision {
                file: self.file,
                what: self.what,
                name: name.to_owned(),
                first: first.clone(),
                second: origin,
            }),
            None => {
                self.taken.insert(name.to_owned(), origin);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_underscores_and_dashes() {
        assert_eq!(camel("add_todo"), "addTodo");
        assert_eq!(camel("user-profile"), "userProfile");
        assert_eq!(camel("todos"), "todos");
        assert_eq!(camel("TodoList"), "todoList");
        assert_eq!(camel("__a__b"), "aB");
        assert_eq!(pascal("add_todo"), "AddTodo");
        assert_eq!(pascal("NewName"), "NewName");
        assert_eq!(pascal("Page<Product>"), "PageProduct");
        assert_eq!(pascal("_-_"), "");
        assert_eq!(type_name("2fa"), "_2fa");
    }

    #[test]
    fn keys_are_quoted_when_they_are_not_identifiers() {
        assert_eq!(property_key("ID"), "ID");
        assert_eq!(property_key("$x_1"), "$x_1");
        assert_eq!(property_key("my-key"), "\"my-key\"");
        assert_eq!(property_key("2fa"), "\"2fa\"");
        assert_eq!(property_key(""), "\"\"");
        assert_eq!(property_key("é"), "\"é\"");
    }
}
