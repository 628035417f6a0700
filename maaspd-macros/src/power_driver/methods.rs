//! Finds the driver's methods in the `impl` block and checks their signatures.

use quote::ToTokens;
use syn::{
    FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, PatType, ReceiverKind, ReturnType, Signature,
    Type,
};

use crate::errors::Errors;
use crate::suggest;

/// One method the runtime may call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Method {
    PowerOn,
    PowerOff,
    PowerQuery,
    Probe,
    SetBootOrder,
    /// Optional, undeclared: without it, reset is a power cycle.
    PowerReset,
}

impl Method {
    pub(crate) const ALL: [Method; 6] = [
        Method::PowerOn,
        Method::PowerOff,
        Method::PowerQuery,
        Method::Probe,
        Method::SetBootOrder,
        Method::PowerReset,
    ];

    const NAMES: [&'static str; 6] = [
        "power_on",
        "power_off",
        "power_query",
        "probe",
        "set_boot_order",
        "power_reset",
    ];

    pub(crate) fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The signature to write, for messages.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Method::PowerOn => "fn power_on(&self) -> maaspd::Result<()>",
            Method::PowerOff => "fn power_off(&self) -> maaspd::Result<()>",
            Method::PowerQuery => "fn power_query(&self) -> maaspd::Result<maaspd::PowerState>",
            Method::Probe => "fn probe(&self) -> maaspd::Result<Vec<maaspd::ProbedSystem>>",
            Method::SetBootOrder => {
                "fn set_boot_order(&self, devices: &[maaspd::BootDevice]) -> maaspd::Result<()>"
            }
            Method::PowerReset => "fn power_reset(&self) -> maaspd::Result<()>",
        }
    }

    fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|method| method.name() == name)
    }

    /// Arguments besides `&self`.
    fn arguments(self) -> usize {
        match self {
            Method::SetBootOrder => 1,
            _ => 0,
        }
    }
}

const CONSTRUCTOR: &str = "fn new(parameters: P) -> maaspd::Result<Self>";

/// A method found in the block. Its types are the author's own tokens: generated code
/// repeats them, so the compiler reports a wrong type at the author's code.
pub(crate) struct Found {
    pub(crate) ident: Ident,
    /// The return type; `()` only when its absence was already reported.
    pub(crate) output: Type,
    /// The context's type, when the method takes one right after `&self`.
    pub(crate) context: Option<Type>,
    /// The argument besides `&self` and the context, for `set_boot_order`.
    pub(crate) argument: Option<Type>,
    /// `async`, for an `async fn`.
    pub(crate) asyncness: Option<syn::Token![async]>,
}

/// `fn new(parameters: P) -> R`: the driver is built from a `P`.
pub(crate) struct Constructor {
    pub(crate) parameters: Type,
    pub(crate) output: Type,
    /// `async`, for an `async fn new`.
    pub(crate) asyncness: Option<syn::Token![async]>,
}

/// What the `impl` block holds.
#[derive(Default)]
pub(crate) struct Methods {
    found: [Option<Found>; 6],
    pub(crate) constructor: Option<Constructor>,
    /// Actions a misspelt method was taken for: not reported again as missing.
    suggested: Vec<Method>,
}

impl Methods {
    pub(crate) fn get(&self, method: Method) -> Option<&Found> {
        self.found[method as usize].as_ref()
    }

    /// Whether a misspelt method already stands for `method`.
    pub(crate) fn was_suggested(&self, method: Method) -> bool {
        self.suggested.contains(&method)
    }

    /// Collects the driver's methods from `block`, adding an error for each wrong signature
    /// and each near miss of an action's name.
    pub(crate) fn collect(block: &ItemImpl, errors: &mut Errors) -> Methods {
        let mut methods = Methods::default();
        for item in &block.items {
            let ImplItem::Fn(function) = item else {
                continue;
            };
            let name = function.sig.ident.to_string();
            if let Some(method) = Method::from_name(&name) {
                let (context, arguments) = check_action(function, method, errors);
                methods.found[method as usize] = Some(Found {
                    ident: function.sig.ident.clone(),
                    output: output_type(&function.sig),
                    context,
                    argument: arguments.into_iter().next(),
                    asyncness: function.sig.asyncness,
                });
            } else if name == "new" {
                methods.constructor = constructor(function, errors);
            } else if let Some(action) = suggest::closest(&name, &Method::NAMES) {
                errors.at(
                    &function.sig.ident,
                    format!("`{name}` is not a power driver action: did you mean `{action}`?"),
                );
                methods.suggested.extend(Method::from_name(action));
            }
        }
        methods
    }
}

fn output_type(sig: &Signature) -> Type {
    match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => syn::parse_quote!(()),
    }
}

