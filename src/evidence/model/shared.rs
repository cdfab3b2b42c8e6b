//! [`Shared`]: the string type of the record fields whose values repeat from record to record
//! (accounts, zones, VPC, subnet and group ids, cluster and task definition ARNs, statuses).
//! Each distinct value is stored once per file read and shared by every record that holds it,
//! instead of one allocation per record.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One copy of each distinct value, handed out as [`Shared`]s: the readers keep one per thread
/// for the file being read ([`Shared::new`]); code that builds many values from the records
/// keeps its own while it does.
#[derive(Default)]
pub struct Interner(HashSet<Arc<str>, foldhash::fast::RandomState>);

impl Interner {
    /// The shared copy of `text`, made on first sight.
    pub fn get(&mut self, text: &str) -> Shared {
        if let Some(known) = self.0.get(text) {
            return Shared(Arc::clone(known));
        }
        let fresh: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&fresh));
        Shared(fresh)
    }
}

thread_local! {
    /// The values interned by the file being read on this thread.
    static INTERNED: RefCell<Interner> = RefCell::new(Interner::default());
}

/// A string shared by the records of one file that hold the same value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shared(Arc<str>);

impl Shared {
    /// The shared copy of `text` among the values interned on this thread since the last
    /// [`Shared::forget_interned`].
    pub fn new(text: &str) -> Shared {
        INTERNED.with_borrow_mut(|interned| interned.get(text))
    }

    /// A copy of `text` of its own, not interned: for a text that does not repeat from record
    /// to record but is held in more than one place.
    pub fn single(text: &str) -> Shared {
        Shared(Arc::from(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Forgets this thread's interned values (the records keep theirs). Called after each file,
    /// so the table never holds more than one file's values and a value is freed with the last
    /// record that holds it.
    pub fn forget_interned() {
        INTERNED.with_borrow_mut(|interned| interned.0.clear());
    }
}

impl Deref for Shared {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Shared {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Shared {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Shared> for &str {
    fn eq(&self, other: &Shared) -> bool {
        **self == *other.0
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for Shared {
    fn from(text: &str) -> Shared {
        Shared::new(text)
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Shared {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shared, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Shared;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Shared, E> {
                Ok(Shared::new(text))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_of_one_file_share_one_copy() {
        let [a, b]: [Shared; 2] = serde_json::from_str(r#"["subnet-1", "subnet-1"]"#).unwrap();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "subnet-1");
        Shared::forget_interned();
        let c = Shared::new("subnet-1");
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert_eq!(a, c);
        assert_eq!(serde_json::to_string(&c).unwrap(), r#""subnet-1""#);
    }
}
