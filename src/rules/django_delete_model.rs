use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::django_state::{Change, FieldFacts, Model, Seen};
use crate::scanner::model::{MigrationAST, OpKind};

use super::{DjangoStep, GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Flags Django `migrations.DeleteModel(...)` operations.
    ///
    /// ## Why is this bad?
    /// The model's table is dropped with every row. Reversing recreates an empty table.
    ///
    /// ## Example
    /// ```python
    /// migrations.DeleteModel(name="AuditLog")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Keep the model (unused) for a release, archive the rows, then delete it.
    /// ```
    ///
    /// Not reported when the model was created earlier in the same migration, or when a
    /// `RunPython` before it deleted every row (`Model.objects.all().delete()`, or
    /// `row.delete()` in a loop over `Model.objects.all()` that skips none) or raises if
    /// any is left (`if Model.objects.exists(): raise ...`, pulpcore 0104), with nothing in
    /// between that may write rows again: there is nothing left to lose (see MRT040). Nor when
    /// a `RunPython` before it has a reverse function that creates the model's rows again from
    /// another model's rows: unapplied last to first, the table comes back, then that function
    /// fills it (django-cms 0038 rebuilds `TreeNode` from the tree fields `Page` kept). A
    /// `RunSQL` that only sets the session (pulpcore's `SET CONSTRAINTS ALL IMMEDIATE`)
    /// writes no row.
    ///
    /// ## Severity
    /// An error: reversing the migration brings the table back empty, so the rows are lost
    /// under a claimed restore. A warning in a test-suite app
    /// (`<test|tests>/<app>/migrations/`, such as `wagtail/test/testapp/migrations/`): its rows
    /// are fixtures, not data anyone keeps. A warning in a migration Django cannot unapply
    /// (a `RunPython` without `reverse_code` or a `RunSQL` without `reverse_sql` anywhere in it,
    /// which MRT042 / MRT043 report): no rollback recreates the table, so none claims its rows.
    ///
    /// Not reported when the replayed migrations show the model has no table: created with
    /// `managed = False` or as a proxy (wagtail admin 0003 deletes the `managed = False` model
    /// of 0002), or when they cannot tell (its options are not literals).
    ///
    /// A warning when an earlier `RunPython` (of any app) copied the model's rows into another
    /// model, reading their values in a loop over them (wagtail images 0015 copies each
    /// `Filter`'s spec into `Rendition.filter_spec`; 0019 deletes `Filter`): the message names
    /// that migration, whose copy is what a rollback should be checked against. The copy may
    /// sit in a function of the migration's module that the `RunPython` calls, when that
    /// function binds its models itself (`apps.get_model` in its body; nautobot dcim 0034
    /// copies each `Site` into a `Location` that way, and 0040 deletes `Site`).
    /// A warning when an earlier migration's `RunPython` (of any app) deleted every row of the
    /// model, in one statement or one row at a time in a loop over all of them, and nothing
    /// since may have written one (django-helpdesk 0009 turns each `QueueMembership` into
    /// permissions and deletes it; 0010 deletes the model): the table is empty unless the
    /// application wrote rows between the two migrations, which the message says.
    /// A warning, too, when an app built on this one (its migrations depend on this app's)
    /// created a model of the same name with every field the deleted one still has (same
    /// names and classes, the key aside): the model was moved between apps (wagtail's
    /// `search_promotions` 0003 recreates `Query` and `QueryDailyHits` of `wagtailsearch`,
    /// which its 0008 deletes; the copy of the rows was a data migration since emptied).
    /// A warning on a model whose only field is its primary key (mayan-edms's
    /// `CreatorSingleton` and `AnonymousUserSingleton`, marker rows with nothing in them):
    /// the rows hold no values, only that they exist.
    /// A warning on a model whose rows hold only uploaded files (`FileField`, `ImageField`)
    /// and an optional uploader (a nullable `ForeignKey` with `on_delete=SET_NULL`): staging
    /// records of uploads, whose files stay in storage (wagtail's `UploadedImage` and
    /// `UploadedDocument`). A file tied to a row it belongs to (a `CASCADE` link) keeps the error.
    pub struct DjangoDeleteModel;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let test_app = super::test_app(m);
    let irreversible = super::django_irreversible(m);
    for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::DeleteModel) {
        // A `RunPython` before it emptied the model: nothing is left to lose. One whose
        // reverse creates the model's rows again refills the table the reverse recreates.
        if super::django_emptied_before(m, op) || refilled_on_reverse(m, op) {
            continue;
        }
        let model = super::q(op.table.as_ref());
        let message = if irreversible {
            format!("DeleteModel drops model {model} and all its rows, though no rollback claims them back (Django cannot unapply this migration)")
        } else {
            format!("DeleteModel drops model {model} and all its rows: reversing recreates an empty table")
        };
        out.push(
            Diagnostic::new(Rule::DjangoDeleteModel, message, op.range)
                .with_fix("archive the rows and delete the model in a later release"),
        );
        if (test_app || irreversible)
            && let Some(d) = out.last_mut()
        {
            d.severity = Some(Severity::Warning);
        }
    }
}

