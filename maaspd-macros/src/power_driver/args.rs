//! The arguments of `#[power_driver(...)]`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::punctuated::Punctuated;
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

/// A boolean argument.
#[derive(Clone)]
pub(crate) enum Flag {
    /// Not written: the default.
    Absent(bool),
    /// Written as `key = value`; the tokens are where errors about it point.
    Set(bool, TokenStream),
    /// Written wrongly, already reported: nothing is inferred from it.
    Malformed,
}

impl Flag {
    /// The value, unless it was written wrongly.
    pub(crate) fn value(&self) -> Option<bool> {
        match self {
            Flag::Absent(value) | Flag::Set(value, _) => Some(*value),
            Flag::Malformed => None,
        }
    }

    /// The tokens that set it, or the whole attribute.
    pub(crate) fn tokens(&self) -> TokenStream {
        match self {
            Flag::Set(_, tokens) => tokens.clone(),
            _ => quote::quote_spanned!(Span::call_site()=> power_driver),
        }
    }
}

impl DriverArgs {
    /// Parses the arguments, adding an error for each that is wrong and using the
    /// default in its place, so the impl block is still checked.
    pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> DriverArgs {
        let mut parsed = DriverArgs {
            description: None,
            probe: Flag::Absent(false),
            boot_order: Flag::Absent(false),
            main: Flag::Absent(true),
        };
        let metas = match syn::parse::Parser::parse2(
            Punctuated::<Meta, Token![,]>::parse_terminated,
            args.clone(),
        ) {
            Ok(metas) => metas,
            Err(error) => {
                errors.push(error);
                // Nothing can be trusted; but an author who wrote `main = false` has a
                // `main` of their own, which a placeholder would only collide with.
                if args.to_string().replace(' ', "").contains("main=false") {
                    parsed.main = Flag::Malformed;
                }
                parsed.probe = Flag::Malformed;
                parsed.boot_order = Flag::Malformed;
                return parsed;
            }
        };
        let mut seen: Vec<String> = Vec::new();
        let mut description_given = false;
        for meta in metas {
            let Meta::NameValue(pair) = meta else {
                errors.at(&meta, "expected `key = value`, e.g. `probe = true`");
                // A bare `probe` or `main(...)`: that key was meant, but its value is unknown.
                match meta.path().to_token_stream().to_string().as_str() {
                    "description" => description_given = true,
                    "probe" => parsed.probe = Flag::Malformed,
                    "boot_order" => parsed.boot_order = Flag::Malformed,
                    "main" => parsed.main = Flag::Malformed,
                    _ => {}
                }
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
                "probe" => parsed.probe = flag(&pair, &key, errors),
                "boot_order" => parsed.boot_order = flag(&pair, &key, errors),
                "main" => parsed.main = flag(&pair, &key, errors),
                _ => {
                    let near = suggest::closest(&key, KEYS);
                    let hint = match near {
                        Some(known) => format!("did you mean `{known}`?"),
                        None => format!("expected one of `{}`", KEYS.join("`, `")),
                    };
                    errors.at(&pair.path, format!("unknown argument `{key}`: {hint}"));
                    // A misspelt `description` is not reported missing as well.
                    description_given |= near == Some("description");
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

fn flag(pair: &MetaNameValue, key: &str, errors: &mut Errors) -> Flag {
    match &pair.value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(value),
            ..
        }) => Flag::Set(value.value, pair.to_token_stream()),
        other => {
            errors.at(
                other,
                format!("`{key}` takes `true` or `false`: `{key} = true`"),
            );
            Flag::Malformed
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
        assert_eq!(args.probe.value(), Some(true));
        assert_eq!(args.boot_order.value(), Some(true));
        assert_eq!(args.main.value(), Some(false));
    }

    #[test]
    fn defaults() {
        let (args, errors) = parse(quote!(description = "d"));
        assert!(errors.is_empty());
        assert_eq!(args.probe.value(), Some(false));
        assert_eq!(args.boot_order.value(), Some(false));
        assert_eq!(args.main.value(), Some(true));
    }

    #[test]
    fn malformed_flags_are_not_guessed() {
        let (args, _) = parse(quote!(description = "d", probe, main = "no"));
        assert_eq!(args.probe.value(), None);
        assert_eq!(args.main.value(), None);
        let (args, _) = parse(quote!(description = "d", main = false,, probe = true));
        assert_eq!(
            args.main.value(),
            None,
            "main = false in unparseable arguments"
        );
    }

    #[test]
    fn misspelt_description_is_not_also_missing() {
        let (_, errors) = parse(quote!(descripion = "d"));
        assert_eq!(
            errors,
            ["unknown argument `descripion`: did you mean `description`?"]
        );
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
            ]
        );
    }
}
