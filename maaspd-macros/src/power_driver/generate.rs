//! The generated code: an impl of `maaspd::PowerDriver` that describes the driver and
//! forwards to the author's methods, and `fn main`. Everything else is the runtime's.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ItemImpl;
use syn::spanned::Spanned;

use super::args::DriverArgs;
use super::methods::{Found, Method, Methods, generics_tokens};

/// The checked block, unchanged, followed by what describes it to the runtime.
///
/// Each of the author's methods is reached through a forwarding trait of the runtime
/// (`maaspd::__private`), implemented with the author's own argument and return types,
/// so that a wrong type is reported by the compiler as a mismatch with the trait, at the
/// author's tokens; an `async fn` forwards through the trait's async twin, whose future
/// must be `Send`. The runtime passes every action its context; a method that does not
/// take it is called without.
pub(crate) fn driver(block: &ItemImpl, args: &DriverArgs, methods: &Methods) -> TokenStream {
    let driver = &block.self_ty;
    let description = &args.description;
    let found = |method: Method| {
        methods
            .get(method)
            .expect("required methods were checked before generating")
    };
    let forwards: Vec<TokenStream> = Method::ALL
        .into_iter()
        .filter_map(|method| {
            methods
                .get(method)
                .map(|found| forward(driver, method, found))
        })
        .collect();
    // An action the block does not define is the switch's (checked before generating).
    let call = |method: Method| match (methods.get(method), &args.switch) {
        (Some(defined), _) => call_body(method, defined),
        (None, Some(switch)) => switch_call(method, switch),
        (None, None) => call_body(method, found(method)),
    };
    let (power_on, power_off, power_query) = (
        call(Method::PowerOn),
        call(Method::PowerOff),
        call(Method::PowerQuery),
    );
    let optional = |method: Method, constant: TokenStream, alias: TokenStream| {
        methods.get(method).map(|found| {
            let call = call_body(method, found);
            let devices = match method {
                Method::SetBootOrder => quote!(, devices),
                _ => quote!(),
            };
            quote! {
                const #constant: ::core::option::Option<::maaspd::__private::#alias<Self>> =
                    ::core::option::Option::Some(|driver, ctx #devices| #call);
            }
        })
    };
    let probe_const = optional(Method::Probe, quote!(PROBE), quote!(ProbeFn));
    let set_boot_order_const = optional(
        Method::SetBootOrder,
        quote!(SET_BOOT_ORDER),
        quote!(SetBootOrderFn),
    );
    let power_reset_const = optional(
        Method::PowerReset,
        quote!(POWER_RESET),
        quote!(PowerResetFn),
    );
    let (parameters, from_parameters, constructor_forward) = match &methods.constructor {
        Some(constructor) => {
            let (parameters, output) = (&constructor.parameters, &constructor.output);
            let (forward, call) = match &constructor.asyncness {
                None => (
                    quote! {
                        #[automatically_derived]
                        impl ::maaspd::__private::New for #driver {
                            type Parameters = #parameters;
                            fn new(parameters: #parameters) -> #output { <#driver>::new(parameters) }
                        }
                    },
                    quote! {
                        ::maaspd::Call::blocking(move || {
                            <Self as ::maaspd::__private::New>::new(parameters)
                        })
                    },
                ),
                Some(token) => (
                    quote_spanned! {token.span=>
                        #[automatically_derived]
                        impl ::maaspd::__private::AsyncNew for #driver {
                            type Parameters = #parameters;
                            async fn new(parameters: #parameters) -> #output {
                                <#driver>::new(parameters).await
                            }
                        }
                    },
                    quote! {
                        ::maaspd::Call::future(async move {
                            <Self as ::maaspd::__private::AsyncNew>::new(parameters).await
                        })
                    },
                ),
            };
            (quote!(#parameters), call, forward)
        }
        None => (
            quote!(#driver),
            quote!(::maaspd::Call::ready(::core::result::Result::Ok(
                parameters
            ))),
            quote!(),
        ),
    };
    let name = match &args.name {
        Some(name) => quote!(#name),
        None => quote! {
            match ::core::option_env!("CARGO_BIN_NAME") {
                ::core::option::Option::Some(name) => name,
                ::core::option::Option::None => ::core::env!("CARGO_PKG_NAME"),
            }
        },
    };
    let flag = |flag: &super::args::Flag, default: bool| flag.value().unwrap_or(default);
    let (chassis, queryable, confirm) = (
        flag(&args.chassis, false),
        flag(&args.queryable, true),
        flag(&args.confirm, true),
    );
    let (ip_extractor, field_check) = match &args.ip_extractor {
        Some(extractor) => {
            let (field_name, pattern) = (&extractor.field_name, &extractor.pattern);
            // The setting must exist: a field access, reported at the author's string.
            let field = syn::Ident::new(&field_name.value(), field_name.span());
            let parameters_type = &parameters;
            (
                quote! {
                    ::core::option::Option::Some(::maaspd::IpExtractor {
                        field_name: #field_name,
                        pattern: #pattern,
                    })
                },
                quote! {
                    fn __ip_extractor_field_exists(parameters: &#parameters_type) {
                        let _ = &parameters.#field;
                    }
                },
            )
        }
        None => (quote!(::core::option::Option::None), quote!()),
    };
    // The setting that tells BMCs apart: `bmc_key`, else `ip_extractor`'s; it must exist,
    // checked as a field access at the author's string.
    let bmc_field = args.bmc_key.as_ref().or(args
        .ip_extractor
        .as_ref()
        .map(|extractor| &extractor.field_name));
    let (bmc_key, bmc_key_check) = match (&args.bmc_key, bmc_field) {
        (Some(key), Some(_)) => {
            let field = syn::Ident::new(&key.value(), key.span());
            let parameters_type = &parameters;
            (
                quote!(::core::option::Option::Some(#key)),
                quote! {
                    fn __bmc_key_field_exists(parameters: &#parameters_type) {
                        let _ = &parameters.#field;
                    }
                },
            )
        }
        (None, Some(field)) => (quote!(::core::option::Option::Some(#field)), quote!()),
        _ => (quote!(::core::option::Option::None), quote!()),
    };
    let max_per_bmc = args.max_per_bmc.as_ref().map(|max| {
        quote! {
            const MAX_PER_BMC: usize = #max;
        }
    });
    let main = (args.main.value() == Some(true)).then(|| {
        quote! {
            fn main() -> ::std::process::ExitCode {
                ::maaspd::cli::main::<#driver>()
            }
        }
    });
    let generated = quote! {
        const _: () = {
            #[automatically_derived]
            impl ::maaspd::PowerDriver for #driver {
                type Parameters = #parameters;

                const NAME: &'static str = #name;
                const DESCRIPTION: &'static str = #description;
                const VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
                const CRATE: &'static str = ::core::env!("CARGO_CRATE_NAME");
                const CHASSIS: bool = #chassis;
                const QUERYABLE: bool = #queryable;
                const IP_EXTRACTOR: ::core::option::Option<::maaspd::IpExtractor> = #ip_extractor;
                const CONFIRM: bool = #confirm;
                const BMC_KEY: ::core::option::Option<&'static str> = #bmc_key;
                #max_per_bmc
                #probe_const
                #set_boot_order_const
                #power_reset_const

                fn from_parameters(parameters: Self::Parameters) -> ::maaspd::Call<Self> {
                    #from_parameters
                }

                fn power_on(
                    self: ::std::sync::Arc<Self>,
                    ctx: ::std::sync::Arc<::maaspd::Context>,
                ) -> ::maaspd::Call<()> {
                    let driver = self;
                    #power_on
                }

                fn power_off(
                    self: ::std::sync::Arc<Self>,
                    ctx: ::std::sync::Arc<::maaspd::Context>,
                ) -> ::maaspd::Call<()> {
                    let driver = self;
                    #power_off
                }

                fn power_query(
                    self: ::std::sync::Arc<Self>,
                    ctx: ::std::sync::Arc<::maaspd::Context>,
                ) -> ::maaspd::Call<::maaspd::PowerState> {
                    let driver = self;
                    #power_query
                }
            }

            #constructor_forward
            #(#forwards)*
            #field_check
            #bmc_key_check
        };

        #main
    };
    let generated = args.krate.rewrite(generated);
    quote! {
        #block

        #generated
    }
}

/// What stands in for the generated code beside a compile error: a placeholder impl of
/// the runtime trait (so code naming `MyDriver` as a driver raises no second error) and
/// a `main` (so a missing one raises none either). Never run: the crate does not build.
pub(crate) fn placeholder(block: &ItemImpl, args: &DriverArgs) -> TokenStream {
    let main = (args.main.value() == Some(true)).then(|| {
        quote!(
            fn main() {}
        )
    });
    if block.trait_.is_some() || generics_tokens(&block.generics).is_some() {
        return quote!(#main);
    }
    let driver = &block.self_ty;
    args.krate.rewrite(quote! {
        const _: () = {
            #[automatically_derived]
            impl ::maaspd::PowerDriver for #driver {
                type Parameters = ::maaspd::__private::Unreachable;
                const NAME: &'static str = "";
                const DESCRIPTION: &'static str = "";
                const VERSION: &'static str = "";

                fn from_parameters(parameters: Self::Parameters) -> ::maaspd::Call<Self> {
                    match parameters {}
                }

                fn power_on(
                    self: ::std::sync::Arc<Self>,
                    _: ::std::sync::Arc<::maaspd::Context>,
                ) -> ::maaspd::Call<()> {
                    ::core::unreachable!()
                }

                fn power_off(
                    self: ::std::sync::Arc<Self>,
                    _: ::std::sync::Arc<::maaspd::Context>,
                ) -> ::maaspd::Call<()> {
                    ::core::unreachable!()
                }

                fn power_query(
                    self: ::std::sync::Arc<Self>,
                    _: ::std::sync::Arc<::maaspd::Context>,
                ) -> ::maaspd::Call<::maaspd::PowerState> {
                    ::core::unreachable!()
                }
            }
        };

        #main
    })
}

/// An empty `main`, when the attribute was to generate one.
pub(crate) fn placeholder_main(args: &DriverArgs) -> TokenStream {
    if args.main.value() == Some(true) {
        quote!(
            fn main() {}
        )
    } else {
        TokenStream::new()
    }
}

/// The runtime's trait `method` forwards through, by the author's kind of `fn`.
fn forwarding_trait(method: Method, found: &Found) -> syn::Ident {
    let name: String = method
        .name()
        .split('_')
        .map(|word| word[..1].to_uppercase() + &word[1..])
        .collect();
    let name = match found.asyncness {
        Some(_) => format!("Async{name}"),
        None => name,
    };
    syn::Ident::new(&name, proc_macro2::Span::call_site())
}

/// The impl of the forwarding trait: the author's types repeated, the author's method
/// called. An `async fn`'s is spanned at its `async`, where a future that is not `Send`
/// is reported.
fn forward(driver: &syn::Type, method: Method, found: &Found) -> TokenStream {
    let forwarding = forwarding_trait(method, found);
    let (name, output) = (&found.ident, &found.output);
    let (devices_parameter, devices) = match &found.argument {
        Some(ty) => (quote!(, devices: #ty), quote!(, devices)),
        None => (quote!(), quote!()),
    };
    let (context_parameter, context) = match &found.context {
        Some(ty) => (quote!(ctx: #ty), quote!(, ctx)),
        None => (quote!(_: &::maaspd::Context), quote!()),
    };
    match &found.asyncness {
        None => quote! {
            #[automatically_derived]
            impl ::maaspd::__private::#forwarding for #driver {
                fn #name(&self, #context_parameter #devices_parameter) -> #output {
                    <#driver>::#name(self #context #devices)
                }
            }
        },
        Some(token) => quote_spanned! {token.span=>
            #[automatically_derived]
            impl ::maaspd::__private::#forwarding for #driver {
                async fn #name(&self, #context_parameter #devices_parameter) -> #output {
                    <#driver>::#name(self #context #devices).await
                }
            }
        },
    }
}

/// The body of a `PowerDriver` action handed to the driver's field `switch`: the field's
/// `Switch` method, blocking. Spanned at the author's field, where a missing field or one
/// that is not a `Switch` is reported.
fn switch_call(method: Method, switch: &syn::Member) -> TokenStream {
    let name = syn::Ident::new(method.name(), proc_macro2::Span::call_site());
    let field = quote_spanned!(switch.span()=> &(*driver).#switch);
    quote_spanned! {switch.span()=>
        ::maaspd::Call::blocking(move || ::maaspd::Switch::#name(#field, &ctx))
    }
}

/// The body of a `PowerDriver` action: `driver`, `ctx` (and `devices`) in, a `Call` of
/// the author's method out.
fn call_body(method: Method, found: &Found) -> TokenStream {
    let forwarding = forwarding_trait(method, found);
    let name = &found.ident;
    let devices = match method {
        Method::SetBootOrder => quote!(, &devices),
        _ => quote!(),
    };
    let invoke = quote! {
        <Self as ::maaspd::__private::#forwarding>::#name(&driver, &ctx #devices)
    };
    match found.asyncness {
        None => quote!(::maaspd::Call::blocking(move || #invoke)),
        Some(_) => quote!(::maaspd::Call::future(async move { #invoke.await })),
    }
}
