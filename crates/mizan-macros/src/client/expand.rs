//! Code generation for `#[client]`: the function stays as written; next to it come a
//! type-namespace twin (so `affects = [this_fn]` resolves at compile time) and, in an
//! anonymous const block, the arguments struct, the call and schema glue, and the
//! registration. All logic lives in `::mizan::__private`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr};

use super::options::{ApiOpt, Auth, Options, valid_name};
use super::signature::{self, CxParam, Param};

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options: Options = syn::parse2(attr)?;
    let mut function: ItemFn = syn::parse2(item)?;
    options.check()?;
    let sig = signature::read(&mut function)?;

    let ident = &function.sig.ident;
    let vis = &function.vis;
    let name = match &options.name {
        Some(lit) => lit.value(),
        None => {
            let name = ident.to_string().trim_start_matches("r#").to_owned();
            if name.len() > 64 {
                return Err(syn::Error::new(
                    ident.span(),
                    "a Mizan function name is at most 64 characters (it is a wire name); \
                     shorten it or give `name = \"…\"`",
                ));
            }
            if !valid_name(&name) {
                return Err(syn::Error::new(
                    ident.span(),
                    "a Mizan function name is a wire name (A-Z, a-z, 0-9, `_`, `-`); give `name = \"…\"`",
                ));
            }
            name
        }
    };
    let docs = docs(&function);
    let reads = match &sig.cx_name {
        Some(cx) => super::reads::caller_reads(cx, &function.block),
        None => Vec::new(),
    };

    let arg_idents: Vec<_> = sig.args().map(|(i, _)| i).collect();
    let arg_types: Vec<_> = sig.args().map(|(_, t)| t).collect();
    let arg_names: Vec<String> = arg_idents
        .iter()
        .map(|i| i.to_string().trim_start_matches("r#").to_owned())
        .collect();
    let output = &sig.output;
    let result = quote_spanned!(signature::ok_span(output)=> <#output as __m::FnResult>::Ok);
    // Errors about the result point at `T` in `Result<T>` when it is written out.
    let result_span = signature::ok_span(output);
    let wire_checks = arg_types
        .iter()
        .map(|t| quote_spanned!(t.span()=> const _: fn() = __m::wire_arg::<#t>;));

    let into_result = quote_spanned!(output.span()=> __m::FnResult::into_result);
    let cx_arg = match &sig.cx {
        CxParam::None => quote!(),
        CxParam::Ref(ty) => quote_spanned!(ty.span()=> <#ty as __m::IsCx>::cx_ref(&cx),),
        CxParam::Owned(ty) => quote_spanned!(ty.span()=> <#ty as __m::IsCx>::cx_owned(&cx),),
    };
    // Filled-in parameters first (like axum, before anything about the arguments is
    // looked at), then the arguments; the call passes both in declaration order.
    let mut inject = Vec::new();
    let mut injected = Vec::new();
    let mut call_args = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        match p {
            Param::Arg(id, _) => call_args.push(quote!(#id)),
            Param::Inject(ty) => {
                let var =
                    syn::Ident::new(&format!("__mizan_p{i}"), proc_macro2::Span::mixed_site());
                inject.push(quote_spanned!(ty.span()=>
                    let #var: #ty = <#ty as __m::FromCx>::from_cx(&cx).await?;
                ));
                injected.push(quote_spanned!(ty.span()=> __m::injected::<#ty>));
                call_args.push(quote!(#var));
            }
        }
    }
    let api = match &options.api {
        None => quote!(::core::option::Option::None),
        Some(ApiOpt::Handle(path)) => {
            quote_spanned!(path.span()=> ::core::option::Option::Some(#path))
        }
        Some(ApiOpt::Name(lit)) => quote!(::core::option::Option::Some(__m::Api::new(#lit))),
    };

    let (keep_args, scope) = match &options.affects_params {
        None => (quote!(), quote!(::core::option::Option::None)),
        Some(closure) => (
            quote!(),
            quote!(__m::scope(
                &__m::decode_args::<__MizanArgs>(&args)?,
                &__result,
                #closure,
            )),
        ),
    };

    // `validate = hook`: `hook(&cx, &arg, …)` after garde, before the function; a
    // validate-only call stops after it.
    let hook = options.validate.as_ref().map(|path| {
        quote_spanned!(path.span()=>
            __m::FnResult::into_result(#path(&cx, #( &#arg_idents, )*).await)?;
        )
    });

    let context = match &options.context {
        Some(path) => quote_spanned!(path.span()=> ::core::option::Option::Some(&#path)),
        None => quote!(::core::option::Option::None),
    };
    let is_query = options.context.is_some() || options.query.is_some();
    let query = options.query.is_some();
    let probe = quote_spanned!(result_span=> (&__m::Probe::<#result>::new()).mizan_path());
    let require_data = is_query
        .then(|| quote_spanned!(result_span=> const _: fn() = __m::require_data::<#result>;));

    let affects = options
        .affects
        .as_ref()
        .map(|(_, v)| v.as_slice())
        .unwrap_or_default();
    let affects = affects
        .iter()
        .map(|path| quote_spanned!(path.span()=> <#path as __m::TargetRef>::target));
    let scoped = options.affects_params.is_some();

    let guard = match &options.auth {
        None => quote!(__m::Guard::Public),
        Some(Auth::Authenticated) => quote!(__m::Guard::Authenticated),
        Some(Auth::Staff) => quote!(__m::Guard::Staff),
        Some(Auth::Superuser) => quote!(__m::Guard::Superuser),
        Some(Auth::Predicate(path)) => {
            let text = quote!(#path).to_string().replace(' ', "");
            quote_spanned!(path.span()=> __m::Guard::Predicate { check: __guard, name: #text })
        }
    };
    let guard_fn = match &options.auth {
        Some(Auth::Predicate(path)) => quote_spanned! {path.span()=>
            fn __guard(cx: ::mizan::Cx) -> __m::BoxFuture<'static, ::mizan::Result<bool>> {
                __m::predicate(#path, cx)
            }
        },
        _ => quote!(),
    };
    let private = options.private;
    let websocket = options.websocket;
    let route = match &options.route {
        Some(r) => quote!(::core::option::Option::Some(#r)),
        None => quote!(::core::option::Option::None),
    };
    let methods: Vec<LitStr> = match (&options.methods, &options.route) {
        (Some((_, list)), _) => list
            .iter()
            .map(|m| LitStr::new(&m.to_string(), m.span()))
            .collect(),
        (None, Some(r)) if is_query => vec![LitStr::new("GET", r.span())],
        (None, Some(r)) => vec![LitStr::new("POST", r.span())],
        (None, None) => Vec::new(),
    };
    let rev = options.rev.unwrap_or(0);
    let cache = match options.cache {
        Some((_, s)) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    };

    Ok(quote! {
        #function

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, unreachable_pub)]
        #vis struct #ident {}

        // The user's result type is spelt out in generated bindings: a type clippy finds
        // complex there is the user's own signature, not something to warn about twice.
        #[allow(clippy::type_complexity)]
        const _: () = {
            use ::mizan::__private as __m;
            #[allow(unused_imports)]
            use __m::{DataProbe as _, ValidateNothing as _, ValidateThis as _, ViewProbe as _};

            #[derive(__m::serde::Deserialize, __m::schemars::JsonSchema)]
            #[serde(crate = "::mizan::__private::serde")]
            #[schemars(crate = "::mizan::__private::schemars")]
            #[allow(non_camel_case_types)]
            struct __MizanArgs {
                #( #arg_idents: #arg_types, )*
            }

            #require_data
            #( #wire_checks )*

            /// The size of the last serialized result: the next buffer starts there.
            static __MIZAN_SIZE: ::core::sync::atomic::AtomicUsize =
                ::core::sync::atomic::AtomicUsize::new(0);

            fn __call(
                cx: ::mizan::Cx,
                args: ::std::sync::Arc<__m::JsonValue>,
            ) -> __m::BoxFuture<'static, ::mizan::Result<::mizan::Output>> {
                ::std::boxed::Box::pin(async move {
                    #keep_args
                    #( #inject )*
                    let __MizanArgs { #( #arg_idents, )* } = __m::decode_args::<__MizanArgs>(&args)?;
                    let mut __fields = ::mizan::FieldErrors::new();
                    #( (&__m::Validate(&#arg_idents)).mizan_validate(#arg_names, &mut __fields); )*
                    __m::check_fields(__fields)?;
                    #hook
                    if cx.is_validating() {
                        return ::core::result::Result::Ok(::mizan::Output::valid());
                    }
                    let __result: #result = #into_result(#ident(#cx_arg #( #call_args, )*).await)?;
                    let __scope = #scope;
                    #probe.output(__result, __scope, &__MIZAN_SIZE)
                })
            }

            fn __schema(
                generator: &mut __m::schemars::SchemaGenerator,
                results: &mut __m::schemars::SchemaGenerator,
            ) -> (__m::schemars::Schema, ::core::option::Option<__m::schemars::Schema>) {
                (
                    __m::args_schema::<__MizanArgs>(generator),
                    #probe.result_schema::<#result>(results),
                )
            }

            #guard_fn

            static __MIZAN_DEF: __m::FunctionDef = __m::FunctionDef {
                name: #name,
                api: #api,
                file: ::core::file!(),
                line: ::core::line!(),
                docs: #docs,
                context: #context,
                query: #query,
                args: &[#( #arg_names ),*],
                injected: &[#( #injected ),*],
                reads: &[#( #reads ),*],
                affects: &[#( #affects ),*],
                scoped: #scoped,
                guard: #guard,
                private: #private,
                route: #route,
                methods: &[#( #methods ),*],
                rev: #rev,
                cache: #cache,
                websocket: #websocket,
                call: __call,
                schema: __schema,
            };

            __m::inventory::submit! { __m::Registration(&__MIZAN_DEF) }

            impl __m::TargetRef for #ident {
                fn target() -> __m::Target {
                    __m::Target::Function(&__MIZAN_DEF)
                }
            }

            impl __m::FunctionRef for #ident {
                fn def() -> &'static __m::FunctionDef {
                    &__MIZAN_DEF
                }
            }
        };
    })
}

fn docs(function: &ItemFn) -> String {
    function
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
