//! API groups: one binary serving a public and an admin API with different functions.

use std::fmt;

use crate::context::valid_name;

/// A named group of functions served together, declared with [`api!`](crate::api!) and
/// named by `#[mizan::client(api = ADMIN)]` and [`Builder::api`](crate::Builder::api).
///
/// A function without `api` is in the default group, which is what a builder without
/// [`Builder::api`](crate::Builder::api) serves: a grouped function is never served by
/// accident. Groups are compared by name; the name must match `[A-Za-z0-9_-]{1,64}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Api {
    name: &'static str,
}

impl Api {
    /// A group named `name`. Prefer [`api!`](crate::api!), which checks the name at
    /// compile time even when the handle is not used yet.
    ///
    /// # Panics
    /// At compile time (in a `const`), when `name` is not a valid name.
    pub const fn new(name: &'static str) -> Self {
        assert!(
            valid_name(name),
            "a Mizan api name must match [A-Za-z0-9_-]{{1,64}}"
        );
        Self { name }
    }

    /// The group's name (`"admin"`).
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Api({:?})", self.name)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The name of the group a function or builder is in, for messages.
pub(crate) fn describe(api: Option<Api>) -> String {
    match api {
        Some(a) => format!("api `{}`", a.name),
        None => "the default api".to_owned(),
    }
}

/// Declares an API group handle: `mizan::api!(pub ADMIN = "admin");`.
///
/// The handle is a `const` [`Api`], used as `#[mizan::client(api = ADMIN)]` and
/// `Mizan::builder().api(ADMIN)`. An invalid name is a compile error.
#[macro_export]
macro_rules! api {
    ($(#[$meta:meta])* $vis:vis $handle:ident = $name:literal $(;)?) => {
        $(#[$meta])*
        $vis const $handle: $crate::Api = $crate::Api::new($name);
        // Evaluated even while the handle is unused, so a bad name fails the build.
        const _: $crate::Api = $handle;
    };
}
