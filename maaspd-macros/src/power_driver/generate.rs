//! The generated code: an impl of `maaspd::PowerDriver` that describes the driver and
//! forwards to the author's methods, and `fn main`. Everything else is the runtime's.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ItemImpl;

use super::args::DriverArgs;
use super::methods::{Method, Methods};

/// The checked block, unchanged, followed by what describes it to the runtime.
pub(crate) fn driver(block: &ItemImpl, args: &DriverArgs, methods: &Methods) -> TokenStream {
    let driver = &block.self_ty;
    let description = &args.description;
    // Each call is spanned at the author's signature, so a type mismatch is reported there.
    let forward = |method: Method| {
        let found = methods
            .get(method)
            .expect("required methods were checked before generating");
        let name = syn::Ident::new(method.name(), found.name_span);
        quote_spanned!(found.type_span=> <#driver>::#name(self))
    };
    let (power_on, power_off, power_query) = (
        forward(Method::PowerOn),
        forward(Method::PowerOff),
        forward(Method::PowerQuery),
    );
    let optional = |method: Method| {
        methods.get(method).map(|found| {
            let name = syn::Ident::new(method.name(), found.name_span);
            quote_spanned!(found.type_span=> ::core::option::Option::Some(<#driver>::#name))
        })
    };
    let probe = optional(Method::Probe).map(
        |value| quote!(const PROBE: ::core::option::Option<::maaspd::ProbeFn<Self>> = #value;),
    );
    let set_boot_order = optional(Method::SetBootOrder).map(|value| {
        quote!(const SET_BOOT_ORDER: ::core::option::Option<::maaspd::SetBootOrderFn<Self>> = #value;)
    });
    let (parameters, from_parameters) = match &methods.constructor {
        Some(constructor) => {
            let ty = &constructor.parameters;
            (
                quote_spanned!(constructor.parameters_span=> #ty),
                quote_spanned!(constructor.span=> <#driver>::new(parameters)),
            )
        }
        None => (
            quote_spanned!(syn::spanned::Spanned::span(driver)=> #driver),
            quote!(::core::result::Result::Ok(parameters)),
        ),
    };
    let main = args.main.value.then(|| {
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

                const NAME: &'static str = match ::core::option_env!("CARGO_BIN_NAME") {
                    ::core::option::Option::Some(name) => name,
                    ::core::option::Option::None => ::core::env!("CARGO_PKG_NAME"),
                };
                const DESCRIPTION: &'static str = #description;
                const VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
                #probe
                #set_boot_order

                fn from_parameters(
                    parameters: Self::Parameters,
                ) -> ::maaspd::Result<Self> {
                    #from_parameters
                }

                fn power_on(&self) -> ::maaspd::Result<()> {
                    #power_on
                }

                fn power_off(&self) -> ::maaspd::Result<()> {
                    #power_off
                }

                fn power_query(&self) -> ::maaspd::Result<::maaspd::PowerState> {
                    #power_query
                }
            }
        };

        #main
    }
}
