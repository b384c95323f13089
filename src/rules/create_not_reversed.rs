use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{same_name, same_object_name, same_opt, MigrationAST, OpKind, Operation};

use super::drop_object_not_recreated::renamed_to;
use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags objects `upgrade()` creates that a (non-empty) `downgrade()` does not remove:
    /// tables, columns, indexes, constraints, and views, triggers, types, sequences and
    /// functions created in raw SQL.
    ///
    /// ## Why is this bad?
    /// After a rollback the object is still there. The schema no longer matches the revision the
    /// database claims to be at, and the next upgrade fails with "already exists".
    ///
    /// An index or constraint is taken as undone when the downgrade drops its table, a column it
    /// hangs on, or an object of the same kind on the same table under a name read at run time
    /// (`generic_find_fk_constraint_name(...)`, `find_name() or "literal"`): that name is
    /// unknown here, and an unknown object never fires a rule. A downgrade that runs SQL mrt
    /// cannot read, or calls a function whose statements it cannot see, may remove anything:
    /// nothing is reported then. A column the upgrade adds and drops again (a scratch copy), or
    /// drops first and adds again (a column rebuilt, mage-ai 90d978a8aef8), leaves nothing
    /// new behind. A function made with `CREATE OR REPLACE` is a warning: the
    /// next upgrade replaces the one left behind without failing.
    ///
    /// Also removed, for this rule: a column the downgrade renames aside and drops under its
    /// new name; a partition (`CREATE TABLE p_1 PARTITION OF p`) of a table the downgrade
    /// drops; a type the downgrade renames aside and drops. Not new: a type created under the
    /// name of one the upgrade renamed aside or dropped (a PostgreSQL enum swap), or created
    /// under a scratch name and renamed into place; and a table created only if missing
    /// (`try:`, `if not has_table`) while an earlier revision's table is there. That holds
    /// too when the earlier create ran only if missing itself, inside a swallowing `try` or
    /// `IF NOT EXISTS`, on every database and under no condition: either way the table is
    /// there after it (privacyidea 2c9430cfc66b creates `periodictasklastrun` so, and
    /// d2ae8e54b628 creates it again in a `try`). A table an earlier revision made under an
    /// `if` or on one database only stays new for this one.
    ///
    /// A warning when the upgrade creates the object only if it is missing (`IF NOT EXISTS`,
    /// `if_not_exists=True`, or under `if "status" not in columns:` / `if not
    /// inspector.has_table("t"):`, `mood.create(bind, checkfirst=True)`) and it is a table, a
    /// type, a non-unique index, or a column the older code's INSERTs need not fill (nullable,
    /// or with a server default): the next upgrade skips it instead of failing, and the older
    /// code does not notice it (open-webui 2f1211949ecc
    /// leaves `channel_member.status`). A column NOT NULL without a server default stays an
    /// error: the older code's INSERTs, which do not name it, fail (`channel_member.joined_at`
    /// there). So do a unique index and a constraint.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.add_column("users", sa.Column("age", sa.Integer))
    ///     op.create_index("ix_users_email", "users", ["email"])
    ///
    /// def downgrade():
    ///     op.drop_column("users", "age")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_index("ix_users_email", table_name="users")
    ///     op.drop_column("users", "age")
    /// ```
    pub struct CreateNotReversed;
}

fn drops_table(down: &[Operation], table: Option<&String>) -> bool {
    down.iter().any(|d| d.kind == OpKind::DropTable && same_opt(d.table.as_ref(), table))
}

