//! Graph partitioning: the revision graphs under each input folder (one per history), the
//! Django apps, and the graph rules run over each of them (or over one file on its own).

use std::path::{Path, PathBuf};

use super::FileScan;
use crate::rules;
use crate::scanner::model::{Framework, MigrationAST};
use crate::scanner::{django_state, graph};

/// Check the revision graph of every folder input, and the Django apps of every input.
pub(super) fn check_graphs(scans: &mut [FileScan], paths: &[PathBuf]) {
    for (group, root) in paths.iter().enumerate() {
        // A file given on its own is part of a history we do not see: graph rules on it
        // would report its parent, kept next to it, as missing. Graphs need a folder.
        if !root.is_dir() {
            continue;
        }
        let idx: Vec<usize> = (0..scans.len())
            .filter(|&i| {
                scans[i].group == group
                    && scans[i]
                        .migration
                        .as_ref()
                        .is_some_and(|m| m.framework == Framework::Alembic && m.revision_declared)
            })
            .collect();
        for part in graph_parts(scans, &idx, root) {
            graph_check(scans, &part);
        }
    }
    django_apps(scans);
}

/// Every Django migration of the scan, replayed as one project in dependency order (apps are
/// their folders, labelled by [`django_state::app_labels`]), and the Django state rules run
/// over it: new findings added, per-file findings the state disproves withdrawn.
pub(super) fn django_apps(scans: &mut [FileScan]) {
    let mut folders: std::collections::BTreeMap<PathBuf, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, s) in scans.iter().enumerate() {
        if s.migration
            .as_ref()
            .is_some_and(|m| m.framework == Framework::Django && m.django.is_some())
        {
            let dir = Path::new(&s.path)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            folders.entry(dir).or_default().push(i);
        }
    }
    if folders.is_empty() {
        return;
    }
    let mut idx: Vec<usize> = Vec::new();
    let result = {
        let listed: Vec<(String, Vec<(String, &django_state::DjangoFacts)>)> = folders
            .iter_mut()
            .map(|(dir, files)| {
                files.sort_by(|&a, &b| scans[a].path.cmp(&scans[b].path));
                let migs = files
                    .iter()
                    .filter_map(|&i| {
                        let m = scans[i].migration.as_ref()?;
                        Some((m.revision.clone(), m.django.as_deref()?))
                    })
                    .collect();
                (dir.to_string_lossy().into_owned(), migs)
            })
            .collect();
        let mut labels = django_state::app_labels(&listed);
        // Two folders claiming one label are two projects: keep their states apart.
        let mut taken = std::collections::HashSet::new();
        for (k, label) in labels.iter_mut().enumerate() {
            if !taken.insert(label.to_ascii_lowercase()) {
                label.push_str(&format!("#{k}"));
            }
        }
        let mut nodes = Vec::new();
        for (((_, migs), files), label) in listed.iter().zip(folders.values()).zip(&labels) {
            for ((name, facts), &i) in migs.iter().zip(files) {
                idx.push(i);
                nodes.push(django_state::Node {
                    app: label.clone(),
                    name: name.clone(),
                    facts,
                });
            }
        }
        rules::check_django(&nodes)
    };
    apply_django(scans, &idx, result);
}

/// The Django state rules' findings into the scans of the migrations they belong to (`idx`:
/// node → scan): new ones added, per-file ones withdrawn, demoted or completed.
fn apply_django(scans: &mut [FileScan], idx: &[usize], result: rules::GraphFindings) {
    for (k, rule, range) in result.cleared {
        scans[idx[k]]
            .diagnostics
            .retain(|d| !(d.rule == rule && d.range == range));
    }
    for (k, rule, range, name) in &result.cleared_named {
        rules::GraphFindings::withdraw_named(&mut scans[idx[*k]].diagnostics, *rule, *range, name);
    }
    for (k, rule, range, why) in &result.demoted {
        rules::GraphFindings::demote(&mut scans[idx[*k]].diagnostics, *rule, *range, why);
    }
    for (k, rule, range, object, more) in &result.completed {
        let scan = &mut scans[idx[*k]];
        // Completions speak of reversing the migration: Django never reverses one it cannot
        // unapply (a `RunPython` without `reverse_code`, MRT042).
        if scan
            .migration
            .as_ref()
            .is_some_and(rules::django_irreversible)
        {
            continue;
        }
        rules::GraphFindings::complete(&mut scan.diagnostics, *rule, *range, object, more);
    }
    for (k, rule, range, object, why) in &result.demoted_named {
        rules::GraphFindings::demote_named(
            &mut scans[idx[*k]].diagnostics,
            *rule,
            *range,
            object,
            why,
        );
    }
    for (k, d) in result.found {
        scans[idx[k]].diagnostics.push(d);
    }
    demote_superseded(scans, idx, &result.superseded);
}

