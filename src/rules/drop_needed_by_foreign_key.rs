use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::model::DialectHint;
use crate::scanner::state::{Event, Phase, Replay, What};

use super::{Rule, runs_on};

declare_rule! {
    /// ## What it does
    /// Replays the revision chain into a symbolic schema and flags a `downgrade()` that drops
    /// what a foreign key still needs on MySQL and MariaDB: the only index the key can use,
    /// or one of the key's columns while the key stays.
    ///
    /// An index serves a key when its first columns are the key's, in order; the finding
    /// needs that no other index, unique constraint or primary key of the table does.
    ///
    /// Only objects the replay knows for certain are checked (for an index, every index and
    /// constraint of the table must be known), only statements that run unconditionally,
    /// and only in chains that run on MySQL or MariaDB: some revision shows it (a file that
    /// imports SQLAlchemy's MySQL dialect, an `if dialect == "mysql":` branch, a `mysql_*`
    /// argument).
    ///
    /// ## Why is this bad?
    /// InnoDB keeps an index on the columns of every foreign key. It makes one itself when
    /// the key is created, and drops it as soon as another index can serve; dropping that
    /// other index later is refused with error 1553, "Cannot drop index needed in a foreign
    /// key constraint", and so is dropping a column of the key (1828 on MySQL 8). PostgreSQL
    /// and SQLite drop a key together with its column, so the rollback passes there and stops
    /// half-way on MySQL and MariaDB (mlflow ae8bbe7743c9 drops `idx_guardrails_scorer`
    /// before the table whose foreign key uses it; airflow's base squash 4bc4d934e2bc drops
    /// seven such indexes before their tables).
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.add_column("orders", sa.Column("customer_id", sa.Integer()))
    ///     op.create_foreign_key("fk_orders_customer", "orders", "customers", ["customer_id"], ["id"])
    ///     op.create_index("ix_orders_customer", "orders", ["customer_id"])
    ///
    /// def downgrade():
    ///     op.drop_index("ix_orders_customer", table_name="orders")
    ///     op.drop_column("orders", "customer_id")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_constraint("fk_orders_customer", "orders", type_="foreignkey")
    ///     op.drop_index("ix_orders_customer", table_name="orders")
    ///     op.drop_column("orders", "customer_id")
    /// ```
    /// or drop the table before its indexes.
    pub struct DropNeededByForeignKey;
}

pub(crate) fn check(g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    let mut mysql = None;
    for (i, event) in replay.known_events() {
        let Event::ForeignKeyNeedsIt {
            phase: Phase::Downgrade,
            range,
            table,
            what,
            name,
            fk,
            columns,
        } = event
        else {
            continue;
        };
        if !*mysql.get_or_insert_with(|| runs_on(g, DialectHint::MySql)) {
            continue;
        }
        let columns = columns.join(", ");
        let key = fk
            .as_ref()
            .map_or_else(|| "its foreign key".to_string(), |n| format!("foreign key '{n}'"));
        let (what_it_is, fix) = if *what == What::Column {
            (
                format!("column '{table}.{name}', which {key} on ({columns}) still uses"),
                format!("drop {key} before the column"),
            )
        } else {
            (
                format!("index '{name}' of table '{table}', the only one {key} on ({columns}) can use"),
                format!(
                    "drop {key} (or the table) before the index, or keep an index that starts with ({columns})"
                ),
            )
        };
        out.push((
            i,
            Diagnostic::new(
                Rule::DropNeededByForeignKey,
                format!(
                    "downgrade() of '{}' drops {what_it_is}: MySQL and MariaDB refuse (error 1553), so the rollback fails there",
                    g.migs[i].revision
                ),
                *range,
            )
            .with_fix(fix),
        ));
    }
}