/// Checks an action's signature; returns its context type and its other arguments.
fn check_action(
    function: &ImplItemFn,
    method: Method,
    errors: &mut Errors,
) -> (Option<Type>, Vec<Type>) {
    let sig = &function.sig;
    let expected = &expected_signature(sig, method.expected());
    let name = method.name();
    check_plain(sig, name, expected, errors);
    match sig.receiver() {
        None => errors.at(
            &sig.ident,
            format!("`{name}` needs a `&self` receiver: expected `{expected}`"),
        ),
        Some(receiver) => match &receiver.kind {
            ReceiverKind::Reference(_, _, None) => {}
            ReceiverKind::Reference(_, _, Some(_)) => errors.at(
                receiver,
                format!(
                    "`{name}` takes `&self`, not `&mut self`: a driver is not changed by its actions; use interior mutability for state"
                ),
            ),
            ReceiverKind::Typed(_, ty) if is_shared_self_reference(ty) => {}
            ReceiverKind::Value => errors.at(
                receiver,
                format!("`{name}` takes `&self`, not `self`: expected `{expected}`"),
            ),
            _ => errors.at(
                receiver,
                format!("`{name}` takes `&self`: expected `{expected}`"),
            ),
        },
    }
    let (context, arguments) = split_context(sig, name, errors);
    if arguments.len() != method.arguments() {
        let at = arguments.get(method.arguments()).map_or_else(
            || sig.ident.to_token_stream(),
            |extra| extra.to_token_stream(),
        );
        let what = match method.arguments() {
            0 => "no arguments besides `&self`",
            _ => "one argument besides `&self`",
        };
        errors.at(
            at,
            format!("`{name}` takes {what} and an optional `ctx: &maaspd::Context`: expected `{expected}`"),
        );
    }
    if method == Method::SetBootOrder
        && let Some(argument) = arguments.first()
        && !is_slice_reference(&argument.ty)
    {
        errors.at(
            &argument.ty,
            "`set_boot_order` takes the boot order as `&[maaspd::BootDevice]`",
        );
    }
    check_returns_result(sig, name, expected, errors);
    let arguments = arguments.into_iter().map(|argument| *argument.ty).collect();
    (context, arguments)
}

/// How an argument's type names the context.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ContextArgument {
    /// `&Context`, as the runtime lends it.
    Shared,
    /// `&mut Context`.
    Mutable,
    /// `Context`.
    Owned,
}

/// Splits the arguments after the receiver into the context (a `&Context` right after
/// `&self`) and the others, reporting a context taken otherwise or elsewhere.
fn split_context(sig: &Signature, name: &str, errors: &mut Errors) -> (Option<Type>, Vec<PatType>) {
    let mut context = None;
    let mut others = Vec::new();
    let typed = sig.inputs.iter().filter_map(|argument| match argument {
        FnArg::Typed(argument) => Some(argument),
        FnArg::Receiver(_) => None,
    });
    for (position, argument) in typed.enumerate() {
        let ty = &*argument.ty;
        let Some(kind) = context_argument(ty) else {
            others.push(argument.clone());
            continue;
        };
        if position > 0 || context.is_some() {
            let what = if context.is_some() {
                "one context"
            } else {
                "the context first, right after `&self`"
            };
            errors.at(
                argument,
                format!("`{name}` takes {what}: `fn {name}(&self, ctx: &maaspd::Context, ...)`"),
            );
            continue;
        }
        match kind {
            ContextArgument::Shared => {}
            ContextArgument::Mutable => errors.at(
                ty,
                format!("`{name}` takes `&maaspd::Context`, not `&mut`: the runtime shares the context with the action"),
            ),
            ContextArgument::Owned => errors.at(
                ty,
                format!("`{name}` borrows the context: `ctx: &maaspd::Context`"),
            ),
        }
        context = Some(ty.clone());
    }
    (context, others)
}

/// Whether `ty` names a type called `Context` (`maaspd::Context` or an import of it;
/// another `Context` is then the compiler's mismatch, at the author's type), and how.
fn context_argument(ty: &Type) -> Option<ContextArgument> {
    let names_context = |ty: &Type| match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Context"),
        _ => false,
    };
    match ty {
        Type::Reference(reference) if names_context(&reference.elem) => {
            Some(match reference.mutability {
                Some(_) => ContextArgument::Mutable,
                None => ContextArgument::Shared,
            })
        }
        Type::Group(group) => context_argument(&group.elem),
        Type::Paren(paren) => context_argument(&paren.elem),
        ty if names_context(ty) => Some(ContextArgument::Owned),
        _ => None,
    }
}

