//! Errors of the emulator's control surface (the OAuth endpoints answer in each provider's own
//! format instead).

/// A control request the emulator cannot carry out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmulatorError {
    /// The name is neither an emulated provider nor a catalog provider id.
    #[error("`{0}` is not an emulated provider")]
    UnknownProvider(String),
    #[error("client `{0}` is not registered with this provider")]
    UnknownClient(String),
    #[error("invalid fault: {0}")]
    InvalidFault(String),
    /// The emulated provider itself refused (its own error description).
    #[error("the provider refused: {0}")]
    Refused(String),
    /// A dataset configuration that cannot be generated.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A control request named an object the emulated account does not have.
    #[error("{kind} `{id}` not found")]
    NotFound { kind: &'static str, id: String },
}