fn undone(op: &Operation, down: &[Operation]) -> bool {
    // A name built at run time cannot be matched: say nothing rather than guess.
    let known = match op.kind {
        OpKind::CreateTable => super::known(op.table.as_ref()),
        OpKind::AddColumn => super::known(op.table.as_ref()) && super::known(op.column.as_ref()),
        _ => super::known(op.name.as_ref()),
    };
    if !known {
        return true;
    }
    // The same name, or its full name under a naming convention (`ck_<table>_<name>`).
    let named = |kinds: &[OpKind]| {
        down.iter().any(|d| {
            kinds.contains(&d.kind)
                && match (op.name.as_deref(), d.name.as_deref(), op.table.as_deref()) {
                    (Some(created), Some(dropped), Some(table)) => same_object_name(created, dropped, table),
                    _ => same_opt(d.name.as_ref(), op.name.as_ref()),
                }
        })
    };
    match op.kind {
        // A partition goes with its parent table (`CREATE TABLE p_1 PARTITION OF p ...`).
        OpKind::CreateTable => drops_table(down, op.table.as_ref()) || op.partition_of.as_ref().is_some_and(|p| drops_table(down, Some(p))),
        OpKind::AddColumn => {
            // Dropped by name, or renamed aside first and dropped under the new name (fides
            // 2f6aa5fe797a's downgrade moves `service_type` to `service_type_old`, refills a
            // new `service_type` from it, then drops the old one).
            let mut name = op.column.clone();
            drops_table(down, op.table.as_ref())
                || down.iter().any(|d| {
                    let here = same_opt(d.table.as_ref(), op.table.as_ref()) && same_opt(d.column.as_ref(), name.as_ref());
                    if here && d.kind == OpKind::RenameColumn {
                        name.clone_from(&d.new_name);
                    }
                    here && d.kind == OpKind::DropColumn
                })
        }
        OpKind::CreateIndex => {
            op.name.is_none()
                || named(&[OpKind::DropIndex])
                || drops_unknown(op, down, OpKind::DropIndex)
                || drops_table(down, op.table.as_ref())
                || dropped_column(op, down)
                || drops_a_column_of(op, down)
        }
        OpKind::CreateUniqueConstraint | OpKind::CreateForeignKey | OpKind::CreateCheckConstraint | OpKind::CreatePrimaryKey => {
            op.name.is_none()
                || named(&[OpKind::DropConstraint, OpKind::DropIndex])
                || drops_unknown(op, down, OpKind::DropConstraint)
                || drops_table(down, op.table.as_ref())
                || drops_a_column_of(op, down)
        }
        OpKind::CreateView => named(&[OpKind::DropView]),
        OpKind::CreateTrigger => named(&[OpKind::DropTrigger]) || drops_table(down, op.table.as_ref()),
        // Dropped by name, or renamed aside and dropped under the new name (an enum swap).
        OpKind::CreateType => {
            named(&[OpKind::DropType])
                || down.iter().enumerate().any(|(j, d)| {
                    d.kind == OpKind::RenameType
                        && same_opt(d.name.as_ref(), op.name.as_ref())
                        && down[j + 1..].iter().any(|x| {
                            x.kind == OpKind::DropType
                                && same_opt(x.name.as_ref(), renamed_to(&down[j..], op.name.clone()).as_ref())
                        })
                })
        }
        OpKind::CreateSequence => named(&[OpKind::DropSequence]),
        OpKind::CreateFunction => named(&[OpKind::DropFunction]),
        _ => true,
    }
}

/// `up[at]` creates an index or constraint that an earlier statement of the upgrade dropped
/// under the same name on the same table, or a table or type that the upgrade dropped (or,
/// for a type, renamed aside) earlier: the name existed before the upgrade.
fn recreated(up: &[Operation], at: usize) -> bool {
    let op = &up[at];
    let drop = match op.kind {
        // A table rebuilt under its own name (dropped, then created again): it existed before.
        OpKind::CreateTable => {
            return super::known(op.table.as_ref())
                && up[..at].iter().any(|d| d.kind == OpKind::DropTable && same_opt(d.table.as_ref(), op.table.as_ref()));
        }
        // A type renamed aside or dropped earlier in the upgrade, and created anew under its
        // name (an enum swap): the name existed before the upgrade, so the downgrade must not
        // remove it, as with a table rebuilt under its own name. Whether the old definition
        // comes back is not this rule's question.
        OpKind::CreateType => {
            return super::known(op.name.as_ref())
                && up[..at].iter().any(|d| {
                    matches!(d.kind, OpKind::RenameType | OpKind::DropType) && same_opt(d.name.as_ref(), op.name.as_ref())
                });
        }
        OpKind::CreateIndex => OpKind::DropIndex,
        OpKind::CreateUniqueConstraint
        | OpKind::CreateForeignKey
        | OpKind::CreateCheckConstraint
        | OpKind::CreatePrimaryKey => OpKind::DropConstraint,
        _ => return false,
    };
    super::known(op.name.as_ref())
        && up[..at].iter().any(|d| {
            d.kind == drop
                && same_opt(d.name.as_ref(), op.name.as_ref())
                && same_opt(d.table.as_ref(), op.table.as_ref())
        })
}

