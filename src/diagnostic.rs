//! The one diagnostic model every renderer reads, and the rule identities it names (codes,
//! names, patterns, default severities, aliases: the rule table). Ranges are byte offsets;
//! line and column are computed only at the edge ([`crate::scanner::source::Lines`]).
//! Nothing here depends on the rules' logic: `crate::rules` builds on this module.

use ruff_text_size::TextRange;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A finding as a rule reports it, before settings (overrides, suppressions) apply.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: Rule,
    pub message: String,
    pub fix: Option<String>,
    pub range: TextRange,
    /// This case's severity when it differs from the rule's default (a rule whose cases are
    /// not equally bad, e.g. MRT013 inside a swallowing `try`). A `severity_overrides` entry
    /// for the rule still wins.
    pub severity: Option<Severity>,
}

impl Diagnostic {
    #[must_use]
    pub fn new(rule: Rule, message: impl Into<String>, range: TextRange) -> Self {
        Diagnostic {
            rule,
            message: message.into(),
            fix: None,
            range,
            severity: None,
        }
    }

    /// Reports this case at `severity` instead of the rule's default.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// A finding ready for output: severity resolved, location in lines and columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub revision: String,
    pub file: String,
    pub rule: Rule,
    pub pattern: String,
    pub severity: Severity,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub fix: Option<String>,
}

