//! `#[power_driver]`: checks the `impl` block against what the runtime calls, then
//! describes the driver to the runtime (`generate`).

mod args;
mod generate;
mod methods;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, ItemImpl};

use crate::errors::Errors;
use args::DriverArgs;
use methods::{Method, Methods};

/// Expands the attribute. On any error, the item is emitted unchanged with a
/// placeholder `main` beside the errors, so the author sees only the real mistakes.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = DriverArgs::parse(args, &mut errors);
    let block = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Impl(block)) => Some(block),
        Ok(other) => {
            errors.at(
                other,
                "#[power_driver] goes on the `impl` block of the driver: `impl MyDriver { ... }`",
            );
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let checked = block.map(|block| {
        let methods = check(&block, &args, &mut errors);
        (block, methods)
    });
    match (errors.finish(), checked) {
        (Ok(()), Some((block, methods))) => generate::driver(&block, &args, &methods),
        (result, _) => {
            let errors = result.err().map(|e| e.to_compile_error());
            let main = args.main.value.then(|| {
                quote!(
                    fn main() {}
                )
            });
            quote!(#item #main #errors)
        }
    }
}

/// Checks the block as a whole: its form, the required methods, and that the optional
/// actions match the arguments that declare them.
fn check(block: &ItemImpl, args: &DriverArgs, errors: &mut Errors) -> Methods {
    if let Some((trait_path, _)) = &block.trait_ {
        errors.at(
            trait_path,
            "#[power_driver] goes on an inherent impl (`impl MyDriver`), not a trait impl",
        );
    }
    if !block.generics.params.is_empty() || block.generics.where_clause.is_some() {
        errors.at(
            &block.generics,
            "#[power_driver] cannot be generic: a driver executable has one concrete driver type",
        );
    }
    let methods = Methods::collect(block, errors);
    for method in [Method::PowerOn, Method::PowerOff, Method::PowerQuery] {
        if methods.get(method).is_none() && !methods.was_suggested(method) {
            errors.at(&block.self_ty, format!("missing `{}`", method.expected()));
        }
    }
    for (method, flag, key) in [
        (Method::Probe, args.probe, "probe"),
        (Method::SetBootOrder, args.boot_order, "boot_order"),
    ] {
        match (flag.value, methods.get(method)) {
            (true, None) if !methods.was_suggested(method) => errors.push(syn::Error::new(
                flag.span,
                format!("`{key} = true`, but the impl has no `{}`", method.expected()),
            )),
            (false, Some(found)) => errors.push(syn::Error::new(
                found.name_span,
                format!(
                    "`fn {}` is here, but the driver does not declare it: add `{key} = true` to #[power_driver(...)]",
                    method.name()
                ),
            )),
            _ => {}
        }
    }
    methods
}