/// The downgrade drops an object of `kind` on the same table under a name the scanner cannot
/// read (a reflection helper's result, `find_name() or "literal"`, a variable): it may be the
/// undo of `op`, and an unknown object never fires a rule. A literal `None` is not unknown.
fn drops_unknown(op: &Operation, down: &[Operation], kind: OpKind) -> bool {
    down.iter().any(|d| {
        d.kind == kind
            && !d.name_is_none
            && !super::known(d.name.as_ref())
            && same_opt(d.table.as_ref(), op.table.as_ref())
    })
}

/// The downgrade drops a column the index or constraint hangs on: it goes with the column.
fn drops_a_column_of(op: &Operation, down: &[Operation]) -> bool {
    op.constraints.iter().flat_map(|c| &c.columns).any(|col| {
        down.iter().any(|d| {
            d.kind == OpKind::DropColumn && same_opt(d.table.as_ref(), op.table.as_ref()) && d.column.as_ref().is_some_and(|c| same_name(c, col))
        })
    })
}

/// A table or column created, then renamed into place later in the upgrade (the copy-swap of a
/// column, the rebuild of a table): it replaces what it is renamed to. A rebuilt table that
/// replaces one dropped before is not new; otherwise the downgrade must remove it under its
/// final name (or rename it away).
fn undone_renamed(up: &[Operation], at: usize, down: &[Operation]) -> bool {
    let op = &up[at];
    match op.kind {
        OpKind::CreateTable => {
            let Some(mut name) = op.table.clone() else { return false };
            let mut renamed = false;
            for r in &up[at + 1..] {
                if r.kind == OpKind::RenameTable
                    && same_opt(r.table.as_ref(), Some(&name))
                    && let Some(new) = &r.new_name
                {
                    name.clone_from(new);
                    renamed = true;
                }
            }
            let replaced = up[..at]
                .iter()
                .chain(&up[at + 1..])
                .any(|d| d.kind == OpKind::DropTable && same_opt(d.table.as_ref(), Some(&name)));
            renamed && (replaced || drops_table(down, Some(&name)))
        }
        OpKind::AddColumn => {
            let (Some(table), Some(mut name)) = (op.table.clone(), op.column.clone()) else {
                return false;
            };
            let mut renamed = false;
            for r in &up[at + 1..] {
                if r.kind == OpKind::RenameColumn
                    && same_opt(r.table.as_ref(), Some(&table))
                    && same_opt(r.column.as_ref(), Some(&name))
                    && let Some(new) = &r.new_name
                {
                    name.clone_from(new);
                    renamed = true;
                }
            }
            renamed
                && down.iter().any(|d| {
                    same_opt(d.table.as_ref(), Some(&table))
                        && same_opt(d.column.as_ref(), Some(&name))
                        && matches!(d.kind, OpKind::DropColumn | OpKind::RenameColumn)
                })
        }
        // Created under a scratch name and renamed into place (`CREATE TYPE mood_new ...`, then
        // `ALTER TYPE mood_new RENAME TO mood`): it replaces a type the upgrade dropped or
        // renamed aside, or the downgrade removes it under its final name.
        OpKind::CreateType => {
            let name = renamed_to(&up[at + 1..], op.name.clone());
            let renamed = !same_opt(name.as_ref(), op.name.as_ref());
            let replaced = up.iter().any(|d| {
                matches!(d.kind, OpKind::DropType | OpKind::RenameType) && same_opt(d.name.as_ref(), name.as_ref())
            });
            renamed && (replaced || down.iter().any(|d| d.kind == OpKind::DropType && same_opt(d.name.as_ref(), name.as_ref())))
        }
        _ => false,
    }
}

fn dropped_column(op: &Operation, down: &[Operation]) -> bool {
    down.iter().any(|d| {
        d.kind == OpKind::DropColumn && same_opt(d.table.as_ref(), op.table.as_ref()) && same_opt(d.column.as_ref(), op.column.as_ref())
    })
}

