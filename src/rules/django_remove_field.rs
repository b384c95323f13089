use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::django_state::{Change, Seen};
use crate::scanner::model::{same_opt, MigrationAST, OpKind, Operation};

use super::{DjangoStep, GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Flags Django `migrations.RemoveField(...)` operations.
    ///
    /// ## Why is this bad?
    /// The column and its data are dropped. Django can reverse the operation by adding the field
    /// back, but empty (or filled with the default): the data does not come back.
    ///
    /// ## Example
    /// ```python
    /// migrations.RemoveField(model_name="user", name="phone")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Release N: stop using the field (keep it in the model, nullable).
    /// # Release N+1: remove it, once rolling back past N is no longer an option.
    /// ```
    ///
    /// Not reported when the same migration deletes the model afterwards (wagtail search 0008
    /// removes `querydailyhits.query`, then `QueryDailyHits`): MRT041 reports that loss once.
    ///
    /// Not reported when the replayed migrations show the data was moved, not lost: an earlier
    /// `RunPython` copied the field's values into another field of the model (`F("field")` in
    /// its `.update(...)`, or `row.field` read in a loop that sets another field of the row),
    /// and that migration's reverse function writes the field back with a value, not a
    /// constant, so rolling back past it restores the values (wagtail 0086 copies
    /// `grouppagepermission.permission_type` into `permission` and back; 0090 removes it;
    /// nautobot extras 0118 turns `job.task_queues` into job queues and back; weblate trans
    /// 0040 sets `unit.pending` False on every row that held True, and its reverse sets it
    /// True again). Only for a
    /// field that is nullable or has a default: a NOT NULL field without one cannot be added
    /// back to a table with rows, so the rollback fails before the values return.
    /// Nor on a model without a table (`managed = False`, a proxy) or whose options the replay
    /// cannot read. Nor on a `ManyToManyField(through=...)`: its links are the rows of the
    /// `through` model, and removing the field drops no column or table (pretix 0058 removes
    /// `event.permitted`, whose `EventPermission` rows MRT041 reports when it is deleted).
    ///
    /// Nor when a `RunPython` earlier in the same migration has a reverse function that writes
    /// the field on the model's rows (`row.field = ...`, `setattr(row, name, ...)`,
    /// `.update(field=...)`, `bulk_update(rows, ["field"])`): Django reverses the `RemoveField`
    /// first, so the column is back when that function fills it (pretix 0298 turns a team's
    /// `can_*` flags into permission sets, and its reverse sets each flag from them).
    ///
    /// Nor when a `RunPython` earlier in the same migration deleted every row of the model
    /// (`Model.objects.all().delete()` in its function's body) and nothing in between may
    /// have written rows again: there is nothing left to lose (pretix 0044 empties
    /// `CachedTicket`, then removes its `order`). Nor when the model was created, or the field
    /// added, earlier in the same migration with no data step in between: it is empty
    /// (label-studio's squashed migrations).
    ///
    /// ## Severity
    /// An error: reversing the migration brings the table back empty, so the rows are lost
    /// under a claimed restore. A warning in a test-suite app
    /// (`<test|tests>/<app>/migrations/`, such as `wagtail/test/testapp/migrations/`): its rows
    /// are fixtures, not data anyone keeps.
    ///
    /// A warning in a migration Django cannot unapply (a `RunPython` without `reverse_code` or
    /// a `RunSQL` without `reverse_sql` anywhere in it, which MRT042 / MRT043 report): Django
    /// checks every operation before reversing any, so no rollback re-adds the column and none
    /// claims its data back (netbox extras 0101 copies each webhook's fields into an
    /// `EventRule` with a one-way `RunPython`, then removes them).
    ///
    /// A warning, whose message names the copy, when an earlier `RunPython` copied every value
    /// of the field as it was into another field that still exists: of the same rows
    /// (`row.enc_args = row.args` in a loop over the model's rows, pulpcore 0114;
    /// `.update(created_datetimefield=F("created"))`, nautobot dcim 0051), or of new rows of
    /// another model that link back to the row they came from
    /// (`DeviceClusterAssignment(device=device, cluster=device.cluster)` in a loop over
    /// devices, nautobot dcim 0077; also as text, `Subject(user=user, sub=str(user.sso_id))`,
    /// misago oauth2 0002), or of every row of another model that links to it
    /// (`page.title_set.update(template=page.template)` in a loop over pages, django-cms
    /// 0030, through Django's default `<model>_set` accessor), or of a new row made for it in
    /// the loop that the two rows link (`base = ExerciseBase.objects.create(...)`, `base.status
    /// = exercise.status`, `exercise.exercise_base = base`, wger exercises 0009). This is the
    /// expand step of an expand/contract change, and
    /// the removal is the contract step. Rolling the removal back keeps the copy; only values
    /// written into the old field after the copy are lost. The copy must reach every row
    /// where the field is set: all rows, or rows a filter picks only because the field is set
    /// (`.filter(Q(args__isnull=False) | Q(kwargs__isnull=False))`). It must not sit under an
    /// `if`, but for one that only tests the field is set (`if row.f:`; pulpcore core 0123
    /// converts `pulp_label_select` into `q_select` so), nor in a loop that may skip rows
    /// (`continue`, `break`), and nothing may write the field after it. A boolean field kept
    /// as a constant written on the rows it picks (`.filter(required=True)
    /// .update(question_required="required")`, pretalx submission 0058) counts as converted. Any other filter (`.filter(kind="report")`), a copy field removed and
    /// added again since, or removed by this migration too (wger exercises 0019 removes
    /// `exercise.status` and the `exercisebase.status` 0009 copied it into), new rows that do not link back, related rows a filter picks
    /// (`page.title_set.filter(language="en")`), or a NOT NULL field without a
    /// default (it cannot be added back) keeps the error.
    ///
    /// The message says what reversing puts in the re-added column, as the replayed field
    /// declares it: the field's default (`default=`, `db_default=`, or a `blank` text field's
    /// `''`), NULL, or an empty link table for a many-to-many field. When the replay shows the
    /// field NOT NULL with no default (nor an effective one), it says that reversing the
    /// removal fails on a table with rows, on PostgreSQL and SQLite: Django cannot add the
    /// column back (misago threads 0010's IP fields).
    ///
    /// A warning for django-mptt's tree fields (`lft`, `rght`, `tree_id`, `level`) removed
    /// together: they are computed from the parent links, which stay, and
    /// `Model.objects.rebuild()` recomputes them after a rollback (nautobot moved from mptt to
    /// tree-queries this way).
    pub struct DjangoRemoveField;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let test_app = super::test_app(m);
    let irreversible = super::django_irreversible(m);
    let ops = m.upgrade_ops();
    for (i, op) in ops.iter().enumerate().filter(|(_, o)| o.kind == OpKind::RemoveField) {
        // The same migration deletes the whole model afterwards: MRT041 reports that loss once.
        let model_deleted = ops[i + 1..].iter().any(|d| {
            d.kind == OpKind::DeleteModel
                && matches!((&d.table, &op.table), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
        });
        if model_deleted || refilled_on_reverse(m, op) || super::django_emptied_before(m, op) {
            continue;
        }
        if mptt_bookkeeping(ops, op) {
            out.push(
                Diagnostic::new(
                    Rule::DjangoRemoveField,
                    format!(
                        "RemoveField drops {}, part of django-mptt's tree bookkeeping: derived from the tree's parent links, it comes back empty or at its default until `Model.objects.rebuild()` runs",
                        op.target()
                    ),
                    op.range,
                )
                .with_severity(Severity::Warning)
                .with_fix("run the model's `objects.rebuild()` in a RunPython reverse, or after rolling back"),
            );
            continue;
        }
        let message = if irreversible {
            format!(
                "RemoveField drops {}: its data is lost, though no rollback claims it back (Django cannot unapply this migration)",
                op.target()
            )
        } else {
            format!("RemoveField drops {}: its data is lost and reversing only re-adds the column, without its values", op.target())
        };
        out.push(
            Diagnostic::new(Rule::DjangoRemoveField, message, op.range)
                .with_fix("stop using the field first and remove it in a later release"),
        );
        if (test_app || irreversible)
            && let Some(d) = out.last_mut()
        {
            d.severity = Some(Severity::Warning);
        }
    }
}

/// The field's values live on elsewhere (moved by an earlier `RunPython` whose reverse moves
/// them back, or in the rows of its `through` model), or the model has no table we know of.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    let Change::RemoveField { model, name } = &s.step.change else {
        return;
    };
    // A `through` model holds the links; Django drops no column or table for the field.
    let moved_or_no_column = match s.state.model(s.app, model) {
        Seen::Known(m) => m
            .field(name)
            .is_some_and(|f| (f.moved_by.is_some() && re_added_empty(&f.facts)) || f.facts.through_model),
        _ => false,
    };
    if moved_or_no_column || s.no_known_table(model) {
        out.cleared.push((s.node, Rule::DjangoRemoveField, s.step.range));
    } else if let Some(why) = copy_kept(s, model, name) {
        out.demoted.push((s.node, Rule::DjangoRemoveField, s.step.range, why));
    } else if let Seen::Known(m) = s.state.model(s.app, model)
        && let Some(more) = m.field(name).and_then(|f| what_comes_back(&f.facts))
    {
        let object = format!("drops {}.{}:", model.to_ascii_lowercase(), name.to_ascii_lowercase());
        out.completed.push((s.node, Rule::DjangoRemoveField, s.step.range, object, more.to_string()));
    }
}

