//! What a function's body reads of the caller through its context parameter, found in its
//! tokens: `cx.identity()`, `cx.user()`, `cx.headers()`, `cx.extensions()`.
//!
//! Syntax only: a read through a helper the context is passed to, or through a renamed
//! binding, is not seen here (the run-time check in `Cx` sees every read). What is seen
//! goes into the function's definition, so `mizan check` can report it before a request.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::ToTokens;

/// The `Cx` methods that read the caller.
const READS: [&str; 4] = ["extensions", "headers", "identity", "user"];

/// The caller reads on `cx` in `body`, as `cx.method()`, sorted and deduplicated.
pub(crate) fn caller_reads(cx: &Ident, body: &syn::Block) -> Vec<String> {
    let mut found = Vec::new();
    scan(cx, body.to_token_stream(), &mut found);
    found.sort();
    found.dedup();
    found
        .into_iter()
        .map(|method| format!("{cx}.{method}()"))
        .collect()
}

fn scan(cx: &Ident, tokens: TokenStream, found: &mut Vec<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(g) => scan(cx, g.stream(), found),
            TokenTree::Ident(id) if id == cx => {
                if let (Some(TokenTree::Punct(dot)), Some(TokenTree::Ident(method))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                    && dot.as_char() == '.'
                    // Not a field or method of something else: `x.cx.headers()` is skipped.
                    && !preceded_by_dot(&tokens, i)
                {
                    let method = method.to_string();
                    if READS.contains(&method.as_str()) {
                        found.push(method);
                    }
                }
            }
            _ => {}
        }
    }
}

fn preceded_by_dot(tokens: &[TokenTree], i: usize) -> bool {
    i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::format_ident;

    fn reads(body: &str) -> Vec<String> {
        let block: syn::Block = syn::parse_str(body).expect("a block");
        caller_reads(&format_ident!("cx"), &block)
    }

    #[test]
    fn reads_through_the_context_are_found_at_any_depth() {
        assert_eq!(
            reads(
                "{ let u = cx.user()?; if x { for h in cx.headers() { f(cx.identity()); } } Ok(u.id) }"
            ),
            ["cx.headers()", "cx.identity()", "cx.user()"]
        );
        assert_eq!(
            reads("{ cx.identity(); cx.identity(); }"),
            ["cx.identity()"]
        );
    }

    #[test]
    fn other_uses_of_the_context_are_not_reads() {
        assert!(
            reads(
                "{ cx.state::<Db>()?; cx.uri(); cx.invalidate(T); other.cx.headers(); identity(); }"
            )
            .is_empty()
        );
    }
}
