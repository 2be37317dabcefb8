//! Macro for open-ended IANA registry newtypes with readable `Debug` output.

/// Defines a `Copy` newtype over a registry integer with one associated const
/// per known value, a `name()` lookup, and a `Debug` impl that prints the name
/// when known (`NotifyType(COOKIE)`) and the number otherwise (`NotifyType(40000)`).
macro_rules! wire_newtype {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $( $(#[$cmeta:meta])* $cname:ident = $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$cmeta])* pub const $cname: Self = Self($value); )*

            /// The registry name of this value, if the codec knows it.
            pub fn name(&self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some(stringify!($cname)), )*
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(name) => write!(f, concat!(stringify!($name), "({})"), name),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }
    };
}

pub(super) use wire_newtype;