/// What reversing the removal puts in the re-added column, as the replayed field says, for
/// MRT040's message: its default, NULL, an empty link table, or nothing at all because the
/// column cannot be added back. `None` when the field's definition is not known.
fn what_comes_back(field: &crate::scanner::django_facts::FieldFacts) -> Option<&'static str> {
    if cannot_be_added_back(field) {
        return Some(
            "; worse, on PostgreSQL and SQLite reversing fails on a table with rows: the field is NOT NULL without a default, so Django cannot add its column back",
        );
    }
    if !field.known || field.primary_key {
        return None;
    }
    if field.class == "ManyToManyField" {
        Some("; its link table comes back empty")
    } else if field.has_default {
        Some("; every row gets the field's default instead")
    } else if field.null == Some(true) {
        Some("; every row gets NULL instead")
    } else {
        None
    }
}

/// A field whose column Django cannot add back to a table with rows: NOT NULL and no effective
/// default (`has_default` counts `default=`, `db_default=`, `auto_now` and a `blank` text
/// field's `''`), read from literals, not a key and not many-to-many (misago threads 0010's
/// IP fields, django-cms 0031 `title.path`). MySQL would fill the type's zero value instead.
fn cannot_be_added_back(field: &crate::scanner::django_facts::FieldFacts) -> bool {
    field.known
        && field.null == Some(false)
        && !field.has_default
        && !field.primary_key
        && field.class != "ManyToManyField"
}

