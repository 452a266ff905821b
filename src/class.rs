//! Class attributes from words, some of them optional:
//! `class!("row", current.then_some("current"))` reads `"row current"` or `"row"`.
//!
//! Yew's `classes!` does the same by building a `Classes` (a set of strings, hashed) for
//! each word and merging them: code at every use that the first-load budget (README "Sizes
//! and speed") is better off without. A class list here never names a word twice, so
//! joining the words is enough.

/// A word of a class list: a `&str`, a `String`, or an `Option` of one. `None` and empty
/// words add nothing.
pub trait ClassWord {
    fn add_to(self, class: &mut String);
}

impl ClassWord for &str {
    fn add_to(self, class: &mut String) {
        if !self.is_empty() {
            if !class.is_empty() {
                class.push(' ');
            }
            class.push_str(self);
        }
    }
}

impl ClassWord for String {
    fn add_to(self, class: &mut String) {
        self.as_str().add_to(class);
    }
}

impl<T: ClassWord> ClassWord for Option<T> {
    fn add_to(self, class: &mut String) {
        if let Some(word) = self {
            word.add_to(class);
        }
    }
}

/// The words joined by spaces, or `None` when there is none, so that the element has no
/// class attribute at all (as with yew's `classes!`).
#[macro_export]
macro_rules! class {
    ($($word:expr),* $(,)?) => {{
        let mut class = ::std::string::String::new();
        $( $crate::class::ClassWord::add_to($word, &mut class); )*
        (!class.is_empty()).then_some(class)
    }};
}

#[cfg(test)]
mod tests {
    #[test]
    fn joins_the_words_that_are_there() {
        assert_eq!(
            class!("row", true.then_some("current"), false.then_some("selected")).as_deref(),
            Some("row current")
        );
        assert_eq!(class!("token", format!("fam-{}", "dns"), "").as_deref(), Some("token fam-dns"));
        assert_eq!(class!(None::<&str>, Some(String::from("has"))).as_deref(), Some("has"));
        assert_eq!(class!(false.then_some("checking")), None);
        assert_eq!(class!(class!("sender"), class!(None::<&str>)).as_deref(), Some("sender"));
    }
}
