use crate::diagnostic::Diagnostic;
use std::collections::HashMap;

use crate::scanner::django_state::Node;
use crate::scanner::model::MigrationAST;

use super::{GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Reports Django squashed migrations (a `replaces = [...]` list).
    ///
    /// ## Why is this bad?
    /// While the replaced migrations still exist, databases part-way through them follow the old
    /// path and others the squashed one; `RunPython`/`RunSQL` operations elided during squashing
    /// and irreversible steps inside make rollbacks across the squash differ between
    /// environments. Review it, and delete the originals only after every environment has
    /// migrated past them.
    ///
    /// Not reported once none of the replaced migrations is left in the app (its other
    /// migrations were scanned and the originals are gone): every database takes the one path.
    ///
    /// The errors other rules report on a migration a squash replaces become warnings that
    /// name the squash: once every migration it replaces is applied (or none is), Django
    /// unapplies the squash instead, and the squash's own operations are checked where it is
    /// (galaxy_ng's `squash_0012_...` replaces 0012's irreversible `RunSQL` with no operation
    /// at all; django-cms `0035_..._squashed_0036` replaces a `RemoveField` that 0036 undoes).
    /// Only a database stopped part-way through the replaced migrations still takes them.
    ///
    /// ## Example
    /// ```python
    /// class Migration(migrations.Migration):
    ///     replaces = [("shop", "0001_initial"), ("shop", "0002_order_total")]
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Keep the squash, check its operations with `mrt check`, and remove `replaces` (and the
    /// # originals) once all databases are past it.
    /// ```
    pub struct DjangoSquashed;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    if m.replaces > 0 {
        out.push(
            Diagnostic::new(
                Rule::DjangoSquashed,
                format!("squashed migration replacing {} migrations: rollbacks across it depend on which path a database took", m.replaces),
                m.class_range,
            )
            .with_fix("delete the replaced migrations (and `replaces`) once every environment has migrated past them"),
        );
    }
}

/// Withdraw the finding on a squash whose originals are all gone from its scanned app, and
/// name the squash in the findings of the migrations it replaces (`out.superseded`).
pub(crate) fn check_nodes(nodes: &[Node<'_>], out: &mut GraphFindings) {
    // (app, migration) → node, for the migrations a squash names in `replaces`.
    let index: HashMap<(String, &str), usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| ((n.app.to_ascii_lowercase(), n.name.as_str()), i))
        .collect();
    let replaced = |app: &str, name: &str| index.get(&(app.to_ascii_lowercase(), name)).copied();
    for node in nodes {
        for (app, name) in &node.facts.replaces {
            if let Some(i) = replaced(app, name) {
                out.superseded.push((i, format!("{}.{}", node.app, node.name)));
            }
        }
    }
    let mut per_app: HashMap<String, usize> = HashMap::new();
    for n in nodes {
        *per_app.entry(n.app.to_ascii_lowercase()).or_default() += 1;
    }
    for (i, node) in nodes.iter().enumerate() {
        let replaces = &node.facts.replaces;
        // A squash scanned without the rest of its app says nothing about the originals.
        let app_scanned = per_app.get(&node.app.to_ascii_lowercase()) > Some(&1);
        if !replaces.is_empty()
            && app_scanned
            && replaces
                .iter()
                .all(|(a, m)| replaced(a, m).is_none())
        {
            out.cleared
                .push((i, Rule::DjangoSquashed, node.facts.header));
        }
    }
}