/// What MRT040 adds to its message when an earlier `RunPython` copied every value of the
/// removed field as it was into another field of the same rows, which still holds them
/// (pulpcore 0114 copies `task.args` into `enc_args`, then removes `args`): the expand step
/// of an expand/contract change. Only for a field that can be added back to a table with rows.
fn copy_kept(s: &DjangoStep<'_>, model: &str, name: &str) -> Option<String> {
    let Seen::Known(m) = s.state.model(s.app, model) else {
        return None;
    };
    let field = m.field(name)?;
    let copy = field.copied_into.as_ref()?;
    let Seen::Known(into) = s.state.model(&copy.model.0, &copy.model.1) else {
        return None;
    };
    // The copy outlives this migration: a later step of it does not remove the field (or
    // its model) the values went into (wger exercises 0019 removes `exercise.status`, then
    // `exercisebase.status`, where 0009 had copied it); rolling back brings both back empty.
    let removed_later = s.steps.iter().skip_while(|x| x.range != s.step.range).skip(1).any(|x| {
        x.db && copy.model.0.eq_ignore_ascii_case(s.app)
            && match &x.change {
                Change::RemoveField { model, name } => {
                    model.eq_ignore_ascii_case(&copy.model.1) && name.eq_ignore_ascii_case(&copy.field)
                }
                Change::DeleteModel { name } => name.eq_ignore_ascii_case(&copy.model.1),
                _ => false,
            }
    });
    let kept = !removed_later && into.field(&copy.field).is_some_and(|t| t.born == copy.born);
    let rows = if std::ptr::eq(into, m) {
        String::new()
    } else {
        format!(" (on rows of it linked to each {model} row)")
    };
    (kept && re_added_empty(&field.facts)).then(|| {
        let by = format!("{}.{}", copy.by.0, copy.by.1);
        let target = format!("{}.{}{rows}", into.name.to_ascii_lowercase(), copy.field);
        if copy.converted {
            format!(
                "; but {by} converted its values into {target} (computed from them, not copied as they were), which still exists: rolling this migration back keeps that conversion, and only values written since are lost"
            )
        } else {
            super::drop_column::values_kept(&by, &target, "migration")
        }
    })
}

