//! The arguments of `#[power_driver(...)]`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, MetaList, MetaNameValue, Token};

use crate::crate_path::CratePath;
use crate::errors::Errors;
use crate::suggest;

/// Every `key = value` argument and how its value is read: the one list of the keys,
/// which the "did you mean" suggestions and the "expected one of" list come from too.
/// (`ip_extractor(...)`, a list, is read before this table is consulted.)
const ARGUMENTS: &[(&str, Reader)] = &[
    ("description", |pair, args, errors| {
        args.description = description(pair, errors);
    }),
    ("name", |pair, args, errors| args.name = name(pair, errors)),
    ("probe", |pair, args, errors| {
        args.probe = flag(pair, "probe", errors);
    }),
    ("boot_order", |pair, args, errors| {
        args.boot_order = flag(pair, "boot_order", errors);
    }),
    ("chassis", |pair, args, errors| {
        args.chassis = flag(pair, "chassis", errors);
    }),
    ("queryable", |pair, args, errors| {
        args.queryable = flag(pair, "queryable", errors);
    }),
    ("confirm", |pair, args, errors| {
        args.confirm = flag(pair, "confirm", errors);
    }),
    ("ip_extractor", |pair, _, errors| {
        errors.at(
            pair,
            "write `ip_extractor(field_name = \"power_address\", pattern = maaspd::ip_extractor::URL)`",
        );
    }),
    ("bmc_key", |pair, args, errors| {
        args.bmc_key = setting_name(pair, errors);
    }),
    ("max_per_bmc", |pair, args, errors| {
        args.max_per_bmc = positive(pair, errors);
    }),
    ("switch", |pair, args, errors| {
        args.switch = field(pair, errors);
        args.switch_malformed = args.switch.is_none();
    }),
    ("main", |pair, args, errors| {
        args.main = flag(pair, "main", errors);
    }),
    ("crate", |pair, args, errors| {
        args.krate = CratePath::parse(pair, errors);
    }),
];

/// Reads one argument's value into the arguments, reporting what is wrong with it.
type Reader = fn(&MetaNameValue, &mut DriverArgs, &mut Errors);

/// The arguments: `description = "..."` (required), `name = "..."`, the flags `probe`,
/// `boot_order`, `chassis`, `queryable`, `confirm` and `main`,
/// `ip_extractor(field_name = "...", pattern = ...)`, `bmc_key = "..."`,
/// `max_per_bmc = N`, `switch = field` and `crate = "path"`.
pub(crate) struct DriverArgs {
    /// `None` when missing or not a string; an error says which.
    pub(crate) description: Option<LitStr>,
    /// MAAS's name of the driver; the binary's name when absent.
    pub(crate) name: Option<LitStr>,
    pub(crate) probe: Flag,
    pub(crate) boot_order: Flag,
    pub(crate) chassis: Flag,
    pub(crate) queryable: Flag,
    /// Whether the runtime confirms a power change by querying (`confirm = false`: the
    /// driver confirms by itself).
    pub(crate) confirm: Flag,
    pub(crate) ip_extractor: Option<IpExtractor>,
    /// The setting that tells BMCs apart, when not `ip_extractor`'s.
    pub(crate) bmc_key: Option<LitStr>,
    /// How many actions `serve` runs at once against one BMC, by default.
    pub(crate) max_per_bmc: Option<syn::LitInt>,
    /// The driver's field the actions its block does not define are handed to.
    pub(crate) switch: Option<syn::Member>,
    /// `switch` was written, wrongly (already reported).
    pub(crate) switch_malformed: bool,
    pub(crate) main: Flag,
    /// Where the generated code finds maaspd (`crate = "..."`).
    pub(crate) krate: CratePath,
}

