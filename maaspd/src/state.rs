//! State a driver keeps across calls: built once per process, so once per call in the
//! one-shot CLI and once for the life of `serve`, where every request shares it. HTTP
//! clients (their connection pools and TLS sessions) and sessions opened with a BMC are
//! what it is for.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::Result;

/// The process's one value of `T`, made with `T::default()` the first time it is asked
/// for. Name a type of the driver's own, so that no other code shares it by accident.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// /// How many times this process built a client.
/// #[derive(Default)]
/// struct Built(AtomicU32);
///
/// maaspd::state::shared::<Built>().0.fetch_add(1, Ordering::Relaxed);
/// maaspd::state::shared::<Built>().0.fetch_add(1, Ordering::Relaxed);
/// assert_eq!(maaspd::state::shared::<Built>().0.load(Ordering::Relaxed), 2);
/// ```
pub fn shared<T: Default + Send + Sync + 'static>() -> Arc<T> {
    type Values = Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>;
    static VALUES: OnceLock<Values> = OnceLock::new();
    let mut values = VALUES
        .get_or_init(Values::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let value = values
        .entry(TypeId::of::<T>())
        .or_insert_with(|| Arc::new(T::default()))
        .clone();
    drop(values);
    value
        .downcast::<T>()
        .unwrap_or_else(|_| unreachable!("the value under T's TypeId is a T"))
}

/// Values by key, each made once: an HTTP client per BMC, say, kept in [`shared`]
/// state so that every request to that BMC reuses its connections.
///
/// ```
/// use maaspd::state::{Keyed, shared};
///
/// /// One client per BMC address and verification setting.
/// #[derive(Default)]
/// struct Clients(Keyed<String>);
///
/// let clients = shared::<Clients>();
/// let first = clients.0.get_or_try_insert_with("https://10.0.0.5 verify", || Ok("client A".into()))?;
/// let again = clients.0.get_or_try_insert_with("https://10.0.0.5 verify", || Ok("client B".into()))?;
/// assert_eq!((first.as_str(), again.as_str()), ("client A", "client A"));
/// # Ok::<(), maaspd::Error>(())
/// ```
#[derive(Debug)]
pub struct Keyed<V> {
    values: Mutex<HashMap<String, V>>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Keyed<V> {
        Keyed {
            values: Mutex::default(),
        }
    }
}

impl<V: Clone> Keyed<V> {
    /// The value for `key`, made by `make` the first time; a failed `make` keeps nothing,
    /// so the next call tries again.
    ///
    /// ```
    /// use maaspd::state::Keyed;
    ///
    /// let sessions: Keyed<String> = Keyed::default();
    /// let first = sessions.get_or_try_insert_with("bmc-1", || Ok("ticket-1".to_owned()))?;
    /// let again = sessions.get_or_try_insert_with("bmc-1", || Ok("ticket-2".to_owned()))?;
    /// assert_eq!((first.as_str(), again.as_str()), ("ticket-1", "ticket-1"));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn get_or_try_insert_with(&self, key: &str, make: impl FnOnce() -> Result<V>) -> Result<V> {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = values.get(key) {
            return Ok(value.clone());
        }
        let value = make()?;
        values.insert(key.to_owned(), value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::{Keyed, shared};
    use crate::Error;

    #[derive(Default)]
    struct Made(AtomicU32);

    #[test]
    fn one_value_per_type_for_the_whole_process() {
        let first = shared::<Made>();
        let handle = std::thread::spawn(|| shared::<Made>().0.fetch_add(1, Ordering::SeqCst));
        handle.join().unwrap();
        assert_eq!(first.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_failed_make_is_tried_again() {
        let keyed: Keyed<u32> = Keyed::default();
        let failed = keyed.get_or_try_insert_with("bmc", || Err(Error::conn("no CA bundle")));
        assert!(failed.is_err());
        assert_eq!(keyed.get_or_try_insert_with("bmc", || Ok(7)).unwrap(), 7);
        assert_eq!(keyed.get_or_try_insert_with("bmc", || Ok(8)).unwrap(), 7);
    }
}