/// `op` removes one of django-mptt's tree fields (`lft`, `rght`, `tree_id`, `level`), and the
/// migration removes `lft`, `rght` and `tree_id` of the same model: the nested-set numbers
/// are computed from the parent links, so none of them holds data of its own (nautobot
/// 0025_mptt_to_tree_queries). Not when the migration removes `parent` too: nothing would be
/// left to compute them from.
fn mptt_bookkeeping(ops: &[Operation], op: &Operation) -> bool {
    const TREE: [&str; 4] = ["lft", "rght", "tree_id", "level"];
    let removed = |field: &str| {
        ops.iter().any(|o| {
            o.kind == OpKind::RemoveField
                && o.column.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(field))
                && same_opt(o.table.as_ref(), op.table.as_ref())
        })
    };
    op.column.as_deref().is_some_and(|c| TREE.iter().any(|t| t.eq_ignore_ascii_case(c)))
        && TREE[..3].iter().all(|t| removed(t))
        && !removed("parent")
}

/// Reversing the `RemoveField` adds the column back on a table with rows: it works when the
/// field is nullable or has a default (Django's effective default). A NOT NULL field without
/// one fails there (nautobot extras 0093 `scheduledjob.job_class`), before any reverse
/// function could write the values back. A many-to-many field has no column: its link table
/// comes back empty.
fn re_added_empty(field: &crate::scanner::django_facts::FieldFacts) -> bool {
    field.null == Some(true) || field.has_default || field.class == "ManyToManyField"
}

/// A `RunPython` before `op` in this migration whose reverse function writes the removed field
/// (or fields it names at run time) on the model's rows. Django unapplies operations last to
/// first: the `RemoveField` re-adds the column, then that function fills it.
fn refilled_on_reverse(m: &MigrationAST, op: &Operation) -> bool {
    let (Some(model), Some(field)) = (&op.table, &op.column) else {
        return false;
    };
    // A foreign key is written by its column's name too (`bulk_update(rows, ["owner_id"])`).
    let same_field = |written: &str| {
        written.eq_ignore_ascii_case(field)
            || written
                .strip_suffix("_id")
                .is_some_and(|w| w.eq_ignore_ascii_case(field))
    };
    super::reverses_before(m, op).any(|reverse| {
        reverse.writes.iter().any(|(m, f)| super::names_model(m, model) && same_field(f))
            || reverse.computed_writes.iter().any(|m| super::names_model(m, model))
    })
}