/// The signature to write, `async` when the author's is: an `async fn` is taken as it
/// is, so the messages about the rest of it keep it.
fn expected_signature(sig: &Signature, expected: &str) -> String {
    match sig.asyncness {
        Some(_) => format!("async {expected}"),
        None => expected.to_owned(),
    }
}

fn constructor(function: &ImplItemFn, errors: &mut Errors) -> Option<Constructor> {
    let sig = &function.sig;
    let expected = &expected_signature(sig, CONSTRUCTOR);
    check_plain(sig, "new", expected, errors);
    check_returns_result(sig, "new", expected, errors);
    let mut inputs = sig.inputs.iter();
    match (inputs.next(), inputs.next()) {
        (Some(FnArg::Typed(parameters)), None) if matches!(*parameters.ty, Type::Reference(_)) => {
            errors.at(
                &parameters.ty,
                format!(
                    "`new` takes the driver parameters by value (they are read for each call \
                     and handed over): expected `{expected}`"
                ),
            );
            None
        }
        (Some(FnArg::Typed(parameters)), None) => Some(Constructor {
            parameters: (*parameters.ty).clone(),
            output: output_type(sig),
            asyncness: sig.asyncness,
        }),
        (Some(FnArg::Receiver(receiver)), _) => {
            errors.at(
                receiver,
                format!("`new` builds the driver from its parameters and takes no `self`: expected `{expected}`"),
            );
            None
        }
        (None, _) => {
            errors.at(
                &sig.ident,
                format!(
                    "`new` takes the driver parameters as its one argument: expected `{expected}`"
                ),
            );
            None
        }
        (Some(_), Some(extra)) => {
            errors.at(
                extra,
                format!(
                    "`new` takes the driver parameters as its one argument: expected `{expected}`"
                ),
            );
            None
        }
    }
}

/// No `const`, `unsafe`, `extern` or generics: the runtime calls a plain `fn` or an
/// `async fn`.
fn check_plain(sig: &Signature, name: &str, expected: &str, errors: &mut Errors) {
    if let Some(token) = &sig.constness {
        errors.at(
            token,
            format!("`{name}` must not be const: expected `{expected}`"),
        );
    }
    if let syn::Safety::Unsafe(token) = &sig.safety {
        errors.at(
            token,
            format!("`{name}` must not be unsafe: expected `{expected}`"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(
            abi,
            format!("`{name}` must not be extern: expected `{expected}`"),
        );
    }
    if let Some(generics) = generics_tokens(&sig.generics) {
        errors.at(
            generics,
            format!("`{name}` must not be generic: expected `{expected}`"),
        );
    }
}

/// The return type must be a `Result`: `maaspd::Result<...>` or any path ending in
/// `Result`; the compiler checks the rest against the expected type.
fn check_returns_result(sig: &Signature, name: &str, expected: &str, errors: &mut Errors) {
    match &sig.output {
        ReturnType::Default => errors.at(
            &sig.ident,
            format!("`{name}` must return a `maaspd::Result`: expected `{expected}`"),
        ),
        ReturnType::Type(_, ty) if !is_result(ty) => errors.at(
            ty,
            format!(
                "`{name}` must return a `maaspd::Result`, not `{}`: expected `{expected}`",
                ty.to_token_stream().to_string().replace(" ", "")
            ),
        ),
        ReturnType::Type(..) => {}
    }
}

fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        Type::Group(group) => is_result(&group.elem),
        Type::Paren(paren) => is_result(&paren.elem),
        _ => false,
    }
}

/// The tokens of `<...>` and the `where` clause, when there are any.
pub(crate) fn generics_tokens(generics: &syn::Generics) -> Option<proc_macro2::TokenStream> {
    let mut tokens = proc_macro2::TokenStream::new();
    if !generics.params.is_empty() {
        generics.to_tokens(&mut tokens);
    }
    if let Some(where_clause) = &generics.where_clause {
        where_clause.to_tokens(&mut tokens);
    }
    (!tokens.is_empty()).then_some(tokens)
}

/// `self: &Self`, the long form of `&self`.
fn is_shared_self_reference(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            matches!(&*reference.elem, Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self"))
        }
        _ => false,
    }
}

