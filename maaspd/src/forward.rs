//! The author's methods as generated code calls them: one trait per method and kind,
//! blocking or async, that `#[power_driver]` implements with the author's own argument
//! and return types. A wrong type is then the compiler's mismatch with the trait, at the
//! author's tokens, and a future that is not `Send` is reported at the author's method.

// Hidden (`maaspd::__private`): named by generated code only, documented here.
#![allow(missing_docs)]

use std::future::Future;

use crate::{BootDevice, Context, PowerState, ProbedSystem, Result};

/// Declares, for each action, the trait a blocking method forwards through and the one
/// an `async fn` does.
macro_rules! forwarding {
    ($(
        $(#[$doc:meta])*
        $blocking:ident, $asynchronous:ident:
            fn $name:ident(&self, ctx: &Context $(, $argument:ident: $type:ty)?) -> $output:ty;
    )*) => {$(
        $(#[$doc])*
        pub trait $blocking {
            fn $name(&self, ctx: &Context $(, $argument: $type)?) -> Result<$output>;
        }

        $(#[$doc])*
        /// As an `async fn`.
        pub trait $asynchronous {
            fn $name(
                &self,
                ctx: &Context $(, $argument: $type)?
            ) -> impl Future<Output = Result<$output>> + Send;
        }
    )*};
}

forwarding! {
    /// `power_on`.
    PowerOn, AsyncPowerOn: fn power_on(&self, ctx: &Context) -> ();
    /// `power_off`.
    PowerOff, AsyncPowerOff: fn power_off(&self, ctx: &Context) -> ();
    /// `power_query`.
    PowerQuery, AsyncPowerQuery: fn power_query(&self, ctx: &Context) -> PowerState;
    /// `probe`.
    Probe, AsyncProbe: fn probe(&self, ctx: &Context) -> Vec<ProbedSystem>;
    /// `set_boot_order`.
    SetBootOrder, AsyncSetBootOrder:
        fn set_boot_order(&self, ctx: &Context, devices: &[BootDevice]) -> ();
    /// `power_reset`.
    PowerReset, AsyncPowerReset: fn power_reset(&self, ctx: &Context) -> ();
}

/// `new`, building the driver from its parameters.
pub trait New: Sized {
    /// What `new` takes.
    type Parameters;
    fn new(parameters: Self::Parameters) -> Result<Self>;
}

/// `async fn new`.
pub trait AsyncNew: Sized {
    /// What `new` takes.
    type Parameters;
    fn new(parameters: Self::Parameters) -> impl Future<Output = Result<Self>> + Send;
}
