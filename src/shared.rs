//! Values shared by the player and its components, compared by identity.

use std::ops::Deref;
use std::rc::Rc;

/// A lesson or a run shared by the player and its components. A new lesson or trace is
/// always a new `Shared`, so comparing pointers is exact, and it costs the same however
/// long the trace: no component ever re-compares a whole trace (and the wasm carries no
/// deep comparison of lessons and traces).
#[derive(Debug)]
pub struct Shared<T>(Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Rc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Eq for Shared<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_to_itself_and_its_clones() {
        let a = Shared::new(vec![1, 2, 3]);
        let b = Shared::new(vec![1, 2, 3]);
        assert_eq!(a, a.clone());
        assert_ne!(a, b, "the same contents, another value");
        assert_eq!(a.len(), 3);
    }
}