fn is_slice_reference(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => {
            reference.mutability.is_none() && matches!(*reference.elem, Type::Slice(_))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn collect(block: ItemImpl) -> (Methods, Vec<String>) {
        let mut errors = Errors::default();
        let methods = Methods::collect(&block, &mut errors);
        let messages = match errors.finish() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        };
        (methods, messages)
    }

    #[test]
    fn finds_actions_and_constructor() {
        let (methods, errors) = collect(parse_quote! {
            impl D {
                fn new(p: P) -> maaspd::Result<Self> { todo!() }
                fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
                fn set_boot_order(&self, d: &[BootDevice]) -> Result<()> { Ok(()) }
                fn helper(&mut self) {}
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert!(methods.get(Method::PowerOn).is_some());
        assert!(methods.get(Method::SetBootOrder).is_some());
        assert!(methods.get(Method::PowerOff).is_none());
        let parameters = &methods.constructor.unwrap().parameters;
        assert_eq!(parameters.to_token_stream().to_string(), "P");
    }

    #[test]
    fn reports_every_wrong_signature() {
        let (_, errors) = collect(parse_quote! {
            impl D {
                fn power_on(self) -> Result<()> { Ok(()) }
                fn power_off(&mut self) -> Result<()> { Ok(()) }
                async fn power_query(&self, extra: u8) -> bool { true }
                async fn power_reset(self) -> Result<()> { Ok(()) }
                fn probe<T>(&self) {}
                fn set_boot_order(&self, d: Vec<BootDevice>) -> Result<()> { Ok(()) }
                fn new(&self) -> Self { todo!() }
            }
        });
        assert_eq!(
            errors,
            [
                "`power_on` takes `&self`, not `self`: expected `fn power_on(&self) -> maaspd::Result<()>`",
                "`power_off` takes `&self`, not `&mut self`: a driver is not changed by its actions; use interior mutability for state",
                "`power_query` takes no arguments besides `&self` and an optional `ctx: &maaspd::Context`: expected `async fn power_query(&self) -> maaspd::Result<maaspd::PowerState>`",
                "`power_query` must return a `maaspd::Result`, not `bool`: expected `async fn power_query(&self) -> maaspd::Result<maaspd::PowerState>`",
                "`power_reset` takes `&self`, not `self`: expected `async fn power_reset(&self) -> maaspd::Result<()>`",
                "`probe` must not be generic: expected `fn probe(&self) -> maaspd::Result<Vec<maaspd::ProbedSystem>>`",
                "`probe` must return a `maaspd::Result`: expected `fn probe(&self) -> maaspd::Result<Vec<maaspd::ProbedSystem>>`",
                "`set_boot_order` takes the boot order as `&[maaspd::BootDevice]`",
                "`new` must return a `maaspd::Result`, not `Self`: expected `fn new(parameters: P) -> maaspd::Result<Self>`",
                "`new` builds the driver from its parameters and takes no `self`: expected `fn new(parameters: P) -> maaspd::Result<Self>`",
            ]
        );
    }

    #[test]
    fn a_context_comes_first_and_borrowed() {
        let (methods, errors) = collect(parse_quote! {
            impl D {
                fn power_on(&self, ctx: &maaspd::Context) -> Result<()> { Ok(()) }
                fn set_boot_order(&self, ctx: &Context, d: &[BootDevice]) -> Result<()> { Ok(()) }
            }
        });
        assert!(errors.is_empty(), "{errors:?}");
        let found = methods.get(Method::SetBootOrder).unwrap();
        let tokens = |ty: &Option<Type>| ty.to_token_stream().to_string();
        assert_eq!(tokens(&found.context), "& Context");
        assert_eq!(tokens(&found.argument), "& [BootDevice]");
        assert!(methods.get(Method::PowerOn).unwrap().argument.is_none());

        let (_, errors) = collect(parse_quote! {
            impl D {
                fn power_on(&self, ctx: Context) -> Result<()> { Ok(()) }
                fn power_off(&self, ctx: &mut Context) -> Result<()> { Ok(()) }
                fn power_query(&self, a: &Context, b: &Context) -> Result<PowerState> { todo!() }
                fn set_boot_order(&self, d: &[BootDevice], ctx: &Context) -> Result<()> { Ok(()) }
            }
        });
        assert_eq!(
            errors,
            [
                "`power_on` borrows the context: `ctx: &maaspd::Context`",
                "`power_off` takes `&maaspd::Context`, not `&mut`: the runtime shares the context with the action",
                "`power_query` takes one context: `fn power_query(&self, ctx: &maaspd::Context, ...)`",
                "`set_boot_order` takes the context first, right after `&self`: `fn set_boot_order(&self, ctx: &maaspd::Context, ...)`",
            ]
        );
    }

    #[test]
    fn near_misses_are_reported_and_remembered() {
        let (methods, errors) = collect(parse_quote! {
            impl D {
                fn power_onn(&self) -> Result<()> { Ok(()) }
                fn client(&self) {}
            }
        });
        assert_eq!(
            errors,
            ["`power_onn` is not a power driver action: did you mean `power_on`?"]
        );
        assert!(methods.was_suggested(Method::PowerOn));
        assert!(!methods.was_suggested(Method::PowerOff));
    }
}