fn what(op: &Operation) -> String {
    let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "?".into());
    match op.kind {
        OpKind::CreateTable => format!("table '{}'", name(&op.table)),
        OpKind::AddColumn => format!("column '{}'", op.target()),
        OpKind::CreateIndex => format!("index '{}' on '{}'", name(&op.name), name(&op.table)),
        OpKind::CreateView => format!("view '{}'", name(&op.name)),
        OpKind::CreateTrigger => format!("trigger '{}'", name(&op.name)),
        OpKind::CreateType => format!("type '{}'", name(&op.name)),
        OpKind::CreateSequence => format!("sequence '{}'", name(&op.name)),
        OpKind::CreateFunction => format!("function '{}'", name(&op.name)),
        _ => format!("constraint '{}' on '{}'", name(&op.name), name(&op.table)),
    }
}

/// Why an object the upgrade creates only if it is missing (`IF NOT EXISTS`, `if "c" not in
/// columns:`) does no harm when the rollback leaves it: the next upgrade skips it, and the older
/// code does not notice a table, a plain index, or a column its INSERTs need not fill. A column
/// NOT NULL without a server default, a unique index or a constraint can make the older code's
/// writes fail, and stays an error.
fn left_harmlessly(op: &Operation) -> Option<&'static str> {
    if !op.if_exists {
        return None;
    }
    match op.kind {
        OpKind::CreateTable | OpKind::CreateType => {
            Some(", though the upgrade creates it only if it is missing: the next upgrade skips it")
        }
        OpKind::CreateIndex if !op.unique => {
            Some(", though the upgrade creates it only if it is missing: the next upgrade skips it, and a plain index changes no result")
        }
        OpKind::AddColumn => {
            let spec = op.columns.first()?;
            let must_fill = spec.nullable == Some(false) && spec.server_default.is_none();
            (!must_fill && !spec.primary_key && !spec.unique).then_some(
                ", though the upgrade adds it only if it is missing: the next upgrade skips it, and the older code's INSERTs need not fill it",
            )
        }
        _ => None,
    }
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    // SQL we could not read, or a call to code outside the file (a project helper mrt could
    // not read), may well undo it: stay quiet rather than guess.
    if down.iter().any(|d| (d.kind == OpKind::Execute && d.sql_error.is_some()) || d.kind == OpKind::Call) {
        return;
    }
    let up = m.upgrade_ops();
    for (i, op) in up.iter().enumerate() {
        // A scratch table the upgrade itself drops again leaves nothing behind.
        if op.kind == OpKind::CreateTable && drops_table(&up[i + 1..], op.table.as_ref()) {
            continue;
        }
        // So does a scratch column; and one the upgrade dropped before and adds again existed
        // before it (a column rebuilt through a copy, mage-ai 90d978a8aef8).
        if op.kind == OpKind::AddColumn
            && (dropped_column(op, &up[i + 1..]) || dropped_column(op, &up[..i]))
        {
            continue;
        }
        // Objects on a table created here go away with the table; the table itself is
        // reported when it is not dropped.
        if op.kind != OpKind::CreateTable && op.table.as_deref().is_some_and(|t| m.creates_table(t)) {
            continue;
        }
        // An index, constraint or table the upgrade dropped earlier and creates again under the
        // same name existed before the upgrade: the downgrade rightly leaves it (prefect
        // 33439667aeea; superset af30ca79208f rebuilds sql_observations on SQLite).
        if recreated(up, i) {
            continue;
        }
        if !undone(op, down) && !undone_renamed(up, i, down) {
            let mut d = Diagnostic::new(
                Rule::CreateNotReversed,
                format!("upgrade() creates {} but downgrade() does not remove it", what(op)),
                op.range,
            )
            .with_fix(format!("remove the {} in downgrade()", what(op)));
            let replaces = op.sql.as_deref().is_some_and(|s| s.to_ascii_uppercase().contains("OR REPLACE"));
            if op.kind == OpKind::CreateFunction && replaces {
                // The next upgrade replaces the function it finds: it is left, nothing fails.
                d.message.push_str(", though the next upgrade's CREATE OR REPLACE runs over it without failing");
                d = d.with_severity(Severity::Warning);
            } else if let Some(why) = left_harmlessly(op) {
                d.message.push_str(why);
                d = d.with_severity(Severity::Warning);
            }
            out.push(d);
        }
    }
}
