use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::model::{
    ConstraintKind, DialectHint, Dialects, OpKind, Operation, Value,
};
use crate::scanner::state::{Event, Phase, Replay};

use super::{Rule, active_downgrade, q, runs_on};

declare_rule! {
    /// ## What it does
    /// Flags a `downgrade()` that, outside batch mode, alters what SQLite cannot alter in
    /// place: a column's type, nullability or default (`op.alter_column`), a table's
    /// constraints (`op.create_foreign_key`, `op.create_unique_constraint`,
    /// `op.create_check_constraint`, `op.create_primary_key`, `op.drop_constraint`, and
    /// `op.add_column` of a column with a `ForeignKey` or `unique=True`, whose constraint
    /// Alembic adds after the column), or a
    /// column that an index, a unique constraint or the primary key still holds
    /// (`op.drop_column`; the replay shows what holds it).
    ///
    /// Only chains that run on SQLite are checked: some revision shows it (a file that
    /// imports SQLAlchemy's SQLite dialect, an `if dialect == "sqlite":` branch, a
    /// `sqlite_*` argument). Batch mode alone is not taken as a sign, since projects use it
    /// on PostgreSQL-only folders too. Statements under a condition, in a dialect branch or
    /// in a `try` that swallows the error are left alone.
    ///
    /// ## Why is this bad?
    /// SQLite's `ALTER TABLE` can rename and add, and drop a column nothing else holds, no
    /// more.
    /// Alembic raises `NotImplementedError` for a constraint change outside batch mode, and
    /// SQLite rejects `ALTER COLUMN` as a syntax error. Upgrades are run and fixed; a
    /// downgrade written by hand is usually run first in production, so it stops there on
    /// every SQLite database (superset 7e67aecbf3f1 creates a check constraint in batch mode
    /// and drops it with a plain `op.drop_constraint`).
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     op.drop_constraint("ck_chart_datasource", "slices", type_="check")
    ///     op.alter_column("url", "created_on", existing_type=sa.DateTime(), nullable=True)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     with op.batch_alter_table("slices") as batch_op:
    ///         batch_op.drop_constraint("ck_chart_datasource", type_="check")
    ///     with op.batch_alter_table("url") as batch_op:
    ///         batch_op.alter_column("created_on", existing_type=sa.DateTime(), nullable=True)
    /// ```
    pub struct SqliteAlterOutsideBatch;
}

pub(crate) fn check(g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    if !runs_on(g, DialectHint::Sqlite) {
        return;
    }
    dropped_columns(g, replay, out);
    altered(g, out);
}

/// `op.drop_column` of a column an index, a unique constraint or the primary key holds.
fn dropped_columns(g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, event) in replay.known_events() {
        let Event::SqliteCannotDropColumn {
            phase: Phase::Downgrade,
            range,
            table,
            column,
            kind,
            holder,
        } = event
        else {
            continue;
        };
        let named = holder.as_deref().map_or(String::new(), |n| format!(" '{n}'"));
        let what = match kind {
            ConstraintKind::Index => format!("index{named}"),
            ConstraintKind::PrimaryKey => "the primary key".to_string(),
            _ => format!("unique constraint{named}"),
        };
        out.push((
            i,
            Diagnostic::new(
                Rule::SqliteAlterOutsideBatch,
                format!(
                    "downgrade() of '{}' drops column '{table}.{column}' with op.drop_column outside batch mode while {what} still holds it: SQLite refuses to drop such a column, so the rollback fails on SQLite",
                    g.migs[i].revision
                ),
                *range,
            )
            .with_fix(format!(
                "drop the {what} first, or drop the column in `with op.batch_alter_table('{table}') as batch_op:`"
            )),
        ));
    }
}

/// Column and constraint changes SQLite cannot make in place.
fn altered(g: &Graph<'_>, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, m) in g.migs.iter().enumerate() {
        let Some(down) = active_downgrade(m) else {
            continue;
        };
        for op in down {
            let Some(what) = refused(op) else {
                continue;
            };
            let table = q(op.table.as_ref());
            let (message, why) = match what {
                Refused::Column(changes) => (
                    format!(
                        "downgrade() of '{}' changes the {changes} of '{}' with op.alter_column outside batch mode",
                        m.revision,
                        op.target(),
                    ),
                    "SQLite has no ALTER COLUMN",
                ),
                Refused::AddedWith(constraint) => (
                    format!(
                        "downgrade() of '{}' adds column '{}' with {constraint} outside batch mode",
                        m.revision,
                        op.target(),
                    ),
                    "Alembic then adds the constraint, which SQLite cannot do (NotImplementedError)",
                ),
                Refused::Constraint(method) => (
                    format!(
                        "downgrade() of '{}' runs op.{method}({}) on {table} outside batch mode",
                        m.revision,
                        op.name.as_deref().map_or(String::new(), |n| format!("'{n}'")),
                    ),
                    "SQLite cannot alter a table's constraints (Alembic raises NotImplementedError)",
                ),
            };
            out.push((
                i,
                Diagnostic::new(
                    Rule::SqliteAlterOutsideBatch,
                    format!("{message}: {why}, so the rollback fails on SQLite"),
                    op.range,
                )
                .with_fix(format!(
                    "run it in `with op.batch_alter_table({table}) as batch_op:`, which copies the table on SQLite"
                )),
            ));
        }
    }
}

/// What SQLite refuses in a statement.
enum Refused {
    /// `alter_column`: the changes it makes ("nullability", "type", "default").
    Column(String),
    /// A constraint operation: its `op.` method.
    Constraint(&'static str),
    /// `add_column` of a column that declares a constraint: which.
    AddedWith(&'static str),
}

/// What `op` asks of SQLite that it cannot do in place, when it surely runs there: an
/// unconditional `op.*` call outside batch mode.
fn refused(op: &Operation) -> Option<Refused> {
    if op.batch.is_some() || !op.surely_runs_on(Dialects::SQLITE) {
        return None;
    }
    let method = match op.kind {
        OpKind::AlterColumn => {
            let changes = column_changes(op);
            return (!changes.is_empty()).then(|| Refused::Column(changes.join(", ")));
        }
        // Alembic adds the column's foreign key or unique constraint after the column.
        OpKind::AddColumn => {
            let c = op.columns.first()?;
            return if c.fk_table.is_some() {
                Some(Refused::AddedWith("a foreign key"))
            } else if c.unique {
                Some(Refused::AddedWith("a unique constraint"))
            } else {
                None
            };
        }
        // `drop_constraint(None, ...)` fails everywhere: MRT013 says so.
        OpKind::DropConstraint if !op.name_is_none => "drop_constraint",
        OpKind::CreateForeignKey => "create_foreign_key",
        OpKind::CreateUniqueConstraint => "create_unique_constraint",
        OpKind::CreateCheckConstraint => "create_check_constraint",
        OpKind::CreatePrimaryKey => "create_primary_key",
        _ => return None,
    };
    Some(Refused::Constraint(method))
}

/// What an `alter_column` changes besides the name: `nullable=` and `type_=` other than
/// `None`, and `server_default=` other than `False` (`None` drops the default).
fn column_changes(op: &Operation) -> Vec<&'static str> {
    let mut changes = Vec::new();
    let set = |name: &str, unchanged: &Value| {
        op.kwargs
            .iter()
            .any(|k| k.name == name && k.value != *unchanged)
    };
    if set("type_", &Value::None) {
        changes.push("type");
    }
    if set("nullable", &Value::None) {
        changes.push("nullability");
    }
    if set("server_default", &Value::Bool(false)) {
        changes.push("default");
    }
    changes
}
