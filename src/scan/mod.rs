//! The scan driver: discover migration files, parse each once (in parallel) into its
//! [`MigrationAST`] (the [`crate::scanner`] layer), run the rules, check the revision graph,
//! then apply the user's settings (select/ignore, severity overrides, skipped revisions,
//! suppression comments).
//!
//! One file per job, in the order a scan runs:
//! - [`discovery`]: candidate files under the inputs, read and scanned;
//! - [`build`]: one file parsed into its [`MigrationAST`] (Alembic or Django, dialect guessed);
//! - [`partition`]: revision graphs and Django apps, and the rules over each;
//! - [`settings`]: the user's rule selection, severity overrides and skips;
//! - [`suppressions`]: diagnostics into findings, with settings and `# noqa` applied.

pub mod build;
pub mod discovery;
#[cfg(test)]
mod guard_tests;
pub mod partition;
pub mod settings;
pub mod suppressions;

use std::path::{Path, PathBuf};

use crate::Error;
use crate::diagnostic::{Diagnostic, Finding};

pub use build::scan_file;
pub use discovery::discover;
pub use partition::check_alone;
pub use settings::Settings;
pub use suppressions::findings;

use crate::scanner::model::MigrationAST;

/// One scanned file.
#[derive(Debug)]
pub struct FileScan {
    pub path: String,
    /// Index of the input path it was found under (the revision graph is per input).
    pub group: usize,
    pub source: String,
    pub migration: Option<MigrationAST>,
    pub diagnostics: Vec<Diagnostic>,
    /// False for helper modules (neither Alembic nor Django): they are not reported.
    pub is_migration: bool,
}

impl FileScan {
    #[must_use]
    pub fn revision(&self) -> String {
        match &self.migration {
            Some(m) => m.revision.clone(),
            None => stem(&self.path),
        }
    }
}

/// The result of a scan: per-file data and the findings, in file then line order.
#[derive(Debug)]
pub struct ScanResult {
    pub files: Vec<FileScan>,
    pub findings: Vec<Finding>,
}

fn stem(path: &str) -> String {
    Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned())
}

/// The stack of every thread that parses: the parser and the model builder recurse once per
/// nesting level, and [`crate::scanner::source::too_deep`] bounds the levels; 64 MB leaves a wide margin over
/// what the deepest accepted file needs (measured in `tests::deep_nesting_*`).
pub const STACK_BYTES: usize = 64 * 1024 * 1024;

static POOL: once_cell::sync::Lazy<Option<rayon::ThreadPool>> = once_cell::sync::Lazy::new(|| {
    rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .thread_name(|i| format!("mrt-scan-{i}"))
        .build()
        .ok()
});

/// Run `work` on the scanner's threads (large stacks; its `par_iter`s stay in that pool).
/// Every entry point that parses migration text goes through here, whatever thread calls it
/// (Python's main thread has a small stack).
pub fn on_scan_threads<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    match POOL.as_ref() {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// Read and scan every file under `paths` (in parallel), then check each input's revision graph.
pub fn scan_paths(paths: &[PathBuf]) -> Result<Vec<FileScan>, Error> {
    on_scan_threads(|| scan_paths_here(paths))
}

fn scan_paths_here(paths: &[PathBuf]) -> Result<Vec<FileScan>, Error> {
    let mut scans = discovery::read_all(paths)?;
    partition::check_graphs(&mut scans, paths);
    Ok(scans)
}

/// Scan and resolve findings in one go.
pub fn scan(paths: &[PathBuf], settings: &Settings) -> Result<ScanResult, Error> {
    let files = scan_paths(paths)?;
    let findings = findings(&files, settings);
    Ok(ScanResult { files, findings })
}

/// Convenience for tests: the findings of one in-memory file.
#[must_use]
pub fn scan_source(path: &str, source: &str) -> Vec<Finding> {
    let mut file = scan_file(path.to_string(), 0, source.as_bytes());
    check_alone(&mut file, true);
    let mut files = vec![file];
    partition::django_apps(&mut files);
    findings(&files, &Settings::default())
}
