//! Raw SQL undone: the statements parsed out of one `op.execute` (or a SQLAlchemy Core
//! statement) inverted one by one, or, when one of them cannot be, a comment that says what
//! the statement does to data.

use super::undo::{Gen, constraint_type};
use crate::scanner::model::{OpKind, Operation};
use crate::toolbox::{one_line, py_str};

impl Gen<'_> {
    /// Undo raw SQL: the statements parsed out of one `execute` (or Django `RunSQL`).
    pub(super) fn undo_sql(&mut self, exec: &Operation, stmts: &[&Operation]) {
        let sql = exec.sql.as_deref().unwrap_or("");
        let shown = one_line(sql, 100);
        let changes: Vec<&&Operation> = stmts.iter().filter(|o| o.kind != OpKind::Read).collect();
        if exec.sql_error.is_none() && changes.is_empty() && !stmts.is_empty() {
            return; // SELECT only
        }
        let o = self.op_name.clone();
        let mut out = Vec::new();
        let mut why = None;
        if let Some(err) = &exec.sql_error {
            why = Some(format!(
                "mrt could not analyse this SQL ({err}); write its inverse here."
            ));
        }
        for s in changes.iter().rev() {
            if why.is_some() {
                break;
            }
            let stmt = inverse(&o, s);
            match stmt {
                Some(stmt) => out.push(stmt),
                None => why = Some(sql_loss(s)),
            }
        }
        match why {
            Some(why) => self.comment(vec![format!("NOT REVERSIBLE: SQL: {shown}"), why]),
            None => {
                self.reversed += 1;
                for stmt in out {
                    self.push(None, stmt);
                }
            }
        }
    }
}

/// The `op.*` call that undoes one parsed SQL statement, `None` when mrt knows none.
fn inverse(o: &str, s: &Operation) -> Option<String> {
    match (s.kind, s.table.as_deref(), s.name.as_deref()) {
        (OpKind::CreateTable, Some(t), _) => Some(format!("{o}.drop_table({})", py_str(t))),
        (OpKind::AddColumn, Some(t), _) => s
            .column
            .as_deref()
            .map(|c| format!("{o}.drop_column({}, {})", py_str(t), py_str(c))),
        (OpKind::CreateIndex, Some(t), Some(n)) => Some(format!(
            "{o}.drop_index({}, table_name={})",
            py_str(n),
            py_str(t)
        )),
        (OpKind::RenameTable, Some(t), _) => s
            .new_name
            .as_deref()
            .map(|n| format!("{o}.rename_table({}, {})", py_str(n), py_str(t))),
        (OpKind::RenameColumn, Some(t), _) => match (&s.column, &s.new_name) {
            (Some(c), Some(n)) => Some(format!(
                "{o}.alter_column({}, {}, new_column_name={})",
                py_str(t),
                py_str(n),
                py_str(c)
            )),
            _ => None,
        },
        (
            OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey,
            Some(t),
            Some(n),
        ) => {
            let type_ = constraint_type(s.kind);
            Some(format!(
                "{o}.drop_constraint({}, {}, type_={})",
                py_str(n),
                py_str(t),
                py_str(type_)
            ))
        }
        (OpKind::CreateView, _, Some(n)) => Some(format!(
            "{o}.execute({})",
            py_str(&format!("DROP VIEW {n}"))
        )),
        (OpKind::CreateSequence, _, Some(n)) => Some(format!(
            "{o}.execute({})",
            py_str(&format!("DROP SEQUENCE {n}"))
        )),
        // PostgreSQL spelling, as the upgrade's own SQL was.
        (OpKind::SetNotNull | OpKind::DropNotNull, Some(t), _) => s.column.as_deref().map(|c| {
            let action = if s.kind == OpKind::SetNotNull {
                "DROP"
            } else {
                "SET"
            };
            format!(
                "{o}.execute({})",
                py_str(&format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} {action} NOT NULL"
                ))
            )
        }),
        (OpKind::CreateType, _, Some(n)) => Some(format!(
            "{o}.execute({})",
            py_str(&format!("DROP TYPE {n}"))
        )),
        _ => None,
    }
}

/// What a raw SQL statement we cannot invert does to data.
fn sql_loss(s: &Operation) -> String {
    let t = s.table.clone().unwrap_or_else(|| "the table".into());
    let name = s.name.clone().unwrap_or_else(|| "it".into());
    match s.kind {
        OpKind::Update if s.backfill => format!(
            "it fills NULLs in {t}; which rows were NULL is not recorded, so the downgrade cannot put the NULLs back (often harmless)."
        ),
        OpKind::DropView
        | OpKind::DropTrigger
        | OpKind::DropType
        | OpKind::DropSequence
        | OpKind::DropFunction
        | OpKind::DropIndex => format!(
            "it drops {} {name}; mrt cannot see its definition, so re-create it here. No row data is lost.",
            s.kind.as_str().trim_start_matches("drop_")
        ),
        OpKind::DropConstraint => format!(
            "it drops constraint {name}; mrt cannot see its definition, so re-create it here."
        ),
        OpKind::AlterTypeAddValue => format!(
            "PostgreSQL cannot remove a value from enum type {name}; change the rows using it, then re-create the type without it."
        ),
        OpKind::Update => format!(
            "it rewrites rows of {t}; the previous values are not kept anywhere, so the downgrade cannot restore them."
        ),
        OpKind::Delete => format!("it deletes rows from {t}; they cannot come back."),
        OpKind::Truncate => format!("it empties {t}; its rows cannot come back."),
        OpKind::Insert => format!(
            "the rows it inserts into {t} stay after downgrade; delete them here if they must go."
        ),
        OpKind::DropColumn => format!(
            "it drops column {} and its values; they cannot come back.",
            s.target()
        ),
        OpKind::DropTable => format!("it drops table {t} with its rows; they cannot come back."),
        _ => "mrt knows no automatic inverse for this statement; write it here.".to_string(),
    }
}
