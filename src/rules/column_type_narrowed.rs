use crate::diagnostic::Diagnostic;
use crate::scanner::model::MigrationAST;

use super::column_type_change::types;
use crate::diagnostic::Severity;
use crate::scanner::type_compare::{compare, show, text_lengths, Change};

declare_rule! {
    /// ## What it does
    /// Flags `upgrade()` type changes that narrow a column where the types say so:
    /// `String(200)` → `String(50)`, `Text` → `String(n)`, `BigInteger` → `Integer`,
    /// `Numeric(12, 2)` → `Numeric(8, 2)`, `Float` → `Integer`, `DateTime` → `Date`.
    ///
    /// ## Why is this bad?
    /// Existing values that do not fit are truncated or make the migration fail, and whatever was
    /// cut off cannot come back on rollback.
    ///
    /// ## Example
    /// ```python
    /// op.alter_column("posts", "title", type_=sa.String(50), existing_type=sa.String(200))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Check the data first: SELECT count(*) FROM posts WHERE length(title) > 50
    /// # and keep the wider type if anything would be cut.
    /// ```
    ///
    /// The old type is the one the revision chain shows when it knows it: an `existing_type`
    /// that disagrees with the chain (airflow b12d4f98a91e writes `sa.String()` for a `Uuid`
    /// column it turns into `String(50)`, which holds every UUID) is not taken at its word.
    ///
    /// ## Severity
    /// An error; a warning when a text type loses one character (`String(256)` →
    /// `String(255)`, superset 7f2635b51f5d): only a value of exactly the old maximum length
    /// does not fit, which is worth a check but rarely there.
    pub struct ColumnTypeNarrowed;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        let Some((old, new)) = types(op) else { continue };
        if compare(old, new) == Change::Narrowing {
            out.push(
                Diagnostic::new(
                    super::Rule::ColumnTypeNarrowed,
                    format!(
                        "upgrade() narrows {} from {} to {}: longer or larger values are cut or make the migration fail",
                        op.target(),
                        old.map_or_else(|| "?".to_string(), show),
                        show(new)
                    ),
                    op.range,
                )
                .with_fix("verify no existing value exceeds the new type, or keep the wider type"),
            );
            if let Some((a, b)) = old.and_then(|o| text_lengths(o, new))
                && a - b == 1
                && let Some(d) = out.last_mut()
            {
                d.severity = Some(Severity::Warning);
                d.message.push_str(&format!(
                    "; but only by one character: only a value of exactly {a} characters does not fit"
                ));
            }
        }
    }
}