/// The rule table, in code order: one line per rule (variant, rule file, stable code, kebab
/// name, pattern name, default severity, older pattern names). Passes the table to
/// `$callback`: [`Rule`] is declared from it here, the rule files in `crate::rules`.
macro_rules! rule_table {
    ($callback:ident) => {
        $callback! {
            DropColumn => drop_column, "MRT001", "drop-column", "DROP COLUMN", Error, ["DROP COLUMN in upgrade", "op.drop_column() in upgrade"];
            DropTable => drop_table, "MRT002", "drop-table", "DROP TABLE", Error, ["DROP TABLE in upgrade", "op.drop_table() in upgrade"];
            Truncate => truncate, "MRT003", "truncate", "TRUNCATE in migration", Error, ["TRUNCATE"];
            DeleteWithoutWhere => delete_without_where, "MRT004", "delete-without-where", "DELETE without WHERE", Error, [];
            NoopDowngrade => noop_downgrade, "MRT005", "noop-downgrade", "No-op downgrade", Error, ["noop downgrade", "def downgrade(): pass"];
            MissingDowngrade => missing_downgrade, "MRT006", "missing-downgrade", "Missing downgrade", Error, ["No downgrade() function", "No downgrade"];
            DowngradeRaises => downgrade_raises, "MRT007", "downgrade-raises", "Irreversible downgrade", Warning, ["downgrade raises"];
            CreateNotReversed => create_not_reversed, "MRT008", "create-not-reversed", "CREATE not reversed", Error, ["create not undone in downgrade"];
            RenameNotReversed => rename_not_reversed, "MRT009", "rename-not-reversed", "RENAME not reversed", Error, ["rename_table without reverse", "rename_column without reverse"];
            DropObjectNotRecreated => drop_object_not_recreated, "MRT010", "drop-object-not-recreated", "DROP VIEW without recreating", Error, ["DROP VIEW not recreated", "DROP TRIGGER without recreating", "DROP TYPE without recreating", "DROP SEQUENCE without recreating", "DROP FUNCTION without recreating"];
            EnumValueAdded => enum_value_added, "MRT011", "enum-value-added", "ENUM value added", Warning, ["ALTER TYPE ... ADD VALUE"];
            AddMigrateDrop => add_migrate_drop, "MRT012", "add-migrate-drop", "Add + migrate + drop", Error, ["Add + migrate data + drop original"];
            DropConstraintNone => drop_constraint_none, "MRT013", "drop-constraint-none", "DROP CONSTRAINT None", Error, [];
            BulkUpdateWithoutReverse => bulk_update_without_reverse, "MRT014", "bulk-update-without-reverse", "Bulk UPDATE without reverse", Warning, ["Bulk UPDATE without reverse UPDATE", "UPDATE without WHERE"];
            UnanalysableSql => unanalysable_sql, "MRT015", "unanalysable-sql", "could not analyse SQL", Warning, ["Raw op.execute()", "op.execute() with raw SQL"];
            DropIndexNotRecreated => drop_index_not_recreated, "MRT016", "drop-index-not-recreated", "DROP INDEX without recreating", Warning, [];
            DropConstraintNotRecreated => drop_constraint_not_recreated, "MRT017", "drop-constraint-not-recreated", "DROP CONSTRAINT without recreating", Warning, [];
            DropColumnObject => drop_column_object, "MRT018", "drop-column-object", "drop_column given a Column", Error, [];
            NotNullWithoutDefault => not_null_without_default, "MRT020", "not-null-without-default", "NOT NULL without server_default", Warning, ["NOT NULL without default"];
            ColumnTypeChange => column_type_change, "MRT021", "column-type-change", "Column type change", Warning, ["ALTER COLUMN type_=..."];
            ColumnTypeNarrowed => column_type_narrowed, "MRT022", "column-type-narrowed", "Column type narrowed", Error, ["narrowing type change"];
            IndexWithoutConcurrently => index_without_concurrently, "MRT023", "index-without-concurrently", "INDEX without CONCURRENTLY", Warning, ["CREATE INDEX without CONCURRENTLY", "DROP INDEX without CONCURRENTLY"];
            AddColumnVolatileDefault => add_column_volatile_default, "MRT024", "add-column-volatile-default", "ADD COLUMN with DEFAULT", Warning, ["ADD COLUMN with volatile default"];
            UniqueConstraintAdded => unique_constraint_added, "MRT025", "unique-constraint-added", "CREATE UNIQUE CONSTRAINT", Warning, ["unique constraint added"];
            OnDeleteCascade => on_delete_cascade, "MRT026", "on-delete-cascade", "ON DELETE CASCADE added", Warning, ["ON DELETE CASCADE"];
            SequenceChange => sequence_change, "MRT027", "sequence-change", "ALTER SEQUENCE / setval", Warning, ["ALTER SEQUENCE", "setval"];
            NotNullRawSql => not_null_raw_sql, "MRT028", "not-null-raw-sql", "NOT NULL via raw SQL without reverse", Warning, [];
            NotNullNotRestored => not_null_not_restored, "MRT029", "not-null-not-restored", "NOT NULL without restoring nullable", Warning, [];
            AlterColumnResetsNullability => alter_column_resets_nullability, "MRT030", "alter-column-resets-nullability", "ALTER COLUMN without existing_nullable", Warning, [];
            BulkInsertNotReversed => bulk_insert_not_reversed, "MRT031", "bulk-insert-not-reversed", "bulk_insert without reverse", Warning, ["Bulk INSERT without reverse"];
            DdlErrorSwallowed => ddl_error_swallowed, "MRT032", "ddl-error-swallowed", "DDL error swallowed", Warning, [];
            DjangoRemoveField => django_remove_field, "MRT040", "django-remove-field", "RemoveField", Error, [];
            DjangoDeleteModel => django_delete_model, "MRT041", "django-delete-model", "DeleteModel", Error, [];
            RunPythonWithoutReverse => run_python_without_reverse, "MRT042", "runpython-without-reverse", "RunPython without reverse", Error, ["RunPython without reverse_func", "RunPython without reverse_code"];
            RunSqlWithoutReverse => run_sql_without_reverse, "MRT043", "runsql-without-reverse", "RunSQL without reverse", Error, ["RunSQL without reverse_sql"];
            DjangoNotNullWithoutDefault => django_not_null_without_default, "MRT044", "django-not-null-without-default", "AddField NOT NULL without default", Warning, ["NOT NULL without default", "AlterField NOT NULL without default"];
            DjangoRename => django_rename, "MRT045", "django-rename", "RenameModel/RenameField", Warning, ["RenameField", "RenameModel"];
            DjangoAddIndexLocks => django_add_index_locks, "MRT046", "django-add-index-locks", "AddIndex without atomic = False", Warning, ["AddIndex"];
            DjangoSquashed => django_squashed, "MRT047", "django-squashed", "Squashed migration", Warning, [];
            MultipleHeads => multiple_heads, "MRT060", "multiple-heads", "Multiple heads", Error, [];
            MissingParent => missing_parent, "MRT061", "missing-parent", "Missing parent revision", Error, [];
            DuplicateRevision => duplicate_revision, "MRT062", "duplicate-revision", "Duplicate revision id", Error, [];
            RevisionCycle => revision_cycle, "MRT063", "revision-cycle", "Revision cycle", Error, [];
            OrphanRevision => orphan_revision, "MRT064", "orphan-revision", "Orphan revision", Warning, [];
            ColumnDataHole => column_data_hole, "MRT065", "column-data-hole", "Column dropped and re-added", Warning, [];
            DowngradeMissingObject => downgrade_missing_object, "MRT066", "downgrade-missing-object", "Downgrade drops a missing object", Error, [];
            DropReferencedTable => drop_referenced_table, "MRT067", "drop-referenced-table", "Downgrade drops a referenced table", Error, [];
            DowngradeSchemaDrift => downgrade_schema_drift, "MRT068", "downgrade-schema-drift", "Downgrade does not restore the schema", Warning, [];
            CreateExistingObject => create_existing_object, "MRT069", "create-existing-object", "Creates an existing object", Error, [];
            BatchCopiesGenerated => batch_copies_generated, "MRT070", "batch-copies-generated", "Batch copy inserts into a generated column", Error, [];
            ForeignKeyRestored => foreign_key_restored, "MRT071", "foreign-key-restored", "Downgrade restores a dropped foreign key", Warning, [];
            DropNeededByForeignKey => drop_needed_by_foreign_key, "MRT072", "drop-needed-by-foreign-key", "Downgrade drops what a foreign key needs (MySQL)", Error, [];
            SqliteAlterOutsideBatch => sqlite_alter_outside_batch, "MRT073", "sqlite-alter-outside-batch", "Downgrade alters outside batch mode (SQLite)", Error, [];
            MysqlAlterNeedsType => mysql_alter_needs_type, "MRT074", "mysql-alter-needs-type", "Downgrade alters without the type MySQL needs", Error, [];
            TypeRejectsArguments => type_rejects_arguments, "MRT075", "type-rejects-arguments", "Column type called with arguments it does not take", Error, [];
            EnumTypeLeftBehind => enum_type_left_behind, "MRT076", "enum-type-left-behind", "Downgrade leaves a table's enum type (PostgreSQL)", Error, [];
            SyntaxError => syntax_error, "MRT090", "syntax-error", "Syntax error", Error, [];
            UnreadableFile => unreadable_file, "MRT091", "unreadable-file", "Unreadable file", Error, [];
            UnusedSuppression => unused_suppression, "MRT092", "unused-suppression", "Unused suppression", Warning, [];
        }
    };
}
pub(crate) use rule_table;