/// Which setting holds the BMC's address, and the Python regex MAAS applies to it.
pub(crate) struct IpExtractor {
    pub(crate) field_name: LitStr,
    /// Any constant expression: a literal or e.g. `maaspd::ip_extractor::URL`.
    pub(crate) pattern: Expr,
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
            name: None,
            probe: Flag::Absent(false),
            boot_order: Flag::Absent(false),
            chassis: Flag::Absent(false),
            queryable: Flag::Absent(true),
            confirm: Flag::Absent(true),
            ip_extractor: None,
            bmc_key: None,
            max_per_bmc: None,
            switch: None,
            switch_malformed: false,
            main: Flag::Absent(true),
            krate: CratePath::default(),
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
                if says_main_false(args) {
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
            if let Meta::List(list) = &meta
                && list.path.is_ident("ip_extractor")
            {
                if parsed.ip_extractor.is_some() {
                    errors.at(&list.path, "duplicate `ip_extractor`");
                }
                parsed.ip_extractor = ip_extractor(list, errors);
                continue;
            }
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
            description_given |= key == "description";
            match ARGUMENTS.iter().find(|(known, _)| *known == key) {
                Some((_, read)) => read(&pair, &mut parsed, errors),
                None => {
                    let keys: Vec<&str> = ARGUMENTS.iter().map(|(key, _)| *key).collect();
                    let near = suggest::closest(&key, &keys);
                    let hint = match near {
                        Some(known) => format!("did you mean `{known}`?"),
                        None => format!("expected one of `{}`", keys.join("`, `")),
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

/// Whether arguments that do not parse still hold the tokens `main = false`, at the top
/// level: what the author meant there is clear even when a neighbour is broken.
fn says_main_false(args: TokenStream) -> bool {
    let tokens: Vec<TokenTree> = args.into_iter().collect();
    tokens.windows(3).any(|window| {
        matches!(window, [TokenTree::Ident(key), TokenTree::Punct(equals), TokenTree::Ident(value)]
            if key == "main" && equals.as_char() == '=' && value == "false")
    })
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

fn name(pair: &MetaNameValue, errors: &mut Errors) -> Option<LitStr> {
    match &pair.value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) if is_driver_name(&text.value()) => Some(text.clone()),
        other => {
            errors.at(
                other,
                "`name` takes MAAS's name of the driver: lowercase letters, digits, `_` and `-`, e.g. `name = \"redfish\"`",
            );
            None
        }
    }
}

/// MAAS names drivers like `redfish`, `ipmi`, `hmcz`: also a socket file name.
fn is_driver_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn ip_extractor(list: &MetaList, errors: &mut Errors) -> Option<IpExtractor> {
    let pairs = match list.parse_args_with(Punctuated::<MetaNameValue, Token![,]>::parse_terminated)
    {
        Ok(pairs) => pairs,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let (mut field_name, mut pattern) = (None, None);
    for pair in pairs {
        if pair.path.is_ident("field_name") {
            match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) if syn::parse_str::<syn::Ident>(&text.value()).is_ok() => {
                    field_name = Some(text.clone())
                }
                other => errors.at(
                    other,
                    "`field_name` takes the name of a setting, as a string",
                ),
            }
        } else if pair.path.is_ident("pattern") {
            pattern = Some(pair.value);
        } else {
            errors.at(
                &pair.path,
                "`ip_extractor` takes `field_name = \"...\"` and `pattern = ...`",
            );
        }
    }
    match (field_name, pattern) {
        (Some(field_name), Some(pattern)) => Some(IpExtractor {
            field_name,
            pattern,
        }),
        _ => {
            errors.at(
                list,
                "`ip_extractor` needs both `field_name = \"...\"` and `pattern = ...`",
            );
            None
        }
    }
}

/// `switch = outlet` (or `switch = 0` in a tuple struct): a field of the driver (the
/// compiler checks it exists and is a `Switch`).
fn field(pair: &MetaNameValue, errors: &mut Errors) -> Option<syn::Member> {
    match &pair.value {
        Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
            path.path.get_ident().cloned().map(syn::Member::Named)
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(index),
            ..
        }) if index.suffix().is_empty() => match index.base10_parse::<u32>() {
            Ok(index_value) => Some(syn::Member::Unnamed(syn::Index {
                index: index_value,
                span: index.span(),
            })),
            Err(error) => {
                errors.push(error);
                None
            }
        },
        other => {
            errors.at(
                other,
                "`switch` takes the driver's field that switches the machine, e.g. `switch = outlet` (or `switch = 0`)",
            );
            None
        }
    }
}

/// `bmc_key = "power_address"`: a setting's name (the compiler checks it exists).
fn setting_name(pair: &MetaNameValue, errors: &mut Errors) -> Option<LitStr> {
    match &pair.value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) if syn::parse_str::<syn::Ident>(&text.value()).is_ok() => Some(text.clone()),
        other => {
            errors.at(
                other,
                "`bmc_key` takes the name of the setting that tells BMCs apart, e.g. `bmc_key = \"power_address\"`",
            );
            None
        }
    }
}

