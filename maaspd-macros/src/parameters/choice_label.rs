//! Every choice of a setting needs a label MAAS can show beside its value: MAAS's choice
//! schema wants `[value, label]` pairs of two different strings. A unit variant of a
//! choice enum gets its label from its doc comment, so one without a doc comment, or
//! with one that only repeats the value, is refused at the variant.

use syn::{Attribute, Fields, ItemEnum, LitStr, Token};

use super::doc::doc_lines;
use crate::errors::Errors;

/// Checks the labels of `item` when it is a choice enum (every variant a unit).
pub(crate) fn check(item: &ItemEnum, errors: &mut Errors) {
    if item.variants.is_empty()
        || !item
            .variants
            .iter()
            .all(|variant| matches!(variant.fields, Fields::Unit))
    {
        return;
    }
    let rename_all = serde_string(&item.attrs, "rename_all");
    for variant in &item.variants {
        let ident = variant.ident.to_string();
        let value = match serde_string(&variant.attrs, "rename") {
            Some(renamed) => Some(renamed),
            None => match &rename_all {
                Some(rule) => apply_rule(rule, &ident),
                None => Some(ident),
            },
        };
        let label = doc_lines(&variant.attrs)
            .into_iter()
            .map(|line| line.trim().to_owned())
            .find(|line| !line.is_empty());
        match (label, value) {
            (None, _) => errors.at(
                &variant.ident,
                "MAAS shows each choice with a label: give this variant a doc comment, \
                 e.g. `/// Soft power off`",
            ),
            (Some(label), Some(value)) if label == value => errors.at(
                &variant.ident,
                format!(
                    "this choice's label only repeats its value `{value}`: MAAS needs \
                     [value, label] pairs of two different strings, so write a label \
                     that says what the choice means"
                ),
            ),
            _ => {}
        }
    }
}

/// The string of `#[serde(KEY = "...")]` among `attrs`, if any.
fn serde_string(attrs: &[Attribute], key: &str) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        // serde reports malformed attributes itself: what cannot be read is skipped.
        let _ = attr.parse_nested_meta(|meta| {
            if meta.input.peek(Token![=]) {
                let value = meta.value()?;
                if meta.path.is_ident(key) {
                    found = Some(value.parse::<LitStr>()?.value());
                } else {
                    value.parse::<syn::Expr>()?;
                }
            } else if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                // `rename(serialize = ...)` and the like: not a plain value.
                meta.input.parse::<proc_macro2::Group>()?;
            }
            Ok(())
        });
    }
    found
}

/// serde's `rename_all` rules, applied to a variant's PascalCase name; `None` for a rule
/// serde does not know (serde reports it).
fn apply_rule(rule: &str, pascal: &str) -> Option<String> {
    let words = || {
        let mut snake = String::new();
        for (i, c) in pascal.char_indices() {
            if i > 0 && c.is_uppercase() {
                snake.push('_');
            }
            snake.extend(c.to_lowercase());
        }
        snake
    };
    Some(match rule {
        "lowercase" => pascal.to_lowercase(),
        "UPPERCASE" => pascal.to_uppercase(),
        "PascalCase" => pascal.to_owned(),
        "camelCase" => {
            let mut chars = pascal.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(chars).collect()
            })
        }
        "snake_case" => words(),
        "SCREAMING_SNAKE_CASE" => words().to_uppercase(),
        "kebab-case" => words().replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => words().replace('_', "-").to_uppercase(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn messages(item: ItemEnum) -> Vec<String> {
        let mut errors = Errors::default();
        check(&item, &mut errors);
        errors
            .finish()
            .err()
            .map(|all| all.into_iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn documented_variants_pass() {
        assert!(
            messages(parse_quote! {
                #[serde(rename_all = "lowercase")]
                enum Mode {
                    /// Soft power off
                    Soft,
                    /// Hard power off
                    #[serde(rename = "hard", alias = "HARD")]
                    Hard,
                }
            })
            .is_empty()
        );
    }

    #[test]
    fn a_variant_without_a_doc_comment_is_refused() {
        let found = messages(parse_quote! {
            enum Mode {
                /// Soft power off
                Soft,
                Hard,
            }
        });
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("give this variant a doc comment"),
            "{found:?}"
        );
    }

    #[test]
    fn a_label_that_repeats_the_value_is_refused() {
        let found = messages(parse_quote! {
            #[serde(rename_all = "lowercase")]
            enum Mode {
                /// soft
                Soft,
                /// LAN
                #[serde(rename = "LAN")]
                Lan,
                /// Hard
                Hard,
            }
        });
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("`soft`"), "{found:?}");
        assert!(found[1].contains("`LAN`"), "{found:?}");
    }

    #[test]
    fn enums_with_data_are_not_choices() {
        assert!(
            messages(parse_quote! {
                enum Address {
                    Host(String),
                    Unset,
                }
            })
            .is_empty()
        );
    }

    #[test]
    fn rename_rules_follow_serde() {
        let cases = [
            ("lowercase", "PowerCycle", "powercycle"),
            ("UPPERCASE", "PowerCycle", "POWERCYCLE"),
            ("camelCase", "PowerCycle", "powerCycle"),
            ("snake_case", "PowerCycle", "power_cycle"),
            ("SCREAMING_SNAKE_CASE", "PowerCycle", "POWER_CYCLE"),
            ("kebab-case", "PowerCycle", "power-cycle"),
            ("SCREAMING-KEBAB-CASE", "PowerCycle", "POWER-CYCLE"),
            ("PascalCase", "PowerCycle", "PowerCycle"),
        ];
        for (rule, ident, expected) in cases {
            assert_eq!(apply_rule(rule, ident).as_deref(), Some(expected), "{rule}");
        }
        assert_eq!(apply_rule("Title Case", "Soft"), None);
    }
}
