//! A value that must not leave the server unless someone decided it may.

use std::fmt;

/// The exact point, street address, postal code or intake phone of a provider. For a
/// confidential provider these lead to a survivor's door, so the type makes leaking them take
/// a deliberate step: `Debug` prints a placeholder (a record in a log line or a panic message
/// shows nothing), there is no `Serialize` (it cannot be put in a JSON answer by accident), and
/// the value is read only through [`Confidential::reveal`], which the DTO layer calls after it
/// has decided the caller may see it.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Confidential<T>(T);

impl<T> Confidential<T> {
    pub const fn new(value: T) -> Self {
        Confidential(value)
    }

    /// The value itself. Every call site is a place where it may leave the server: keep them few.
    pub fn reveal(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Confidential<T> {
    fn from(value: T) -> Self {
        Confidential(value)
    }
}

impl<T> fmt::Debug for Confidential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Confidential(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let address = Confidential::new(Some("12 Hidden Lane, Lucknow".to_string()));
        let shown = format!("{address:?} {address:#?}");
        assert!(!shown.contains("Hidden"), "{shown}");
        assert_eq!(address.reveal().as_deref(), Some("12 Hidden Lane, Lucknow"));
    }
}
