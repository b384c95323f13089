//! Discovery: the candidate files under the paths the user gave, read (in parallel) and
//! scanned one by one, with the usage errors for inputs that hold no migrations.

use std::path::PathBuf;

use rayon::prelude::*;
use ruff_text_size::TextRange;

use super::{FileScan, scan_file};
use crate::Error;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::scanner::source;

/// Every candidate file under the given paths, with the index of the path it came from.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<(usize, PathBuf, bool)>, Error> {
    if paths.is_empty() {
        return Err(Error::Usage(
            "no path given: pass the migrations folder (e.g. migrations/versions)".into(),
        ));
    }
    let mut out = Vec::new();
    for (group, path) in paths.iter().enumerate() {
        let meta = std::fs::metadata(path)
            .map_err(|_| Error::Usage(format!("{}: no such file or directory", path.display())))?;
        if !meta.is_dir() {
            source::check_kind(&meta)
                .map_err(|why| Error::Usage(format!("{}: {why}", path.display())))?;
            out.push((group, path.clone(), true));
            continue;
        }
        let mut stack = vec![path.clone()];
        let mut found = Vec::new();
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                Error::Usage(format!("{}: cannot read directory: {e}", dir.display()))
            })?;
            for entry in entries.flatten() {
                let p = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    if !name.starts_with('.') && name != "__pycache__" && name != "node_modules" {
                        stack.push(p);
                    }
                } else if name.ends_with(".py") && name != "__init__.py" && !name.starts_with('.') {
                    found.push(p);
                }
            }
        }
        found.sort();
        out.extend(found.into_iter().map(|p| (group, p, false)));
    }
    Ok(out)
}

/// Read and scan every candidate file under `paths` (in parallel), keeping the migrations.
/// An explicitly named file that is not a migration, or an input with no migration, is a
/// usage error.
pub(super) fn read_all(paths: &[PathBuf]) -> Result<Vec<FileScan>, Error> {
    let files = discover(paths)?;
    let mut scans: Vec<FileScan> = files
        .par_iter()
        .map(|(group, path, _)| {
            let shown = path.to_string_lossy().into_owned();
            match source::read_file(path) {
                Ok(bytes) => scan_file(shown, *group, &bytes),
                Err(why) => {
                    let mut s = FileScan {
                        path: shown,
                        group: *group,
                        source: String::new(),
                        migration: None,
                        diagnostics: Vec::new(),
                        is_migration: true,
                    };
                    s.diagnostics.push(Diagnostic::new(
                        Rule::UnreadableFile,
                        why,
                        TextRange::default(),
                    ));
                    s
                }
            }
        })
        .collect();
    // An explicitly named file that is not a migration is a usage mistake.
    for ((_, path, explicit), scan) in files.iter().zip(&scans) {
        if *explicit && !scan.is_migration {
            let why = if scan.source.trim().is_empty() {
                "empty file"
            } else {
                "no revision, upgrade() or Django Migration class"
            };
            return Err(Error::Usage(format!(
                "{}: not an Alembic or Django migration ({why})",
                path.display()
            )));
        }
    }
    for (group, path) in paths.iter().enumerate() {
        // Binary or special files do not make a folder of migrations: a folder of only those
        // is bad input (exit 2), not a finding. (A mis-encoded text file still is a finding.)
        let unreadable = |s: &FileScan| {
            s.migration.is_none()
                && s.diagnostics.iter().all(|d| {
                    d.rule == Rule::UnreadableFile
                        && (d.message.starts_with(source::BINARY)
                            || d.message.starts_with(source::NOT_REGULAR))
                })
        };
        if !scans
            .iter()
            .any(|s| s.group == group && s.is_migration && !unreadable(s))
        {
            let why = scans
                .iter()
                .find(|s| s.group == group && s.is_migration)
                .and_then(|s| Some(format!("; {}: {}", s.path, s.diagnostics.first()?.message)))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "{}: no migration files found (expected Alembic revisions or Django migrations{why})",
                path.display()
            )));
        }
    }
    scans.retain(|s| s.is_migration);
    Ok(scans)
}