/// The errors of migrations a squash replaces become warnings that name the squash (see
/// MRT047's doc comment).
fn demote_superseded(scans: &mut [FileScan], idx: &[usize], superseded: &[(usize, String)]) {
    use crate::diagnostic::Severity;
    for (k, squash) in superseded {
        let why = format!(
            "; but the squashed migration {squash} replaces this one: once every migration it replaces is applied, Django unapplies the squash instead, whose own findings are reported there"
        );
        for d in &mut scans[idx[*k]].diagnostics {
            if d.severity.unwrap_or(d.rule.default_severity()) == Severity::Error {
                d.severity = Some(Severity::Warning);
                d.message.push_str(&why);
            }
        }
    }
}

/// The revision graphs under one input path. Subfolders normally split one history
/// (`versions/<release>/*.py`), but sibling folders that declare the same revision ids are
/// separate histories (one per database dialect, as Prefect ships them).
fn graph_parts(scans: &[FileScan], idx: &[usize], root: &Path) -> Vec<Vec<usize>> {
    let top = |i: usize| -> String {
        let path = Path::new(&scans[i].path);
        let rel = path.strip_prefix(root).unwrap_or(path);
        let mut parts = rel.components();
        match (parts.next(), parts.next()) {
            (Some(first), Some(_)) => first.as_os_str().to_string_lossy().into_owned(),
            _ => String::new(),
        }
    };
    let mut owner: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    let mut split = false;
    for &i in idx {
        let Some(m) = &scans[i].migration else {
            continue;
        };
        let folder = top(i);
        if let Some(prev) = owner.insert(m.revision.as_str(), folder.clone())
            && prev != folder
        {
            split = true;
            break;
        }
    }
    let mut parts: std::collections::BTreeMap<String, Vec<usize>> =
        std::collections::BTreeMap::new();
    for &i in idx {
        parts.entry(top(i)).or_default().push(i);
    }
    // Separate histories each start at their own base; release folders do not.
    let own_base = |part: &Vec<usize>| {
        part.iter().any(|&i| {
            scans[i]
                .migration
                .as_ref()
                .is_some_and(|m| m.down_revision.ids().is_empty())
        })
    };
    if !split || !parts.values().all(own_base) {
        return if idx.is_empty() {
            Vec::new()
        } else {
            vec![idx.to_vec()]
        };
    }
    parts.into_values().collect()
}

fn graph_check(scans: &mut [FileScan], idx: &[usize]) {
    {
        // Graph indexes count only the files that have a migration.
        let with_migration: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| scans[i].migration.is_some())
            .collect();
        let result = {
            let migs: Vec<&MigrationAST> = with_migration
                .iter()
                .filter_map(|&i| scans[i].migration.as_ref())
                .collect();
            rules::check_graph(&graph::Graph::new(migs))
        };
        for (k, rule, range) in result.cleared {
            scans[with_migration[k]]
                .diagnostics
                .retain(|d| !(d.rule == rule && d.range == range));
        }
        for (k, rule, range, name) in &result.cleared_named {
            rules::GraphFindings::withdraw_named(
                &mut scans[with_migration[*k]].diagnostics,
                *rule,
                *range,
                name,
            );
        }
        for (k, rule, range, why) in &result.demoted {
            rules::GraphFindings::demote(
                &mut scans[with_migration[*k]].diagnostics,
                *rule,
                *range,
                why,
            );
        }
        for (k, rule, range, object, why) in &result.demoted_named {
            rules::GraphFindings::demote_named(
                &mut scans[with_migration[*k]].diagnostics,
                *rule,
                *range,
                object,
                why,
            );
        }
        for (k, d) in result.found {
            scans[with_migration[k]].diagnostics.push(d);
        }
    }
}

/// The graph rules and the replay over one file on its own (a chain of one revision).
/// Without `folder_rules`, rules about the folder's revision graph (missing parents, heads,
/// ...) are left out: the file was given without its folder.
pub fn check_alone(file: &mut FileScan, folder_rules: bool) {
    let Some(m) = file
        .migration
        .as_ref()
        .filter(|m| m.framework == Framework::Alembic && m.revision_declared)
    else {
        return;
    };
    let result = rules::check_graph(&graph::Graph::new(vec![m]));
    for (_, rule, range) in result.cleared {
        file.diagnostics
            .retain(|d| !(d.rule == rule && d.range == range));
    }
    for (_, rule, range, name) in &result.cleared_named {
        rules::GraphFindings::withdraw_named(&mut file.diagnostics, *rule, *range, name);
    }
    for (_, rule, range, why) in &result.demoted {
        rules::GraphFindings::demote(&mut file.diagnostics, *rule, *range, why);
    }
    for (_, rule, range, object, why) in &result.demoted_named {
        rules::GraphFindings::demote_named(&mut file.diagnostics, *rule, *range, object, why);
    }
    file.diagnostics.extend(
        result
            .found
            .into_iter()
            .map(|(_, d)| d)
            .filter(|d| folder_rules || rules::STATE_RULES.contains(&d.rule)),
    );
}
