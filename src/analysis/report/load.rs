//! Reading a `results.json` back (for `regionsim report`), checking its schema version before anything else.

use std::path::Path;

use thiserror::Error;

use super::{Report, SCHEMA_VERSION};

/// Why a results file cannot be used; each message fits on one line and names the file.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The results file, as named.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{file}: not valid JSON: {source}")]
    Json {
        /// The results file, as named.
        file: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The JSON has no `schema_version`: not a results file.
    #[error("{file}: not a regionsim results file (no schema_version field)")]
    NotResults {
        /// The results file, as named.
        file: String,
    },
    /// The results were written in another version of the format.
    #[error(
        "{file}: results schema version {found}, but this regionsim ({}) reads version {expected}: re-run the \
         study with this version, or use the regionsim that wrote it",
        env!("CARGO_PKG_VERSION")
    )]
    SchemaVersion {
        /// The results file, as named.
        file: String,
        /// The file's `schema_version`.
        found: u64,
        /// The version this regionsim reads ([`SCHEMA_VERSION`]).
        expected: u32,
    },
    /// A field is missing or its value does not fit its type.
    #[error("{file}: {field}: {message}")]
    Field {
        /// The results file, as named.
        file: String,
        /// Its path in the JSON (`failovers.all[3].rto_s`).
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads and checks a results file.
pub fn load(path: &Path) -> Result<Report, LoadError> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| LoadError::Read { file: file.clone(), source })?;
    from_json(&file, &text)
}

/// Parses results JSON; `file` names it in errors.
pub fn from_json(file: &str, text: &str) -> Result<Report, LoadError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|source| LoadError::Json { file: file.into(), source })?;
    let version = value.get("schema_version").ok_or_else(|| LoadError::NotResults { file: file.into() })?;
    let found = version.as_u64().ok_or_else(|| LoadError::Field {
        file: file.into(),
        field: "schema_version".into(),
        message: format!("must be a whole number such as {SCHEMA_VERSION} (got {version})"),
    })?;
    if found != u64::from(SCHEMA_VERSION) {
        return Err(LoadError::SchemaVersion { file: file.into(), found, expected: SCHEMA_VERSION });
    }
    serde_path_to_error::deserialize(value).map_err(|e| LoadError::Field {
        file: file.into(),
        field: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_is_wrong_on_one_line() {
        let e = from_json("r.json", "{ nope").unwrap_err().to_string();
        assert!(e.starts_with("r.json: not valid JSON"), "{e}");
        let e = from_json("r.json", "{\"seed\": 1}").unwrap_err().to_string();
        assert_eq!(e, "r.json: not a regionsim results file (no schema_version field)");
        let e = from_json("r.json", "{\"schema_version\": \"1\"}").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("r.json: schema_version: must be a whole number such as {SCHEMA_VERSION} (got \"1\")")
        );
        let e = from_json("r.json", "{\"schema_version\": 999}").unwrap_err().to_string();
        assert!(
            e.contains("schema version 999") && e.contains(&format!("reads version {SCHEMA_VERSION}")),
            "{e}"
        );
        let e = from_json("r.json", &format!("{{\"schema_version\": {SCHEMA_VERSION}, \"seed\": \"x\"}}"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("r.json: ") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn a_missing_file_is_a_read_error() {
        let e = load(Path::new("/nonexistent/results.json")).unwrap_err();
        assert!(matches!(e, LoadError::Read { .. }), "{e}");
    }
}