/// `max_per_bmc = 4`: a number of actions, at least one.
fn positive(pair: &MetaNameValue, errors: &mut Errors) -> Option<syn::LitInt> {
    match &pair.value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(number),
            ..
        }) if number.base10_parse::<u32>().is_ok_and(|n| n > 0) => Some(number.clone()),
        other => {
            errors.at(
                other,
                "`max_per_bmc` takes how many actions may run at once against one BMC, at least 1: `max_per_bmc = 4`",
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
    fn reads_maas_metadata() {
        let (args, errors) = parse(quote!(
            description = "d",
            name = "redfish",
            chassis = true,
            queryable = false,
            ip_extractor(
                field_name = "power_address",
                pattern = maaspd::ip_extractor::URL
            )
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.name.unwrap().value(), "redfish");
        assert_eq!(args.chassis.value(), Some(true));
        assert_eq!(args.queryable.value(), Some(false));
        let extractor = args.ip_extractor.unwrap();
        assert_eq!(extractor.field_name.value(), "power_address");
        assert_eq!(
            extractor.pattern.to_token_stream().to_string(),
            "maaspd :: ip_extractor :: URL"
        );
    }

    #[test]
    fn rejects_bad_metadata() {
        let (_, errors) = parse(quote!(
            description = "d",
            name = "Red Fish",
            ip_extractor(field_name = "power_address"),
            ip_extractor = "x"
        ));
        assert_eq!(errors.len(), 3, "{errors:?}");
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
        // Read as tokens: not inside a string, nor a `main = false_ish` name.
        let (args, _) = parse(quote!(description = "main = false",, probe = true));
        assert_eq!(args.main.value(), Some(true));
        let (args, _) = parse(quote!(description = "d", main = false_ish,, x));
        assert_eq!(args.main.value(), Some(true));
    }

    #[test]
    fn reads_the_switch_field_by_name_or_index() {
        let (args, errors) = parse(quote!(description = "d", switch = outlet));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.switch.to_token_stream().to_string(), "outlet");
        let (args, errors) = parse(quote!(description = "d", switch = 0));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.switch.to_token_stream().to_string(), "0");
        for wrong in [
            quote!(description = "d", switch = "outlet"),
            quote!(description = "d", switch = self.outlet),
            quote!(description = "d", switch = 0u8),
        ] {
            let (args, errors) = parse(wrong);
            assert!(args.switch.is_none());
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].starts_with("`switch` takes the driver's field"),
                "{errors:?}"
            );
        }
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
                "unknown argument `colour`: expected one of `description`, `name`, `probe`, `boot_order`, `chassis`, `queryable`, `confirm`, `ip_extractor`, `bmc_key`, `max_per_bmc`, `switch`, `main`, `crate`",
                "expected `key = value`, e.g. `probe = true`",
            ]
        );
    }
}
