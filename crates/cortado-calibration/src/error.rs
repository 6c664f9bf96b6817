//! Errors: each names what was being calibrated (jet type, collection or
//! correction file) and, as it applies, the correction, the input or the
//! column concerned.

use cortado_yaml::ConfigError;

/// Everything that can go wrong building a calibrator or calibrating.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A correction could not be loaded, found or evaluated (the inner error
    /// names the file, the correction, the row, the input and its value).
    #[error("{context}: {source}")]
    Correction {
        /// What was being done, e.g. "jet calibration AK4PFchs (2018, MC): JEC".
        context: String,
        /// The correctionlib error.
        source: cortado_correction::Error,
    },
    /// A correction exists but does not fit its use (an input this
    /// calibration cannot supply, an input of an unexpected type).
    #[error("{context}: {message}")]
    Unusable {
        /// What was being done.
        context: String,
        /// What does not fit.
        message: String,
    },
    /// The columns given to a calibration do not fit together (lengths,
    /// offsets, indices).
    #[error("{context}: {message}")]
    Columns {
        /// What was being calibrated.
        context: String,
        /// What does not fit.
        message: String,
    },
    /// The parameters do not describe a usable calibration.
    #[error("{0}")]
    Config(#[from] ConfigError),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a correctionlib error with its context.
pub(crate) fn corr(context: &str) -> impl Fn(cortado_correction::Error) -> Error + '_ {
    move |source| Error::Correction {
        context: context.to_string(),
        source,
    }
}

/// A columns error.
pub(crate) fn columns(context: &str, message: impl Into<String>) -> Error {
    Error::Columns {
        context: context.to_string(),
        message: message.into(),
    }
}
