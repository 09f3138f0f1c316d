//! Reading the annotated function's signature: the context parameter, the parameters
//! Mizan fills in, the arguments, and the return type.
//!
//! A macro sees tokens, not types, so the split is by syntax and the types are checked by
//! trait in the generated code: a first parameter taken by reference (or spelt `Cx`) is
//! the context (`__private::IsCx`); a destructured parameter (`State(db): State<Db>`) or
//! one marked `#[extract]` is filled in (`FromCx`); any other is a wire argument. The
//! return type goes through `__private::FnResult`, so `mizan::Result<T>` may be aliased.

use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

/// How the function takes its context.
pub(crate) enum CxParam {
    None,
    /// `cx: &T`, with `T`.
    Ref(Type),
    /// `cx: Cx`, with its type.
    Owned(Type),
}

/// A parameter after the context.
pub(crate) enum Param {
    /// A wire argument, decoded from JSON by its name.
    Arg(Ident, Type),
    /// A parameter Mizan fills in (`State<T>`, an extractor).
    Inject(Type),
}

pub(crate) struct Signature {
    pub(crate) cx: CxParam,
    /// The context parameter's name, when it is a plain name.
    pub(crate) cx_name: Option<Ident>,
    pub(crate) params: Vec<Param>,
    /// The whole return type (`mizan::Result<T>` or an alias of it).
    pub(crate) output: Type,
}

impl Signature {
    pub(crate) fn args(&self) -> impl Iterator<Item = (&Ident, &Type)> {
        self.params.iter().filter_map(|p| match p {
            Param::Arg(i, t) => Some((i, t)),
            Param::Inject(_) => None,
        })
    }
}

/// Reads the signature, removing the `#[extract]` markers (they are not real attributes).
pub(crate) fn read(f: &mut ItemFn) -> syn::Result<Signature> {
    let sig = &mut f.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "a Mizan function must be `async fn`",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "a Mizan function cannot be generic: its argument and result types are part of the API",
        ));
    }
    let mut cx = CxParam::None;
    let mut cx_name = None;
    let mut params = Vec::new();
    for (i, input) in sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(pt) = input else {
            return Err(syn::Error::new(
                input.span(),
                "a Mizan function is a free function, not a method",
            ));
        };
        let marked = pt.attrs.iter().any(|a| a.path().is_ident("extract"));
        pt.attrs.retain(|a| !a.path().is_ident("extract"));
        if i == 0 && !marked {
            if let Pat::Ident(pi) = &*pt.pat {
                cx_name = Some(pi.ident.clone());
            }
            match &*pt.ty {
                Type::Reference(r) if r.mutability.is_none() => {
                    cx = CxParam::Ref((*r.elem).clone());
                    continue;
                }
                t if named_cx(t) => {
                    cx = CxParam::Owned(t.clone());
                    continue;
                }
                _ => {}
            }
        }
        if marked || matches!(&*pt.pat, Pat::TupleStruct(_) | Pat::Struct(_)) {
            params.push(Param::Inject((*pt.ty).clone()));
            continue;
        }
        let Pat::Ident(pi) = &*pt.pat else {
            return Err(syn::Error::new(
                pt.pat.span(),
                "Mizan arguments are plain names (`project: i64`): the name is the wire name; \
                 state and extractors are destructured (`State(db): State<Db>`) or marked `#[extract]`",
            ));
        };
        let is_cx = match &*pt.ty {
            Type::Reference(r) => named_cx(&r.elem),
            t => named_cx(t),
        };
        if is_cx {
            return Err(syn::Error::new(
                pt.ty.span(),
                "`Cx` must be the first parameter",
            ));
        }
        if let Type::Reference(r) = &*pt.ty {
            return Err(syn::Error::new(
                r.span(),
                "Mizan arguments are decoded from JSON and must be owned (`String`, not `&str`)",
            ));
        }
        params.push(Param::Arg(pi.ident.clone(), (*pt.ty).clone()));
    }
    let output = output_type(&sig.output)?;
    if matches!(cx, CxParam::None) {
        cx_name = None;
    }
    Ok(Signature {
        cx,
        cx_name,
        params,
        output,
    })
}

/// Whether the type is spelt `Cx` (`Cx`, `mizan::Cx`): how an owned context is told from
/// an argument. A context under another name is taken by reference (`cx: &Ctx`).
fn named_cx(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Cx" && s.arguments.is_empty()),
        _ => false,
    }
}

fn output_type(output: &ReturnType) -> syn::Result<Type> {
    let ReturnType::Type(_, ty) = output else {
        return Err(syn::Error::new(
            output.span(),
            "a Mizan function returns `mizan::Result<T>`",
        ));
    };
    if let Some(t) = find_impl_trait(ty) {
        return Err(syn::Error::new(
            t.span(),
            "name the result type (`Response`, `Redirect`, `Html<String>`): `impl Trait` cannot appear in the schema",
        ));
    }
    Ok((**ty).clone())
}

fn find_impl_trait(ty: &Type) -> Option<&Type> {
    match ty {
        Type::ImplTrait(_) => Some(ty),
        Type::Path(p) => p.path.segments.iter().find_map(|s| match &s.arguments {
            PathArguments::AngleBracketed(a) => a.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(t) => find_impl_trait(t),
                _ => None,
            }),
            _ => None,
        }),
        Type::Reference(r) => find_impl_trait(&r.elem),
        Type::Paren(p) => find_impl_trait(&p.elem),
        Type::Group(g) => find_impl_trait(&g.elem),
        Type::Slice(s) => find_impl_trait(&s.elem),
        Type::Array(a) => find_impl_trait(&a.elem),
        Type::Tuple(t) => t.elems.iter().find_map(find_impl_trait),
        _ => None,
    }
}

/// The span of `T` in a return type written `…Result<T>`, else of the whole type.
pub(crate) fn ok_span(output: &Type) -> proc_macro2::Span {
    if let Type::Path(p) = output
        && let Some(last) = p.path.segments.last()
        && let PathArguments::AngleBracketed(a) = &last.arguments
        && let Some(syn::GenericArgument::Type(t)) = a.args.first()
    {
        return t.span();
    }
    output.span()
}
