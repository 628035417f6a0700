//! `#[parameters]`: serde and schemars derives through maaspd, and the marker impl.
//!
//! `Serialize` too: schemars shows a `#[serde(default)]` only for a type it can
//! serialise, and a probing driver can turn parameters into `driver_parameters`.

mod choice_label;
mod doc;
mod maas_field;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, MetaNameValue, parse2};

use crate::crate_path::CratePath;
use crate::errors::Errors;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(tokens) => tokens,
        // Keep the item, so only the real mistake is reported.
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#item #error)
        }
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut item: Item = parse2(item)?;
    let mut errors = Errors::default();
    let krate = crate_argument(args, &mut errors);
    describe_fields(&mut item, &mut errors);
    let (ident, generics) = match &item {
        Item::Struct(item) => (&item.ident, &item.generics),
        Item::Enum(item) => (&item.ident, &item.generics),
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "#[parameters] goes on the struct that `driverParameters` deserialises into",
            ));
        }
    };
    let (impl_generics, type_generics, where_clause) = generics.split_for_impl();
    // Mistakes in the arguments or in `#[maaspd(...)]` are reported, but the derives are
    // still emitted (without the faulty attributes), so they are the only errors shown.
    let errors = errors.finish().err().map(|error| error.to_compile_error());
    let (serde_path, schemars_path) = (krate.private("serde"), krate.private("schemars"));
    let derives = krate.rewrite(quote! {
        #[derive(
            ::maaspd::__private::serde::Deserialize,
            ::maaspd::__private::serde::Serialize,
            ::maaspd::__private::schemars::JsonSchema,
        )]
        #[serde(crate = #serde_path)]
        #[schemars(crate = #schemars_path)]
    });
    let marker = krate.rewrite(quote! {
        #[automatically_derived]
        impl #impl_generics ::maaspd::Parameters for #ident #type_generics #where_clause {}
    });
    Ok(quote! {
        #errors

        #derives
        #item

        #marker
    })
}

/// The only argument, `crate = "path"` (see [`CratePath`]); anything else is an error.
fn crate_argument(args: TokenStream, errors: &mut Errors) -> CratePath {
    if args.is_empty() {
        return CratePath::default();
    }
    match parse2::<MetaNameValue>(args.clone()) {
        Ok(pair) if pair.path.is_ident("crate") => CratePath::parse(&pair, errors),
        _ => {
            errors.at(
                &args,
                "#[parameters] takes no arguments but `crate = \"path\"`",
            );
            CratePath::default()
        }
    }
}

/// Title and description from the doc comments of the type, its fields and variants,
/// and the MAAS facts of `#[maaspd(...)]` on fields.
fn describe_fields(item: &mut Item, errors: &mut Errors) {
    match item {
        Item::Struct(item) => {
            doc::split_title(&mut item.attrs);
            for field in &mut item.fields {
                doc::split_title(&mut field.attrs);
                maas_field::translate(&mut field.attrs, errors);
            }
        }
        Item::Enum(item) => {
            choice_label::check(item, errors);
            doc::split_title(&mut item.attrs);
            for variant in &mut item.variants {
                doc::split_title(&mut variant.attrs);
                for field in &mut variant.fields {
                    doc::split_title(&mut field.attrs);
                    maas_field::translate(&mut field.attrs, errors);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_through_maaspd_and_marks_the_type() {
        let out = expand(
            quote!(),
            quote!(
                struct P {
                    a: u8,
                }
            ),
        )
        .to_string();
        assert!(
            out.contains(":: maaspd :: __private :: serde :: Deserialize"),
            "{out}"
        );
        assert!(out.contains("impl :: maaspd :: Parameters for P"), "{out}");
        assert!(out.contains("# [automatically_derived]"), "{out}");
    }

    #[test]
    fn rejects_arguments_and_functions() {
        let out = expand(
            quote!(strict),
            quote!(
                struct P;
            ),
        )
        .to_string();
        assert!(out.contains("takes no arguments"), "{out}");
        let out = expand(
            quote!(),
            quote!(
                fn f() {}
            ),
        )
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("fn f"), "the item is kept: {out}");
    }
}
