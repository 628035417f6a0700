//! Doc comments as a title and a description, as schemars 0.8 read them and as MAAS
//! shows a setting (a short label, then help text): a first paragraph of one line,
//! followed by more, is the title.

use syn::{Attribute, Expr, ExprLit, Lit, parse_quote};

/// Adds `#[schemars(title = ..., description = ...)]` when the doc comment in `attrs`
/// has a one-line first paragraph and more after it; otherwise leaves the doc comment
/// to schemars, which makes all of it the description.
pub(crate) fn split_title(attrs: &mut Vec<Attribute>) {
    let lines = doc_lines(attrs);
    if let Some((title, description)) = title_and_description(&lines) {
        attrs.push(parse_quote!(#[schemars(title = #title, description = #description)]));
    }
}

/// The lines of the doc comment in `attrs`, without the space after `///`.
pub(crate) fn doc_lines(attrs: &[Attribute]) -> Vec<String> {
    attrs.iter().filter_map(doc_line).collect()
}

fn doc_line(attr: &Attribute) -> Option<String> {
    if !attr.path().is_ident("doc") {
        return None;
    }
    let mut value = &attr.meta.require_name_value().ok()?.value;
    // A `macro_rules!` passes a `$label:literal` on wrapped in an invisible group.
    while let Expr::Group(group) = value {
        value = &group.expr;
    }
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            let text = text.value();
            Some(text.strip_prefix(' ').unwrap_or(&text).to_owned())
        }
        _ => None,
    }
}

fn title_and_description(lines: &[String]) -> Option<(String, String)> {
    let mut paragraphs = lines.split(|line| line.trim().is_empty());
    let first = paragraphs.find(|paragraph| !paragraph.is_empty())?;
    let [title] = first else {
        return None;
    };
    let after_title = lines.iter().position(|line| std::ptr::eq(line, title))? + 1;
    let description = lines[after_title..].join("\n").trim().to_owned();
    if description.is_empty() {
        return None;
    }
    Some((title.trim().to_owned(), description))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(doc: &[&str]) -> Option<(String, String)> {
        let lines: Vec<String> = doc.iter().map(|line| line.to_string()).collect();
        title_and_description(&lines)
    }

    #[test]
    fn one_line_then_more_is_a_title() {
        assert_eq!(
            split(&[
                "Power address",
                "",
                "Host or IP of the BMC.",
                "Port optional."
            ]),
            Some((
                "Power address".into(),
                "Host or IP of the BMC.\nPort optional.".into()
            ))
        );
    }

    #[test]
    fn a_single_paragraph_stays_a_description() {
        assert_eq!(split(&["Host or IP of the BMC."]), None);
        assert_eq!(split(&["Two lines", "of one paragraph."]), None);
        assert_eq!(
            split(&["Two lines", "of one paragraph.", "", "More."]),
            None
        );
        assert_eq!(split(&[]), None);
    }

    #[test]
    fn adds_a_schemars_attribute() {
        let mut attrs: Vec<Attribute> = vec![
            parse_quote!(#[doc = " Title"]),
            parse_quote!(#[doc = ""]),
            parse_quote!(#[doc = " Body."]),
        ];
        split_title(&mut attrs);
        let added = quote::ToTokens::to_token_stream(&attrs[3]).to_string();
        assert_eq!(
            added,
            "# [schemars (title = \"Title\" , description = \"Body.\")]"
        );
    }
}
