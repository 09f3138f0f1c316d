//! Which JSON types a parameter's schema admits: enough to tell that a scope value can
//! never equal a parameter's value (`"3"` for an integer parameter), so that the scope is
//! widened rather than silently matching nothing.

use std::collections::BTreeMap;

use serde_json::Value;

/// A set of JSON types, as a JSON Schema's `type` names them. `integer` values are also
/// `number`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonTypes(u8);

const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const INTEGER: u8 = 4;
const NUMBER: u8 = 8;
const STRING: u8 = 16;
const ARRAY: u8 = 32;
const OBJECT: u8 = 64;
const ANY: u8 = 127;

impl JsonTypes {
    /// Every type: what an unknown or unconstrained schema admits.
    pub const ANY: Self = Self(ANY);

    /// The types `schema` admits, following `$ref`s into `defs` (`#/$defs/<name>`) and
    /// `anyOf`/`oneOf`, `enum` and `const`. Anything it cannot read admits every type: the
    /// answer may be too wide, never too narrow.
    pub fn of(schema: &Value, defs: &BTreeMap<String, Value>) -> Self {
        Self::read(schema, defs, 0)
    }

    fn read(schema: &Value, defs: &BTreeMap<String, Value>, depth: u8) -> Self {
        let Some(obj) = schema.as_object() else {
            // `true` (or anything else): no constraint; `false` admits nothing but is
            // never a parameter's schema.
            return Self::ANY;
        };
        if depth > 16 {
            return Self::ANY;
        }
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            return match r.strip_prefix("#/$defs/").and_then(|n| defs.get(n)) {
                Some(target) => Self::read(target, defs, depth + 1),
                None => Self::ANY,
            };
        }
        if let Some(c) = obj.get("const") {
            return Self::of_value(c);
        }
        if let Some(values) = obj.get("enum").and_then(Value::as_array) {
            return values
                .iter()
                .fold(Self(0), |acc, v| Self(acc.0 | Self::of_value(v).0));
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(list) = obj.get(key).and_then(Value::as_array) {
                return list.iter().fold(Self(0), |acc, s| {
                    Self(acc.0 | Self::read(s, defs, depth + 1).0)
                });
            }
        }
        match obj.get("type") {
            Some(Value::String(t)) => Self::named(t),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .fold(Self(0), |acc, t| Self(acc.0 | Self::named(t).0)),
            _ => Self::ANY,
        }
    }

    fn named(name: &str) -> Self {
        Self(match name {
            "null" => NULL,
            "boolean" => BOOLEAN,
            "integer" => INTEGER,
            // Every integer is a number.
            "number" => NUMBER | INTEGER,
            "string" => STRING,
            "array" => ARRAY,
            "object" => OBJECT,
            _ => ANY,
        })
    }

    fn of_value(value: &Value) -> Self {
        Self(match value {
            Value::Null => NULL,
            Value::Bool(_) => BOOLEAN,
            Value::Number(n) if n.is_i64() || n.is_u64() => INTEGER | NUMBER,
            Value::Number(_) => NUMBER,
            Value::String(_) => STRING,
            Value::Array(_) => ARRAY,
            Value::Object(_) => OBJECT,
        })
    }

    /// The types as a phrase for messages: `integer`, `string or null`.
    pub fn describe(self) -> String {
        if self == Self::ANY {
            return "any JSON value".to_owned();
        }
        let names: Vec<&str> = [
            (INTEGER, "integer"),
            (NUMBER, "number"),
            (STRING, "string"),
            (BOOLEAN, "boolean"),
            (ARRAY, "array"),
            (OBJECT, "object"),
            (NULL, "null"),
        ]
        .into_iter()
        // A number admits integers: name it once.
        .filter(|(bit, name)| self.0 & bit != 0 && !(*name == "integer" && self.0 & NUMBER != 0))
        .map(|(_, name)| name)
        .collect();
        names.join(" or ")
    }

    /// Whether `value` has one of these types (`3.0` counts as an integer).
    ///
    /// An integer beyond the 64-bit integers (read as a double, like `88007559544596955136`)
    /// is only a `number`: no integer parameter can hold it.
    pub fn admits(self, value: &Value) -> bool {
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let own = match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => INTEGER | NUMBER,
            Value::Number(n)
                if n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() <= EXACT) =>
            {
                INTEGER | NUMBER
            }
            v => Self::of_value(v).0,
        };
        self.0 & own != 0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_of_common_parameter_schemas() {
        let defs = BTreeMap::from([("Id".to_owned(), json!({"type": "integer"}))]);
        let int = JsonTypes::of(&json!({"type": "integer", "format": "int64"}), &defs);
        assert!(int.admits(&json!(3)));
        assert!(int.admits(&json!(3.0)));
        assert!(!int.admits(&json!("3")));
        assert!(!int.admits(&json!(3.5)));
        assert!(int.admits(&json!(u64::MAX)));
        assert!(!int.admits(&json!(88_007_559_544_596_955_136.0)));
        let opt = JsonTypes::of(&json!({"type": ["string", "null"]}), &defs);
        assert!(opt.admits(&json!("x")) && !opt.admits(&json!(1)));
        let by_ref = JsonTypes::of(&json!({"$ref": "#/$defs/Id"}), &defs);
        assert!(by_ref.admits(&json!(7)) && !by_ref.admits(&json!(true)));
        let any_of = JsonTypes::of(
            &json!({"anyOf": [{"$ref": "#/$defs/Id"}, {"type": "null"}]}),
            &defs,
        );
        assert!(any_of.admits(&json!(7)) && !any_of.admits(&json!("7")));
        let choice = JsonTypes::of(&json!({"enum": ["open", "done"]}), &defs);
        assert!(choice.admits(&json!("open")) && !choice.admits(&json!(1)));
        assert_eq!(JsonTypes::of(&json!({}), &defs), JsonTypes::ANY);
        assert_eq!(
            JsonTypes::of(&json!({"$ref": "#/$defs/Missing"}), &defs),
            JsonTypes::ANY
        );
        assert_eq!(int.describe(), "integer");
        assert_eq!(opt.describe(), "string or null");
        let number = JsonTypes::of(&json!({"type": "number"}), &defs);
        assert_eq!(number.describe(), "number");
        assert!(number.admits(&json!(1)) && number.admits(&json!(1.5)));
    }
}
