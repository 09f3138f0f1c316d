//! Reading the annotated function's signature: the `Cx` parameter, the arguments, and the
//! result type inside `Result<…>`.

use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

/// How the function takes its context.
pub(crate) enum CxParam {
    None,
    Ref,
    Owned,
}

pub(crate) struct Signature {
    pub(crate) cx: CxParam,
    pub(crate) args: Vec<(Ident, Type)>,
    pub(crate) result: Type,
}

pub(crate) fn read(f: &ItemFn) -> syn::Result<Signature> {
    let sig = &f.sig;
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
    let mut args = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(pt) = input else {
            return Err(syn::Error::new(
                input.span(),
                "a Mizan function is a free function, not a method",
            ));
        };
        if i == 0 {
            match cx_kind(&pt.ty) {
                CxParam::None => {}
                kind => {
                    cx = kind;
                    continue;
                }
            }
        }
        let Pat::Ident(pi) = &*pt.pat else {
            return Err(syn::Error::new(
                pt.pat.span(),
                "Mizan arguments are plain names (`project: i64`): the name is the wire name",
            ));
        };
        if matches!(cx_kind(&pt.ty), CxParam::Ref | CxParam::Owned) {
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
        args.push((pi.ident.clone(), (*pt.ty).clone()));
    }
    let result = result_type(&sig.output)?;
    Ok(Signature { cx, args, result })
}

fn cx_kind(ty: &Type) -> CxParam {
    let is_cx = |t: &Type| match t {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Cx"),
        _ => false,
    };
    match ty {
        Type::Reference(r) if is_cx(&r.elem) => CxParam::Ref,
        t if is_cx(t) => CxParam::Owned,
        _ => CxParam::None,
    }
}

fn result_type(output: &ReturnType) -> syn::Result<Type> {
    const HELP: &str = "a Mizan function returns `mizan::Result<T>`";
    let ReturnType::Type(_, ty) = output else {
        return Err(syn::Error::new(output.span(), HELP));
    };
    let Type::Path(p) = &**ty else {
        return Err(syn::Error::new(ty.span(), HELP));
    };
    let Some(last) = p.path.segments.last().filter(|s| s.ident == "Result") else {
        return Err(syn::Error::new(ty.span(), HELP));
    };
    let PathArguments::AngleBracketed(generics) = &last.arguments else {
        return Err(syn::Error::new(ty.span(), HELP));
    };
    let Some(GenericArgument::Type(inner)) = generics.args.first() else {
        return Err(syn::Error::new(ty.span(), HELP));
    };
    if let Type::ImplTrait(t) = inner {
        return Err(syn::Error::new(
            t.span(),
            "name the result type (`Response`, `Redirect`, `Html<String>`): `impl Trait` cannot appear in the schema",
        ));
    }
    Ok(inner.clone())
}
