//! Contexts: named groups of query functions fetched together in one request.

use std::fmt;

use crate::invalidation::Invalidation;
use mizan_protocol::Params;

/// A typed handle for a context, declared once with [`context!`](crate::context!) and
/// referred to by `#[client(context = …, affects = […])]`.
///
/// A misspelt handle is a compile error; the wire name is checked when the program is
/// compiled (it must match `[A-Za-z0-9_-]{1,64}`).
pub struct Context {
    name: &'static str,
    file: &'static str,
    line: u32,
}

impl Context {
    /// Declares a context. Prefer the [`context!`](crate::context!) macro, which also makes
    /// the handle usable in `affects = […]`.
    ///
    /// # Panics
    /// At compile time (in a `static`), when `name` is not a valid context name.
    pub const fn new(name: &'static str, file: &'static str, line: u32) -> Self {
        assert!(
            valid_name(name),
            "a Mizan context name must match [A-Za-z0-9_-]{{1,64}}"
        );
        Self { name, file, line }
    }

    /// The wire name (`"todos"`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Where the context was declared, for start-up errors.
    pub const fn source(&self) -> (&'static str, u32) {
        (self.file, self.line)
    }

    /// An invalidation of the instances of this context whose parameters match `params`:
    /// `cx.invalidate(TODOS.with(params! { project: 3 }))`.
    pub fn with(&self, params: Params) -> Invalidation {
        Invalidation::scoped(self.name, params)
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Context({:?} at {}:{})", self.name, self.file, self.line)
    }
}

/// Whether `name` is a valid context or function wire name: `[A-Za-z0-9_-]{1,64}`.
pub const fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > 64 {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares a context handle: `mizan::context!(pub TODOS = "todos");`.
///
/// The handle is a `static` [`Context`] usable as `context = TODOS` and in
/// `affects = [TODOS]`, and in `cx.invalidate(&TODOS)`.
#[macro_export]
macro_rules! context {
    ($(#[$meta:meta])* $vis:vis $handle:ident = $name:literal $(;)?) => {
        $(#[$meta])*
        $vis static $handle: $crate::Context =
            $crate::Context::new($name, ::core::file!(), ::core::line!());

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, unreachable_pub)]
        $vis struct $handle {}

        impl $crate::__private::TargetRef for $handle {
            fn target() -> $crate::__private::Target {
                $crate::__private::Target::Context(&$handle)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names() {
        assert!(valid_name("todos"));
        assert!(valid_name("todo-list_2"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("ü"));
        assert!(!valid_name(&"x".repeat(65)));
    }
}