/// A `RunPython` before `op` in this migration whose reverse function creates rows of the
/// deleted model from another model's rows (`TreeNode.objects.create(path=page.path, ...)` in
/// a loop over pages). Django unapplies operations last to first: the `DeleteModel` recreates
/// the table, then that function fills it (django-cms 0038 rebuilds `TreeNode` from the tree
/// fields 0037 copied onto `Page`).
fn refilled_on_reverse(m: &MigrationAST, op: &crate::scanner::model::Operation) -> bool {
    let Some(model) = &op.table else {
        return false;
    };
    super::reverses_before(m, op)
        .any(|reverse| reverse.copies.iter().any(|(_, into)| super::names_model(into, model)))
}

/// The project state shows the deleted model has no table (or cannot tell): nothing is
/// dropped. Its rows were copied into another model by an earlier `RunPython`: a warning.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    let Change::DeleteModel { name } = &s.step.change else {
        return;
    };
    if s.no_known_table(name) {
        out.cleared.push((s.node, Rule::DjangoDeleteModel, s.step.range));
    } else if let Seen::Known(m) = s.state.model(s.app, name)
        && let Some((app, mig, into)) = &m.copied_by
    {
        let why = format!(
            "; but its rows were copied into {} by the RunPython of {app}.{mig}: check they are kept there",
            super::q(Some(into))
        );
        out.demoted.push((s.node, Rule::DjangoDeleteModel, s.step.range, why));
    } else if let Seen::Known(m) = s.state.model(s.app, name)
        && let Some((app, mig)) = &m.emptied_by
        && !(app.eq_ignore_ascii_case(s.app) && mig == s.name)
    {
        let why = format!(
            "; but the RunPython of {app}.{mig} deleted every row and no migration wrote the model since: only rows the application wrote after {mig} are lost"
        );
        out.demoted.push((s.node, Rule::DjangoDeleteModel, s.step.range, why));
    } else if let Seen::Known(m) = s.state.model(s.app, name)
        && let Some((app, mig)) = s.state.moved_copy(s.app, m)
    {
        let why = format!(
            "; but app {app}, built on this one, created a model of the same name and fields ({app}.{mig}): it was moved there, check its rows were copied"
        );
        out.demoted.push((s.node, Rule::DjangoDeleteModel, s.step.range, why));
    } else if let Seen::Known(m) = s.state.model(s.app, name)
        && key_only(m)
        && !fields_removed_first(s, name)
    {
        let why = "; but its only field is its primary key: the rows hold no values, only that they exist".to_string();
        out.demoted.push((s.node, Rule::DjangoDeleteModel, s.step.range, why));
    } else if let Seen::Known(m) = s.state.model(s.app, name)
        && upload_staging(m)
    {
        let why = "; but it holds only uploaded files and an optional uploader (staging rows of uploads): the files stay in storage".to_string();
        out.demoted.push((s.node, Rule::DjangoDeleteModel, s.step.range, why));
    }
}

/// The model's fields are known, and the primary key is all of them, a key of its own rather
/// than a link (mayan-edms's `CreatorSingleton`: a marker row with nothing in it). A child
/// model whose only field is the link to its parent (`source_ptr`) records which parent rows
/// are of its kind: that is data.
fn key_only(m: &Model) -> bool {
    m.fields.as_ref().is_some_and(|fields| {
        !fields.is_empty()
            && fields.values().all(|f| {
                f.facts.known
                    && f.facts.primary_key
                    && !matches!(f.facts.class.as_str(), "OneToOneField" | "ForeignKey")
            })
    })
}

/// Did this migration remove fields of `model` before deleting it (galaxy_ng 0023 removes
/// `ContainerSyncTask`'s links, then the model): the key was not all it held.
fn fields_removed_first(s: &DjangoStep<'_>, model: &str) -> bool {
    s.steps
        .iter()
        .take_while(|other| other.range != s.step.range)
        .any(|other| matches!(&other.change, Change::RemoveField { model: m, .. } if m.eq_ignore_ascii_case(model)))
}

/// Every field beside the key is a file (`FileField`, `ImageField`) or an optional link that
/// is cleared when its target goes (`null=True, on_delete=SET_NULL`), and there is a file:
/// each row records an uploaded file and maybe who uploaded it, nothing else.
fn upload_staging(m: &Model) -> bool {
    let Some(fields) = &m.fields else {
        return false;
    };
    let facts = || fields.values().map(|f| &f.facts).filter(|f| !f.primary_key);
    let is_file = |f: &FieldFacts| matches!(f.class.as_str(), "FileField" | "ImageField");
    facts().any(is_file)
        && facts().all(|f| {
            f.known
                && (is_file(f)
                    || f.class == "ForeignKey"
                        && f.null == Some(true)
                        && f.on_delete.as_deref() == Some("SET_NULL"))
        })
}
