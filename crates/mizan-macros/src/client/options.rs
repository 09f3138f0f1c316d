//! Parsing of `#[client(…)]` options.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprClosure, Ident, LitBool, LitInt, LitStr, Path, Token, bracketed};

const KNOWN: &str = "name, api, context, query, affects, affects_params, auth, private, route, methods, rev, cache, validate, websocket";
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `auth = …`.
pub(crate) enum Auth {
    Authenticated,
    Staff,
    Superuser,
    Predicate(Path),
}

/// `api = …`: a handle declared with `mizan::api!`, or a name.
pub(crate) enum ApiOpt {
    Handle(Path),
    Name(LitStr),
}

/// The parsed options, each with the span of its key for later errors.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) name: Option<LitStr>,
    pub(crate) api: Option<ApiOpt>,
    pub(crate) context: Option<Path>,
    pub(crate) query: Option<Span>,
    pub(crate) affects: Option<(Span, Vec<Path>)>,
    pub(crate) affects_params: Option<ExprClosure>,
    pub(crate) auth: Option<Auth>,
    pub(crate) private: bool,
    pub(crate) route: Option<LitStr>,
    pub(crate) methods: Option<(Span, Vec<Ident>)>,
    pub(crate) rev: Option<u32>,
    pub(crate) cache: Option<(Span, u32)>,
    /// `validate = path`: an async check of the decoded arguments, run before the
    /// function and on its own by validate-only calls.
    pub(crate) validate: Option<Path>,
    pub(crate) websocket: bool,
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut o = Options::default();
        let mut seen: Vec<String> = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            let name = key.to_string();
            if seen.contains(&name) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{name}` is given twice"),
                ));
            }
            seen.push(name.clone());
            // `query`, `private` and `websocket` may stand alone as flags.
            let flag = input.is_empty() || input.peek(Token![,]);
            if !flag || !matches!(name.as_str(), "query" | "private" | "websocket") {
                input.parse::<Token![=]>()?;
            }
            match name.as_str() {
                "name" => o.name = Some(wire_name(input.parse()?, "function")?),
                "api" => {
                    o.api = Some(if input.peek(LitStr) {
                        ApiOpt::Name(wire_name(input.parse()?, "api")?)
                    } else {
                        ApiOpt::Handle(input.parse()?)
                    });
                }
                "context" => o.context = Some(input.parse()?),
                "query" => {
                    if flag || input.parse::<LitBool>()?.value {
                        o.query = Some(key.span());
                    }
                }
                "affects" => o.affects = Some((key.span(), bracketed_list(input)?)),
                "affects_params" => o.affects_params = Some(closure(input)?),
                "auth" => o.auth = auth(input)?,
                "private" => o.private = flag || input.parse::<LitBool>()?.value,
                "route" => o.route = Some(route(input)?),
                "methods" => o.methods = Some((key.span(), methods(input, &key)?)),
                "rev" => o.rev = Some(input.parse::<LitInt>()?.base10_parse()?),
                "validate" => o.validate = Some(input.parse()?),
                "cache" => o.cache = Some((key.span(), input.parse::<LitInt>()?.base10_parse()?)),
                "websocket" => o.websocket = flag || input.parse::<LitBool>()?.value,
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown option `{name}`; the options are: {KNOWN}"),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(o)
    }
}

/// Whether `name` is a wire name: `[A-Za-z0-9_-]{1,64}` (as `mizan::valid_name`).
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn wire_name(s: LitStr, what: &str) -> syn::Result<LitStr> {
    if valid_name(&s.value()) {
        Ok(s)
    } else {
        Err(syn::Error::new(
            s.span(),
            format!("a Mizan {what} name is a wire name: 1 to 64 of A-Z, a-z, 0-9, `_` and `-`"),
        ))
    }
}

fn bracketed_list<T: Parse>(input: ParseStream<'_>) -> syn::Result<Vec<T>> {
    let content;
    bracketed!(content in input);
    Ok(Punctuated::<T, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

fn closure(input: ParseStream<'_>) -> syn::Result<ExprClosure> {
    match input.parse::<Expr>()? {
        Expr::Closure(c) if c.inputs.len() == 2 => Ok(c),
        other => Err(syn::Error::new(
            other.span(),
            "`affects_params` takes a closure of two parameters: |args, result| params! { … }",
        )),
    }
}

fn auth(input: ParseStream<'_>) -> syn::Result<Option<Auth>> {
    if input.peek(LitBool) {
        let b: LitBool = input.parse()?;
        return Ok(b.value.then_some(Auth::Authenticated));
    }
    if input.peek(LitStr) {
        let s: LitStr = input.parse()?;
        return match s.value().as_str() {
            "staff" => Ok(Some(Auth::Staff)),
            "superuser" => Ok(Some(Auth::Superuser)),
            other => Err(syn::Error::new(
                s.span(),
                format!(
                    "unknown auth level \"{other}\"; use true, \"staff\", \"superuser\" or a path to fn(&mizan::Identity) -> bool"
                ),
            )),
        };
    }
    Ok(Some(Auth::Predicate(input.parse()?)))
}

fn route(input: ParseStream<'_>) -> syn::Result<LitStr> {
    let s: LitStr = input.parse()?;
    let v = s.value();
    if !v.starts_with('/') || v.contains(['?', '#', ' ']) {
        return Err(syn::Error::new(
            s.span(),
            "`route` is a path that starts with `/`, with `{name}` for path parameters",
        ));
    }
    Ok(s)
}

fn methods(input: ParseStream<'_>, key: &Ident) -> syn::Result<Vec<Ident>> {
    let list: Vec<Ident> = bracketed_list(input)?;
    for m in &list {
        if !METHODS.contains(&m.to_string().as_str()) {
            return Err(syn::Error::new(
                m.span(),
                format!("unknown method `{m}`; use {}", METHODS.join(", ")),
            ));
        }
    }
    if list.is_empty() {
        return Err(syn::Error::new(
            key.span(),
            "`methods` needs at least one method",
        ));
    }
    Ok(list)
}

impl Options {
    /// Checks the combinations of options that make no sense together.
    pub(crate) fn check(&self) -> syn::Result<()> {
        if let (Some(ctx), Some(q)) = (&self.context, self.query) {
            let mut e = syn::Error::new(q, "`query` is implied by `context`; give one of them");
            e.combine(syn::Error::new(ctx.span(), "the context is given here"));
            return Err(e);
        }
        let is_query = self.context.is_some() || self.query.is_some();
        if let Some((span, _)) = &self.cache
            && !is_query
        {
            return Err(syn::Error::new(
                *span,
                "`cache` applies to queries (`context = …` or `query`); a mutation is never cached",
            ));
        }
        if let Some((span, _)) = &self.affects
            && is_query
        {
            return Err(syn::Error::new(
                *span,
                "a query does not invalidate anything; `affects` belongs on mutations",
            ));
        }
        if let Some(c) = &self.affects_params
            && self.affects.is_none()
        {
            return Err(syn::Error::new(
                c.span(),
                "`affects_params` scopes the targets of `affects`, which is missing",
            ));
        }
        if let Some((span, _)) = &self.methods
            && self.route.is_none()
        {
            return Err(syn::Error::new(
                *span,
                "`methods` applies to `route`; calls at /call/{fn}/ are always POST",
            ));
        }
        Ok(())
    }
}
