//! Items the `#[client]` macro expands to. Not a public API: names and shapes change
//! without notice.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::response::IntoResponse;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, FieldErrors, Result, report_fields};
use crate::function::Output;
use mizan_protocol::{Params, integral_floats};

pub use crate::api::Api;
pub use crate::auth::{Guard, Predicate};
pub use crate::cx::Cx;
pub use crate::extract::FromCx;
pub use crate::function::{FunctionDef, FunctionRef, Registration, Target, TargetRef};
pub use futures_util::future::BoxFuture;
pub use inventory;
pub use schemars;
pub use serde;
pub use serde_json::Value as JsonValue;

/// Decodes a function's arguments, naming the field path that failed. Keys the function
/// does not take are ignored here (calls reject them before; a context passes its whole
/// parameter set to each function).
///
/// Numbers with a zero fraction (`3.0`) are integers, as JSON Schema counts them: an `i64`
/// argument accepts `3.0` like any schema-following client expects.
pub fn decode_args<A: DeserializeOwned>(args: &Value) -> Result<A> {
    // Fast path: decode from the borrowed object. Only a failure pays for a copy, the
    // integer normalization and the path tracking of the slow path.
    if let Ok(decoded) = A::deserialize(args) {
        return Ok(decoded);
    }
    let mut args = args.clone();
    integral_floats(&mut args);
    serde_path_to_error::deserialize::<_, A>(args).map_err(|e| {
        let inner = e.inner().to_string();
        let mut path = field_path(e.path());
        // A missing member is keyed by its own path (`todo/title`), so a form shows it
        // next to its field.
        let missing = missing_field(&inner);
        if let Some(member) = &missing {
            let member = mizan_protocol::field_path::encode([member.as_str().into()]);
            path = if path.is_empty() {
                member
            } else {
                format!("{path}/{member}")
            };
        }
        let message = if path.is_empty() {
            format!("invalid arguments: {inner}")
        } else if missing.is_some() {
            format!("missing argument `{path}`")
        } else {
            format!("invalid argument `{path}`: {inner}")
        };
        Error::bad_request(message).with_fields(FieldErrors::from([(path, vec![inner])]))
    })
}

/// A `serde_path_to_error` path as a field path (`items/0/name`, PROTOCOL.md §10.1).
fn field_path(path: &serde_path_to_error::Path) -> String {
    use mizan_protocol::field_path::{Segment, encode};
    encode(path.iter().filter_map(|s| match s {
        serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
        serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key)),
        serde_path_to_error::Segment::Enum { variant } => Some(Segment::Key(variant)),
        serde_path_to_error::Segment::Unknown => None,
    }))
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// Turns collected validation messages into a 422.
pub fn check_fields(fields: FieldErrors) -> Result<()> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(fields))
    }
}

/// Gives an `affects_params` closure its parameter types.
pub fn scope<A, R>(args: &A, result: &R, f: impl FnOnce(&A, &R) -> Params) -> Option<Params> {
    Some(f(args, result))
}

/// Requires a context function to return data, not a response.
pub fn require_data<R: Serialize + JsonSchema>() {}

/// Probe for automatic `garde` validation of one argument.
pub struct Validate<'a, T>(pub &'a T);

/// Chosen when the argument's type implements `garde::Validate`.
pub trait ValidateThis {
    /// Validates, adding messages under `name`.
    fn mizan_validate(&self, name: &str, fields: &mut FieldErrors);
}

impl<T> ValidateThis for Validate<'_, T>
where
    T: garde::Validate,
    T::Context: Default,
{
    fn mizan_validate(&self, name: &str, fields: &mut FieldErrors) {
        if let Err(report) = self.0.validate() {
            for (k, v) in report_fields(&report, Some(name)) {
                fields.entry(k).or_default().extend(v);
            }
        }
    }
}

/// Chosen for every other argument type.
pub trait ValidateNothing {
    /// Does nothing.
    fn mizan_validate(&self, _name: &str, _fields: &mut FieldErrors) {}
}

impl<T> ValidateNothing for &Validate<'_, T> {}

/// Probe that picks the data path or the view path from a function's result type.
pub struct Probe<T>(PhantomData<T>);

