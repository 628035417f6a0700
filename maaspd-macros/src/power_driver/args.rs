//! The arguments of `#[power_driver(...)]`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, MetaNameValue, Token};

use crate::errors::Errors;
use crate::suggest;

const KEYS: &[&str] = &["description", "probe", "boot_order", "main"];

/// `description = "..."`, `probe = bool`, `boot_order = bool`, `main = bool`.
pub(crate) struct DriverArgs {
    /// `None` when missing or not a string; an error says which.
    pub(crate) description: Option<LitStr>,
    pub(crate) probe: Flag,
    pub(crate) boot_order: Flag,
    pub(crate) main: Flag,
}

/// A boolean argument and where it was written, for errors about it.
#[derive(Clone, Copy)]
pub(crate) struct Flag {
    pub(crate) value: bool,
    pub(crate) span: Span,
}

impl Flag {
    fn absent(value: bool) -> Self {
        Flag {
            value,
            span: Span::call_site(),
        }
    }
}

impl DriverArgs {
    /// Parses the arguments, adding an error for each that is wrong and using the
    /// default in its place, so the impl block is still checked.
    pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> DriverArgs {
        let mut parsed = DriverArgs {
            description: None,
            probe: Flag::absent(false),
            boot_order: Flag::absent(false),
            main: Flag::absent(true),
        };
        let metas =
            match syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, args)
            {
                Ok(metas) => metas,
                Err(error) => {
                    errors.push(error);
                    return parsed;
                }
            };
        let mut seen: Vec<String> = Vec::new();
        let mut description_given = false;
        for meta in metas {
            let Meta::NameValue(pair) = meta else {
                errors.at(&meta, "expected `key = value`, e.g. `probe = true`");
                continue;
            };
            let key = pair.path.to_token_stream().to_string();
            if seen.contains(&key) {
                errors.at(&pair.path, format!("duplicate `{key}`"));
                continue;
            }
            seen.push(key.clone());
            match key.as_str() {
                "description" => {
                    description_given = true;
                    parsed.description = description(&pair, errors);
                }
                "probe" => parsed.probe = flag(&pair, &key, errors, parsed.probe),
                "boot_order" => parsed.boot_order = flag(&pair, &key, errors, parsed.boot_order),
                "main" => parsed.main = flag(&pair, &key, errors, parsed.main),
                _ => {
                    let hint = match suggest::closest(&key, KEYS) {
                        Some(known) => format!("did you mean `{known}`?"),
                        None => format!("expected one of `{}`", KEYS.join("`, `")),
                    };
                    errors.at(&pair.path, format!("unknown argument `{key}`: {hint}"));
                }
            }
        }
        if !description_given {
            errors.push(syn::Error::new(
                Span::call_site(),
                "#[power_driver] needs `description = \"...\"`, one line saying what the driver drives",
            ));
        }
        parsed
    }
}

fn description(pair: &MetaNameValue, errors: &mut Errors) -> Option<LitStr> {
    match &pair.value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) if !text.value().trim().is_empty() => Some(text.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            errors.at(text, "`description` must not be empty");
            None
        }
        other => {
            errors.at(
                other,
                "`description` takes a string: `description = \"...\"`",
            );
            None
        }
    }
}

fn flag(pair: &MetaNameValue, key: &str, errors: &mut Errors, default: Flag) -> Flag {
    match &pair.value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(value),
            ..
        }) => Flag {
            value: value.value,
            span: pair.span(),
        },
        other => {
            errors.at(
                other,
                format!("`{key}` takes `true` or `false`: `{key} = true`"),
            );
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(args: TokenStream) -> (DriverArgs, Vec<String>) {
        let mut errors = Errors::default();
        let parsed = DriverArgs::parse(args, &mut errors);
        let messages = match errors.finish() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        };
        (parsed, messages)
    }

    #[test]
    fn reads_every_key() {
        let (args, errors) = parse(quote!(
            description = "d",
            probe = true,
            boot_order = true,
            main = false
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.description.unwrap().value(), "d");
        assert!(args.probe.value && args.boot_order.value && !args.main.value);
    }

    #[test]
    fn defaults() {
        let (args, errors) = parse(quote!(description = "d"));
        assert!(errors.is_empty());
        assert!(!args.probe.value && !args.boot_order.value && args.main.value);
    }

    #[test]
    fn reports_every_mistake() {
        let (_, errors) = parse(quote!(
            probe = "yes",
            probe = true,
            descripton = "d",
            colour = 1,
            main
        ));
        assert_eq!(
            errors,
            [
                "`probe` takes `true` or `false`: `probe = true`",
                "duplicate `probe`",
                "unknown argument `descripton`: did you mean `description`?",
                "unknown argument `colour`: expected one of `description`, `probe`, `boot_order`, `main`",
                "expected `key = value`, e.g. `probe = true`",
                "#[power_driver] needs `description = \"...\"`, one line saying what the driver drives",
            ]
        );
    }
}
