//! Procedural macros for [Mizan](https://docs.rs/mizan). Use them through the `mizan`
//! crate (`#[mizan::client]`); this crate only parses and delegates, and the code it
//! generates calls into `::mizan::__private`.

mod client;

use proc_macro::TokenStream;

/// Turns an `async fn` into a Mizan server function. See `mizan::client` for the options.
#[proc_macro_attribute]
pub fn client(attr: TokenStream, item: TokenStream) -> TokenStream {
    client::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
