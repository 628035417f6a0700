//! The generated code: an impl of `maaspd::PowerDriver` that describes the driver and
//! forwards to the author's methods, and `fn main`. Everything else is the runtime's.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemImpl;

use super::args::DriverArgs;
use super::methods::{Method, Methods, generics_tokens};

/// The checked block, unchanged, followed by what describes it to the runtime.
///
/// The forwarding methods are declared with the author's own return and argument types,
/// so a wrong type is reported by the compiler as a mismatch with the trait, at the
/// author's tokens. The runtime passes every action its context; a method that does not
/// take it is called without.
pub(crate) fn driver(block: &ItemImpl, args: &DriverArgs, methods: &Methods) -> TokenStream {
    let driver = &block.self_ty;
    let description = &args.description;
    let found = |method: Method| {
        methods
            .get(method)
            .expect("required methods were checked before generating")
    };
    let forward = |method: Method| {
        let found = found(method);
        let (name, output) = (&found.ident, &found.output);
        match &found.context {
            Some(context) => quote! {
                fn #name(&self, ctx: #context) -> #output { <#driver>::#name(self, ctx) }
            },
            None => quote! {
                fn #name(&self, _: &::maaspd::Context) -> #output { <#driver>::#name(self) }
            },
        }
    };
    let (power_on, power_off, power_query) = (
        forward(Method::PowerOn),
        forward(Method::PowerOff),
        forward(Method::PowerQuery),
    );
    let probe = methods.get(Method::Probe).map(|_| {
        let method = forward(Method::Probe);
        quote! {
            impl ::maaspd::__private::Probe for #driver { #method }
        }
    });
    let power_reset = methods.get(Method::PowerReset).map(|_| {
        let method = forward(Method::PowerReset);
        quote! {
            impl ::maaspd::__private::PowerReset for #driver { #method }
        }
    });
    let set_boot_order = methods.get(Method::SetBootOrder).map(|found| {
        let (name, output, devices) = (&found.ident, &found.output, &found.argument);
        let method = match &found.context {
            Some(context) => quote! {
                fn #name(&self, ctx: #context, devices: #devices) -> #output {
                    <#driver>::#name(self, ctx, devices)
                }
            },
            None => quote! {
                fn #name(&self, _: &::maaspd::Context, devices: #devices) -> #output {
                    <#driver>::#name(self, devices)
                }
            },
        };
        quote! {
            impl ::maaspd::__private::SetBootOrder for #driver { #method }
        }
    });
    let probe_const = probe.as_ref().map(|_| {
        quote! {
            const PROBE: ::core::option::Option<::maaspd::ProbeFn<Self>> =
                ::core::option::Option::Some(<Self as ::maaspd::__private::Probe>::probe);
        }
    });
    let power_reset_const = power_reset.as_ref().map(|_| {
        quote! {
            const POWER_RESET: ::core::option::Option<::maaspd::PowerResetFn<Self>> =
                ::core::option::Option::Some(<Self as ::maaspd::__private::PowerReset>::power_reset);
        }
    });
    let set_boot_order_const = set_boot_order.as_ref().map(|_| {
        quote! {
            const SET_BOOT_ORDER: ::core::option::Option<::maaspd::SetBootOrderFn<Self>> =
                ::core::option::Option::Some(
                    <Self as ::maaspd::__private::SetBootOrder>::set_boot_order,
                );
        }
    });
    let (parameters, from_parameters) = match &methods.constructor {
        Some(constructor) => {
            let (parameters, output) = (&constructor.parameters, &constructor.output);
            (
                quote!(#parameters),
                quote! {
                    fn from_parameters(parameters: Self::Parameters) -> #output {
                        <#driver>::new(parameters)
                    }
                },
            )
        }
        None => (
            quote!(#driver),
            quote! {
                fn from_parameters(parameters: Self::Parameters) -> ::maaspd::Result<Self> {
                    ::core::result::Result::Ok(parameters)
                }
            },
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
    let (chassis, queryable) = (flag(&args.chassis, false), flag(&args.queryable, true));
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
    let main = (args.main.value() == Some(true)).then(|| {
        quote! {
            fn main() -> ::std::process::ExitCode {
                ::maaspd::cli::main::<#driver>()
            }
        }
    });
    quote! {
        #block

        const _: () = {
            impl ::maaspd::PowerDriver for #driver {
                type Parameters = #parameters;

                const NAME: &'static str = #name;
                const DESCRIPTION: &'static str = #description;
                const VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
                const CHASSIS: bool = #chassis;
                const QUERYABLE: bool = #queryable;
                const IP_EXTRACTOR: ::core::option::Option<::maaspd::IpExtractor> = #ip_extractor;
                #probe_const
                #set_boot_order_const
                #power_reset_const

                #from_parameters
                #power_on
                #power_off
                #power_query
            }

            #probe
            #set_boot_order
            #power_reset
            #field_check
        };

        #main
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
    quote! {
        const _: () = {
            impl ::maaspd::PowerDriver for #driver {
                type Parameters = ::maaspd::__private::Unreachable;
                const NAME: &'static str = "";
                const DESCRIPTION: &'static str = "";
                const VERSION: &'static str = "";

                fn from_parameters(parameters: Self::Parameters) -> ::maaspd::Result<Self> {
                    match parameters {}
                }

                fn power_on(&self, _: &::maaspd::Context) -> ::maaspd::Result<()> {
                    ::core::unreachable!()
                }

                fn power_off(&self, _: &::maaspd::Context) -> ::maaspd::Result<()> {
                    ::core::unreachable!()
                }

                fn power_query(
                    &self,
                    _: &::maaspd::Context,
                ) -> ::maaspd::Result<::maaspd::PowerState> {
                    ::core::unreachable!()
                }
            }
        };

        #main
    }
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
