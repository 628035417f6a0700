//! `crate = "path"`: where the generated code finds maaspd, for a crate that renames it
//! or reaches it through a re-export (as serde's and tokio's `crate` arguments do). The
//! generated code is written against `::maaspd`; this rewrites that root in generated
//! tokens only.

use proc_macro2::{Group, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Expr, ExprLit, Lit, MetaNameValue, Path};

use crate::errors::Errors;

/// maaspd's path in the generated code: `::maaspd` unless `crate = "..."` says otherwise.
#[derive(Default)]
pub(crate) struct CratePath(Option<Path>);

impl CratePath {
    /// Reads `crate = "path"`, reporting anything else at its tokens.
    pub(crate) fn parse(pair: &MetaNameValue, errors: &mut Errors) -> CratePath {
        match &pair.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) => match text.parse::<Path>() {
                Ok(path) => CratePath(Some(path)),
                Err(_) => {
                    errors.at(
                        text,
                        "`crate` takes a path, e.g. `crate = \"::my_sdk::maaspd\"`",
                    );
                    CratePath(None)
                }
            },
            other => {
                errors.at(other, "`crate` takes a path as a string: `crate = \"...\"`");
                CratePath(None)
            }
        }
    }

    /// `tokens` with every leading `::maaspd` replaced by the path.
    pub(crate) fn rewrite(&self, tokens: TokenStream) -> TokenStream {
        match &self.0 {
            None => tokens,
            Some(path) => rewrite(tokens, &path.to_token_stream()),
        }
    }

    /// The path of `maaspd::__private::MODULE` as text, for serde's and schemars'
    /// own `crate = "..."` attributes.
    pub(crate) fn private(&self, module: &str) -> String {
        let root = match &self.0 {
            None => "::maaspd".to_owned(),
            Some(path) => {
                let segments: Vec<String> =
                    path.segments.iter().map(|s| s.ident.to_string()).collect();
                let leading = if path.leading_colon.is_some() {
                    "::"
                } else {
                    ""
                };
                format!("{leading}{}", segments.join("::"))
            }
        };
        format!("{root}::__private::{module}")
    }
}

fn rewrite(tokens: TokenStream, path: &TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut index = 0;
    while index < trees.len() {
        let leading_root = matches!(
            &trees[index..],
            [TokenTree::Punct(a), TokenTree::Punct(b), TokenTree::Ident(name), ..]
                if a.as_char() == ':' && b.as_char() == ':' && name == "maaspd"
        ) && !follows_a_path_segment(out.last());
        if leading_root {
            out.extend(path.clone());
            index += 3;
            continue;
        }
        out.push(match &trees[index] {
            TokenTree::Group(group) => {
                let mut rewritten = Group::new(group.delimiter(), rewrite(group.stream(), path));
                rewritten.set_span(group.span());
                TokenTree::Group(rewritten)
            }
            other => other.clone(),
        });
        index += 1;
    }
    out.into_iter().collect()
}

/// Whether `previous` makes a following `::maaspd` a path's tail (`other::maaspd`)
/// rather than its root (`impl ::maaspd::...`, `for ::maaspd::...`): any name but a
/// keyword is a path segment.
fn follows_a_path_segment(previous: Option<&TokenTree>) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "async", "const", "dyn", "else", "fn", "for", "if", "impl", "in", "let", "match",
        "move", "mut", "pub", "ref", "return", "static", "type", "unsafe", "use", "where", "while",
    ];
    matches!(previous, Some(TokenTree::Ident(name)) if !KEYWORDS.contains(&name.to_string().as_str()))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn renamed(path: &str) -> CratePath {
        CratePath(Some(syn::parse_str(path).unwrap()))
    }

    #[test]
    fn every_leading_root_is_rewritten_in_groups_too() {
        let tokens = quote! {
            impl ::maaspd::PowerDriver for ::maaspd::X {
                fn f(ctx: ::std::sync::Arc<::maaspd::Context>) -> ::maaspd::Call<()> {}
            }
        };
        let out = renamed("crate::sdk").rewrite(tokens).to_string();
        assert!(!out.contains("maaspd"), "{out}");
        assert_eq!(out.matches("crate :: sdk").count(), 4, "{out}");
    }

    #[test]
    fn a_module_named_maaspd_inside_a_path_is_left_alone() {
        let out = renamed("sdk").rewrite(quote!(other::maaspd::X)).to_string();
        assert_eq!(out, "other :: maaspd :: X");
    }

    #[test]
    fn serde_and_schemars_get_the_private_path() {
        assert_eq!(
            CratePath::default().private("serde"),
            "::maaspd::__private::serde"
        );
        assert_eq!(
            renamed("::a::b").private("serde"),
            "::a::b::__private::serde"
        );
        assert_eq!(
            renamed("sdk").private("schemars"),
            "sdk::__private::schemars"
        );
    }
}
