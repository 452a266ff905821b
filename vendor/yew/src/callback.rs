//! This module contains data types for interacting with `Scope`s.
//!
//! ## Relevant examples
//! - [Counter](https://github.com/yewstack/yew/tree/master/examples/counter)
//! - [Timer](https://github.com/yewstack/yew/tree/master/examples/timer)

use std::fmt;
use std::rc::Rc;

use crate::html::ImplicitClone;

macro_rules! generate_callback_impls {
    ($callback:ident, $in_ty:ty, $out_var:ident => $out_val:expr) => {
        impl<IN, OUT, F: Fn($in_ty) -> OUT + 'static> From<F> for $callback<IN, OUT> {
            fn from(func: F) -> Self {
                $callback { cb: Rc::new(func) }
            }
        }

        impl<IN, OUT> Clone for $callback<IN, OUT> {
            fn clone(&self) -> Self {
                Self {
                    cb: self.cb.clone(),
                }
            }
        }

        // We are okay with comparisons from different compilation units to result in false
        // not-equal results. This should only lead in the worst-case to some unneeded re-renders.
        #[allow(ambiguous_wide_pointer_comparisons)]
        impl<IN, OUT> PartialEq for $callback<IN, OUT> {
            fn eq(&self, other: &$callback<IN, OUT>) -> bool {
                let ($callback { cb }, $callback { cb: rhs_cb }) = (self, other);
                Rc::ptr_eq(cb, rhs_cb)
            }
        }

        impl<IN, OUT> fmt::Debug for $callback<IN, OUT> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "$callback<_>")
            }
        }

        impl<IN, OUT> $callback<IN, OUT> {
            /// This method calls the callback's function.
            pub fn emit(&self, value: $in_ty) -> OUT {
                (*self.cb)(value)
            }
        }

        impl<IN> $callback<IN> {
            /// Creates a "no-op" callback which can be used when it is not suitable to use an
            /// `Option<$callback>`.
            pub fn noop() -> Self {
                Self::from(|_: $in_ty| ())
            }
        }

        impl<IN> Default for $callback<IN> {
            fn default() -> Self {
                Self::noop()
            }
        }

        impl<IN: 'static, OUT: 'static> $callback<IN, OUT> {
            /// Creates a new [`Callback`] from another callback and a function.
            ///
            /// That when emitted will call that function and will emit the original callback
            pub fn reform<F, T>(&self, func: F) -> Callback<T, OUT>
            where
                F: Fn(T) -> IN + 'static,
            {
                let this = self.clone();
                let func = move |input: T| {
                    #[allow(unused_mut)]
                    let mut $out_var = func(input);
                    this.emit($out_val)
                };
                func.into()
            }

            /// Creates a new [`CallbackRef`] from another callback and a function.
            ///
            /// That when emitted will call that function and will emit the original callback
            pub fn reform_ref<F, T>(&self, func: F) -> CallbackRef<T, OUT>
            where
                F: Fn(&T) -> $in_ty + 'static,
            {
                let this = self.clone();
                let func = move |input: &T| {
                    #[allow(unused_mut)]
                    let mut $out_var = func(input);
                    this.emit($out_val)
                };
                func.into()
            }

            /// Creates a new [`CallbackRefMut`] from another callback and a function.
            ///
            /// That when emitted will call that function and will emit the original callback
            pub fn reform_ref_mut<F, T>(&self, func: F) -> CallbackRefMut<T, OUT>
            where
                F: Fn(&mut T) -> $in_ty + 'static,
            {
                let this = self.clone();
                let func = move |input: &mut T| {
                    #[allow(unused_mut)]
                    let mut $out_var = func(input);
                    this.emit($out_val)
                };
                func.into()
            }

            /// Creates a new [`Callback`] from another callback and a function.
            ///
            /// When emitted will call the function and, only if it returns `Some(value)`, will emit
            /// `value` to the original callback.
            pub fn filter_reform<F, T>(&self, func: F) -> Callback<T, Option<OUT>>
            where
                F: Fn(T) -> Option<IN> + 'static,
            {
                let this = self.clone();
                let func = move |input: T| {
                    func(input).map(
                        #[allow(unused_mut)]
                        |mut $out_var| this.emit($out_val),
                    )
                };
                func.into()
            }

            /// Creates a new [`CallbackRef`] from another callback and a function.
            ///
            /// When emitted will call the function and, only if it returns `Some(value)`, will emit
            /// `value` to the original callback.
            pub fn filter_reform_ref<F, T>(&self, func: F) -> CallbackRef<T, Option<OUT>>
            where
                F: Fn(&T) -> Option<$in_ty> + 'static,
            {
                let this = self.clone();
                let func = move |input: &T| {
                    func(input).map(
                        #[allow(unused_mut)]
                        |mut $out_var| this.emit($out_val),
                    )
                };
                func.into()
            }

            /// Creates a new [`CallbackRefMut`] from another callback and a function.
            ///
            /// When emitted will call the function and, only if it returns `Some(value)`, will emit
            /// `value` to the original callback.
            pub fn filter_reform_ref_mut<F, T>(&self, func: F) -> CallbackRefMut<T, Option<OUT>>
            where
                F: Fn(&mut T) -> Option<$in_ty> + 'static,
            {
                let this = self.clone();
                let func = move |input: &mut T| {
                    func(input).map(
                        #[allow(unused_mut)]
                        |mut $out_var| this.emit($out_val),
                    )
                };
                func.into()
            }
        }

        impl<IN, OUT> ImplicitClone for $callback<IN, OUT> {}
    };
}

/// Universal callback wrapper.
///
/// An `Rc` wrapper is used to make it cloneable.
pub struct Callback<IN, OUT = ()> {
    /// A callback which can be called multiple times
    pub(crate) cb: Rc<dyn Fn(IN) -> OUT>,
}

generate_callback_impls!(Callback, IN, output => output);

/// Universal callback wrapper with reference in argument.
///
/// An `Rc` wrapper is used to make it cloneable.
pub struct CallbackRef<IN, OUT = ()> {
    /// A callback which can be called multiple times
    pub(crate) cb: Rc<dyn Fn(&IN) -> OUT>,
}

generate_callback_impls!(CallbackRef, &IN, output => #[allow(clippy::needless_borrow)] &output);

/// Universal callback wrapper with mutable reference in argument.
///
/// An `Rc` wrapper is used to make it cloneable.
pub struct CallbackRefMut<IN, OUT = ()> {
    /// A callback which can be called multiple times
    pub(crate) cb: Rc<dyn Fn(&mut IN) -> OUT>,
}

generate_callback_impls!(CallbackRefMut, &mut IN, output => &mut output);
