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

/// Expands the attribute. On any error the item is emitted unchanged beside the errors,
/// with stand-ins for what the attribute would have generated (a placeholder impl of the
/// runtime trait, a `main`), so the author sees only the real mistakes.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = DriverArgs::parse(args, &mut errors);
    let (block, other_item_is_main) = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Impl(block)) => (Some(block), false),
        Ok(other) => {
            errors.at(
                &other,
                "#[power_driver] goes on the `impl` block of the driver: `impl MyDriver { ... }`",
            );
            let is_main = matches!(&other, Item::Fn(function) if function.sig.ident == "main");
            (None, is_main)
        }
        Err(error) => {
            errors.push(error);
            (None, false)
        }
    };
    let methods = block.as_ref().map(|block| check(block, &args, &mut errors));
    match (errors.finish(), block, methods) {
        (Ok(()), Some(block), Some(methods)) => generate::driver(&block, &args, &methods),
        (result, block, _) => {
            let errors = result.err().map(|e| e.to_compile_error());
            let stand_ins = match block {
                Some(block) => generate::placeholder(&block, &args),
                // On `fn main` itself (as with `#[tokio::main]`) a placeholder would clash.
                None if other_item_is_main => TokenStream::new(),
                None => generate::placeholder_main(&args),
            };
            quote!(#item #stand_ins #errors)
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
    if let Some(generics) = methods::generics_tokens(&block.generics) {
        errors.at(
            generics,
            "#[power_driver] cannot be generic: a driver executable has one concrete driver type",
        );
    }
    let methods = Methods::collect(block, errors);
    let switchable = [Method::PowerOn, Method::PowerOff, Method::PowerQuery];
    match &args.switch {
        // The switch has what the block leaves out; the block must leave something out.
        Some(switch)
            if switchable
                .iter()
                .all(|&method| methods.get(method).is_some()) =>
        {
            errors.at(
                switch,
                "`switch` hands the switch the actions the impl does not define, but this impl defines `power_on`, `power_off` and `power_query`: remove `switch`",
            );
        }
        // A malformed `switch` is reported already; what it was to do is unknown.
        Some(_) => {}
        None if args.switch_malformed => {}
        None => {
            let missing: Vec<String> = switchable
                .into_iter()
                .filter(|&method| methods.get(method).is_none() && !methods.was_suggested(method))
                .map(|method| format!("`{}`", method.expected()))
                .collect();
            if !missing.is_empty() {
                let them = if missing.len() == 1 { "it" } else { "them" };
                errors.at(
                    &block.self_ty,
                    format!(
                        "missing {}; or `switch = field`, to have a field that is a `maaspd::Switch` do {them}",
                        missing.join(", ")
                    ),
                );
            }
        }
    }
    for (method, flag, key) in [
        (Method::Probe, &args.probe, "probe"),
        (Method::SetBootOrder, &args.boot_order, "boot_order"),
    ] {
        match (flag.value(), methods.get(method)) {
            (Some(true), None) if !methods.was_suggested(method) => errors.at(
                flag.tokens(),
                format!("`{key} = true`, but the impl has no `{}`", method.expected()),
            ),
            (Some(false), Some(found)) => errors.at(
                &found.ident,
                format!(
                    "`fn {}` is here, but the driver does not declare it: add `{key} = true` to #[power_driver(...)]",
                    method.name()
                ),
            ),
            _ => {}
        }
    }
    methods
}