/// The rule enum and its identity, from the rule table.
macro_rules! rule_enum {
    ($($variant:ident => $module:ident, $code:literal, $name:literal, $pattern:literal, $sev:ident, [$($alias:literal),*];)*) => {
        /// Every rule, by stable code. Never renumber.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $($variant),* }

        /// All rules in code order.
        pub const ALL: &[Rule] = &[$(Rule::$variant),*];

        impl Rule {
            /// Stable code, e.g. `MRT001`.
            #[must_use]
            pub fn code(self) -> &'static str { match self { $(Rule::$variant => $code),* } }
            /// Kebab-case name, e.g. `drop-column`.
            #[must_use]
            pub fn name(self) -> &'static str { match self { $(Rule::$variant => $name),* } }
            /// The pattern name shown in JSON `pattern` (and accepted in `severity_overrides`).
            #[must_use]
            pub fn pattern(self) -> &'static str { match self { $(Rule::$variant => $pattern),* } }
            #[must_use]
            pub fn default_severity(self) -> Severity { match self { $(Rule::$variant => Severity::$sev),* } }
            /// Other pattern names users of the earlier pytest-mrt wrote for the same thing.
            #[must_use]
            pub fn aliases(self) -> &'static [&'static str] { match self { $(Rule::$variant => &[$($alias),*]),* } }
        }
    };
}

rule_table!(rule_enum);