impl<T> Probe<T> {
    /// A probe for `T`.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Chosen for results that serialize: the RPC path.
pub trait DataProbe {
    /// The data path.
    fn mizan_path(&self) -> DataPath {
        DataPath
    }
}

impl<T: Serialize + JsonSchema> DataProbe for Probe<T> {}

/// Chosen for results that are HTTP responses: the view path.
pub trait ViewProbe {
    /// The view path.
    fn mizan_path(&self) -> ViewPath {
        ViewPath
    }
}

impl<T: IntoResponse> ViewProbe for &Probe<T> {}

/// The RPC path: the result is serialized into `{"result": …}`.
pub struct DataPath;

impl DataPath {
    /// Serializes a result, object keys sorted at every depth (the protocol's promise),
    /// into a buffer sized like the function's previous result (`size` remembers it, at
    /// most 64 KiB: one large result must not make every later one preallocate as much).
    pub fn output<T: Serialize>(
        self,
        result: T,
        scope: Option<Params>,
        size: &AtomicUsize,
    ) -> Result<Output> {
        const MAX_HINT: usize = 64 << 10;
        let buf = crate::json::to_sorted_vec(&result, size.load(Ordering::Relaxed).max(64))?;
        size.store((buf.len() + buf.len() / 8).min(MAX_HINT), Ordering::Relaxed);
        Ok(Output::data(buf, scope))
    }

    /// The result's JSON Schema.
    pub fn result_schema<T: JsonSchema>(self, generator: &mut SchemaGenerator) -> Option<Schema> {
        Some(generator.subschema_for::<T>())
    }
}

/// The view path: the result is the response, invalidations go in a header.
pub struct ViewPath;

impl ViewPath {
    /// Turns a result into the response.
    pub fn output<T: IntoResponse>(
        self,
        result: T,
        scope: Option<Params>,
        _size: &AtomicUsize,
    ) -> Result<Output> {
        Ok(Output::view(result.into_response(), scope))
    }

    /// Responses have no JSON Schema.
    pub fn result_schema<T>(self, _: &mut SchemaGenerator) -> Option<Schema> {
        None
    }
}

/// The JSON Schema of an arguments struct, inline.
pub fn args_schema<A: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = A::json_schema(generator);
    if let Some(obj) = schema.as_object_mut() {
        obj.remove("title");
        // Calls refuse arguments a function does not take.
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    schema
}

/// Implemented by [`Cx`] only: the first parameter of a function, when it is a reference or
/// is spelt `Cx`, goes through it, so the context is recognised by its type (`use mizan::Cx
/// as Ctx;` works) and anything else is a clear error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `mizan::Cx`: only the request context is taken by reference",
    label = "arguments are decoded from JSON and must be owned (`String`, not `&str`)",
    note = "the first parameter may be the request context (`cx: &mizan::Cx`, or `cx: Cx` by value)"
)]
pub trait IsCx {
    /// The context, borrowed.
    fn cx_ref(cx: &Cx) -> &Self;
    /// The context, owned.
    fn cx_owned(cx: &Cx) -> Self
    where
        Self: Sized;
}

impl IsCx for Cx {
    fn cx_ref(cx: &Cx) -> &Self {
        cx
    }
    fn cx_owned(cx: &Cx) -> Self {
        cx.clone()
    }
}

/// Implemented by the return type of a function: `mizan::Result<T>` however it is spelt
/// (an alias, `std::result::Result<T, mizan::Error>`, or an error that converts into
/// [`Error`]).
#[diagnostic::on_unimplemented(
    message = "a Mizan function returns `mizan::Result<T>`, not `{Self}`",
    label = "not a `Result<T, E>` whose error converts into `mizan::Error`"
)]
pub trait FnResult {
    /// The `T` of `Result<T>`: the data or view the function produces.
    type Ok;
    /// The result with its error as a [`Error`].
    fn into_result(self) -> Result<Self::Ok>;
}

impl<T, E> FnResult for std::result::Result<T, E>
where
    Error: From<E>,
{
    type Ok = T;
    fn into_result(self) -> Result<T> {
        self.map_err(Error::from)
    }
}

/// Describes one filled-in parameter for [`FunctionDef::injected`].
pub fn injected<T: FromCx>() -> crate::extract::Injected {
    T::describe()
}

/// Implemented by every type a wire argument may have; named by the generated code so
/// that a parameter which is not one gets a message that says what else it could be.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Mizan argument: arguments are decoded from JSON (`serde::Deserialize` + `schemars::JsonSchema`)",
    label = "a plain-named parameter is a wire argument",
    note = "state and extractors are destructured (`State(db): State<Db>`) or marked `#[extract]`; a request context taken by value must be spelt `Cx` (or take it by reference: `cx: &Ctx`)"
)]
pub trait WireArg {}

impl<T: DeserializeOwned + JsonSchema> WireArg for T {}

/// Requires `T` to be a [`WireArg`].
pub fn wire_arg<T: WireArg>() {}

/// Wraps an `auth = path` predicate for [`Guard::Predicate`].
pub fn predicate<M, P: Predicate<M>>(p: P, cx: Cx) -> BoxFuture<'static, Result<bool>> {
    p.run(cx)
}
