//! `#[maaspd(scope = "node", field_type = "mac_address", required)]` on a field: the
//! facts of a MAAS setting that neither its type nor its doc comment tells (`required`:
//! MAAS asks for a value even though the field has a default). They travel in the
//! schema as `x-maas-*` keywords, from which the runtime builds MAAS's metadata.

use syn::{Attribute, LitStr, parse_quote};

use crate::errors::Errors;

const SCOPES: &[&str] = &["bmc", "node"];
const FIELD_TYPES: &[&str] = &[
    "string",
    "choice",
    "multiple_choice",
    "password",
    "ip_address",
    "mac_address",
];

/// Replaces the `#[maaspd(...)]` attributes in `attrs` by the schemars attributes that
/// carry them, reporting any key or value MAAS would not understand.
pub(crate) fn translate(attrs: &mut Vec<Attribute>, errors: &mut Errors) {
    let mut kept = Vec::with_capacity(attrs.len());
    let mut added = Vec::new();
    for attr in attrs.drain(..) {
        if !attr.path().is_ident("maaspd") {
            kept.push(attr);
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("required") {
                added.push(parse_quote!(#[schemars(extend("x-maas-required" = true))]));
                return Ok(());
            }
            let (keyword, allowed) = if meta.path.is_ident("scope") {
                ("x-maas-scope", SCOPES)
            } else if meta.path.is_ident("field_type") {
                ("x-maas-field-type", FIELD_TYPES)
            } else {
                return Err(
                    meta.error("expected `scope = \"...\"`, `field_type = \"...\"` or `required`")
                );
            };
            let value: LitStr = meta.value()?.parse()?;
            if !allowed.contains(&value.value().as_str()) {
                return Err(syn::Error::new_spanned(
                    &value,
                    format!("expected one of \"{}\"", allowed.join("\", \"")),
                ));
            }
            added.push(parse_quote!(#[schemars(extend(#keyword = #value))]));
            Ok(())
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    kept.extend(added);
    *attrs = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn run(attrs: Vec<Attribute>) -> (Vec<String>, Option<String>) {
        let mut attrs = attrs;
        let mut errors = Errors::default();
        translate(&mut attrs, &mut errors);
        let attrs = attrs
            .iter()
            .map(|a| a.to_token_stream().to_string())
            .collect();
        (attrs, errors.finish().err().map(|e| e.to_string()))
    }

    #[test]
    fn becomes_schema_keywords() {
        let (attrs, error) = run(vec![
            parse_quote!(#[doc = " MAC"]),
            parse_quote!(#[maaspd(scope = "node", field_type = "mac_address", required)]),
        ]);
        assert_eq!(error, None);
        assert_eq!(
            attrs,
            [
                "# [doc = \" MAC\"]",
                "# [schemars (extend (\"x-maas-scope\" = \"node\"))]",
                "# [schemars (extend (\"x-maas-field-type\" = \"mac_address\"))]",
                "# [schemars (extend (\"x-maas-required\" = true))]",
            ]
        );
    }

    #[test]
    fn rejects_what_maas_does_not_know() {
        let (_, error) = run(vec![parse_quote!(#[maaspd(scope = "rack")])]);
        assert_eq!(error.unwrap(), "expected one of \"bmc\", \"node\"");
        let (_, error) = run(vec![parse_quote!(#[maaspd(label = "x")])]);
        assert!(error.unwrap().starts_with("expected `scope"));
    }
}
