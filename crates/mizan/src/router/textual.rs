//! Arguments given as text (path segments, query strings, form fields, multipart text
//! parts) and as files, added to a call's JSON arguments (PROTOCOL.md §8.1, §6.2).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::registry::{Coerce, FnEntry};

/// What to do with a key the function does not take.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Ignore it: an HTML form carries fields of its own (submit buttons, the CSRF token).
    Ignore,
    /// Refuse it (`400`), as `/call/` refuses unknown JSON arguments.
    Refuse,
}

/// Adds textual values, each read by the argument's JSON Schema (§8.1).
pub(crate) fn add(
    entry: &FnEntry,
    text: BTreeMap<String, Vec<String>>,
    args: &mut Map<String, Value>,
    unknown: Unknown,
) -> Result<()> {
    for (key, values) in text {
        let Some(how) = slot(entry, &key, args, unknown)? else {
            continue;
        };
        args.insert(key.clone(), coerce(&key, how, values)?);
    }
    Ok(())
}

/// How argument `key` takes its textual or file values: `None` for a key that is not an
/// argument (an error when unknown keys are refused), an error when `args` has it already.
fn slot(
    entry: &FnEntry,
    key: &str,
    args: &Map<String, Value>,
    unknown: Unknown,
) -> Result<Option<Coerce>> {
    let Some(&how) = entry.coerce.get(key) else {
        if unknown == Unknown::Refuse {
            super::call::check_known(entry, &Map::from_iter([(key.to_owned(), Value::Null)]))?;
        }
        return Ok(None);
    };
    if args.contains_key(key) {
        return Err(given_twice(key));
    }
    Ok(Some(how))
}

/// Adds the values standing for received files: one per argument, or an array for an
/// array argument (`Vec<Upload>`).
pub(crate) fn add_files(
    entry: &FnEntry,
    files: BTreeMap<String, Vec<Value>>,
    args: &mut Map<String, Value>,
    unknown: Unknown,
) -> Result<()> {
    for (key, mut values) in files {
        let Some(how) = slot(entry, &key, args, unknown)? else {
            continue;
        };
        let value = match (how, values.len()) {
            (Coerce::Array, _) => Value::Array(values),
            (_, 1) => values.pop().unwrap_or_default(),
            _ => return Err(given_twice(&key)),
        };
        args.insert(key, value);
    }
    Ok(())
}

fn coerce(key: &str, how: Coerce, mut values: Vec<String>) -> Result<Value> {
    if how == Coerce::Array {
        return Ok(Value::Array(
            values.iter().map(|v| json_or_text(v)).collect(),
        ));
    }
    if values.len() > 1 {
        return Err(given_twice(key));
    }
    let v = values.pop().unwrap_or_default();
    Ok(match how {
        Coerce::Text => Value::String(v),
        Coerce::Bool => match v.as_str() {
            "true" | "on" | "1" => Value::Bool(true),
            "false" | "off" | "0" | "" => Value::Bool(false),
            _ => Value::String(v),
        },
        Coerce::Array | Coerce::Json => json_or_text(&v),
    })
}

fn json_or_text(v: &str) -> Value {
    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()))
}

/// An unchecked HTML checkbox sends nothing: a boolean argument absent from a form is
/// `false`.
pub(crate) fn absent_checkboxes(entry: &FnEntry, args: &mut Map<String, Value>) {
    for (key, how) in &entry.coerce {
        if *how == Coerce::Bool && !args.contains_key(key) {
            args.insert(key.clone(), Value::Bool(false));
        }
    }
}

pub(crate) fn given_twice(key: &str) -> Error {
    Error::bad_field(key, format!("argument `{key}` is given more than once"))
}
