//! The normalized migration model every rule reads. Built once per file by
//! [`super::alembic`] or [`super::django`]; rules never walk the Python syntax tree.

use ruff_text_size::TextRange;

/// Which framework wrote the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    Alembic,
    Django,
}

impl Framework {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Alembic => "alembic",
            Framework::Django => "django",
        }
    }
}

/// `down_revision`: nothing (a base), one parent, or several (a merge).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Parents {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Parents {
    #[must_use]
    pub fn ids(&self) -> Vec<&str> {
        match self {
            Parents::None => Vec::new(),
            Parents::One(id) => vec![id.as_str()],
            Parents::Many(ids) => ids.iter().map(String::as_str).collect(),
        }
    }
}

/// Where an operation came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An Alembic `op.*` call (or a batch operation).
    Op,
    /// A statement inside raw SQL handed to `execute`.
    Sql,
    /// A Django `migrations.*` operation.
    Django,
}

/// What an operation does, normalized across Alembic calls, raw SQL and Django.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    AddColumn,
    DropColumn,
    AlterColumn,
    CreateTable,
    DropTable,
    RenameTable,
    RenameColumn,
    CreateIndex,
    DropIndex,
    CreateUniqueConstraint,
    CreateForeignKey,
    CreateCheckConstraint,
    CreatePrimaryKey,
    DropConstraint,
    /// `op.execute(...)` / `conn.execute(...)`: the container of raw SQL.
    Execute,
    BulkInsert,
    Truncate,
    Update,
    Delete,
    Insert,
    CreateView,
    DropView,
    CreateTrigger,
    DropTrigger,
    CreateType,
    DropType,
    AlterTypeAddValue,
    /// `ALTER TYPE old RENAME TO new`: `name` → `new_name`.
    RenameType,
    CreateSequence,
    DropSequence,
    AlterSequence,
    SetVal,
    CreateFunction,
    DropFunction,
    SetNotNull,
    DropNotNull,
    /// `ALTER INDEX a RENAME TO b`, `ALTER TABLE t RENAME CONSTRAINT a TO b`: `name` → `new_name`.
    RenameIndex,
    /// Reads nothing back into the schema: `SELECT`, `op.get_bind()`, `op.f(...)`.
    Read,
    /// A call to a function defined elsewhere (imported): effects unknown, but not nothing.
    Call,
    /// Any other recognised call (`op.create_table_comment`, `GRANT ...`, ...).
    Other,
    // Django operations.
    RemoveField,
    DeleteModel,
    AddField,
    AlterField,
    RenameField,
    RenameModel,
    AddIndex,
    AddIndexConcurrently,
    RemoveIndex,
    CreateModel,
    AddConstraint,
    RemoveConstraint,
    RunPython,
    RunSql,
}

impl OpKind {
    /// The name shown to custom checks (`Operation.kind`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::AddColumn => "add_column",
            OpKind::DropColumn => "drop_column",
            OpKind::AlterColumn => "alter_column",
            OpKind::CreateTable => "create_table",
            OpKind::DropTable => "drop_table",
            OpKind::RenameTable => "rename_table",
            OpKind::RenameColumn => "rename_column",
            OpKind::CreateIndex => "create_index",
            OpKind::DropIndex => "drop_index",
            OpKind::CreateUniqueConstraint => "create_unique_constraint",
            OpKind::CreateForeignKey => "create_foreign_key",
            OpKind::CreateCheckConstraint => "create_check_constraint",
            OpKind::CreatePrimaryKey => "create_primary_key",
            OpKind::DropConstraint => "drop_constraint",
            OpKind::Execute => "execute",
            OpKind::BulkInsert => "bulk_insert",
            OpKind::Truncate => "truncate",
            OpKind::Update => "update",
            OpKind::Delete => "delete",
            OpKind::Insert => "insert",
            OpKind::CreateView => "create_view",
            OpKind::DropView => "drop_view",
            OpKind::CreateTrigger => "create_trigger",
            OpKind::DropTrigger => "drop_trigger",
            OpKind::CreateType => "create_type",
            OpKind::DropType => "drop_type",
            OpKind::AlterTypeAddValue => "alter_type_add_value",
            OpKind::RenameType => "rename_type",
            OpKind::CreateSequence => "create_sequence",
            OpKind::DropSequence => "drop_sequence",
            OpKind::AlterSequence => "alter_sequence",
            OpKind::SetVal => "setval",
            OpKind::CreateFunction => "create_function",
            OpKind::DropFunction => "drop_function",
            OpKind::SetNotNull => "set_not_null",
            OpKind::DropNotNull => "drop_not_null",
            OpKind::RenameIndex => "rename_index",
            OpKind::Read => "read",
            OpKind::Call => "call",
            OpKind::Other => "other",
            OpKind::RemoveField => "RemoveField",
            OpKind::DeleteModel => "DeleteModel",
            OpKind::AddField => "AddField",
            OpKind::AlterField => "AlterField",
            OpKind::RenameField => "RenameField",
            OpKind::RenameModel => "RenameModel",
            OpKind::AddIndex => "AddIndex",
            OpKind::AddIndexConcurrently => "AddIndexConcurrently",
            OpKind::RemoveIndex => "RemoveIndex",
            OpKind::CreateModel => "CreateModel",
            OpKind::AddConstraint => "AddConstraint",
            OpKind::RemoveConstraint => "RemoveConstraint",
            OpKind::RunPython => "RunPython",
            OpKind::RunSql => "RunSQL",
        }
    }

    /// Operations that change nothing in the database by themselves. An `execute` is only a
    /// container: the statements parsed out of it count (see [`Function::changes_something`]).
    #[must_use]
    pub fn is_inert(self) -> bool {
        matches!(self, OpKind::Read | OpKind::Execute)
    }
}

/// A tiny evaluation of a Python expression: enough for rules to reason about literals.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    None,
    Int(i64),
    /// A call such as `sa.String(50)`: the dotted callee's last part and its positional literals.
    Call {
        name: String,
        args: Vec<Value>,
    },
    /// A dotted name such as `sa.Text` or `RunPython.noop`: its last part.
    Name(String),
    List(Vec<Value>),
    /// Anything else; rules only see its source text.
    Unknown,
}

impl Value {
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// A keyword argument: name, source text and evaluated value.
#[derive(Clone, Debug)]
pub struct Kwarg {
    pub name: String,
    pub text: String,
    pub value: Value,
}

/// A column definition (`sa.Column(...)`, a Django field, or a column in raw SQL).
#[derive(Clone, Debug, Default)]
pub struct ColumnSpec {
    pub name: String,
    /// The type as evaluated, e.g. `Call { name: "String", args: [Int(50)] }`.
    pub type_: Option<Value>,
    /// `Some(false)` for NOT NULL, `None` when not stated.
    pub nullable: Option<bool>,
    pub primary_key: bool,
    pub unique: bool,
    /// Source text of `server_default` (or SQL `DEFAULT`).
    pub server_default: Option<String>,
    /// A client-side `default=` (Python value): does not fill existing rows.
    pub has_default: bool,
    /// `ondelete=` of a foreign key declared on the column.
    pub fk_ondelete: Option<String>,
    /// The table a foreign key declared on the column points at (`sa.ForeignKey("t.id")`).
    pub fk_table: Option<String>,
    /// `index=True`: an index with a generated name.
    pub index: bool,
    /// A generated column (`sa.Computed(...)`, `GENERATED ALWAYS AS (...)`): the database
    /// computes its values from other columns of the row, so it holds no data of its own.
    pub generated: bool,
    /// The native enum type PostgreSQL creates with the table for this column
    /// (`sa.Enum("a", "b", name="kind")`), unless told not to (`create_type=False`,
    /// `native_enum=False`).
    pub pg_enum: Option<String>,
    /// The type is a generic SQLAlchemy one called with arguments it does not take
    /// (`sa.Integer(display_width=1)`): building the column raises `TypeError`. Its text.
    pub rejected_type: Option<String>,
    pub range: TextRange,
}

impl ColumnSpec {
    /// NOT NULL with no server default (and not a key the database fills): adding it fails
    /// on a table that has rows (MRT020).
    #[must_use]
    pub fn fails_on_filled_table(&self) -> bool {
        self.nullable == Some(false) && self.server_default.is_none() && !self.primary_key
    }
}

/// What a table-level constraint or index is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Index,
}

/// A constraint or index as declared: inside `create_table(...)` (`sa.ForeignKeyConstraint`,
/// `sa.UniqueConstraint`, ...), or by `create_index` / `create_foreign_key` / ... and their
/// SQL forms.
#[derive(Clone, Debug)]
pub struct ConstraintSpec {
    pub kind: ConstraintKind,
    /// `None` when the database generates the name.
    pub name: Option<String>,
    /// The columns it hangs on (local columns of a foreign key).
    pub columns: Vec<String>,
    /// The referenced table of a foreign key.
    pub ref_table: Option<String>,
    pub detail: KeyDetail,
}

/// What it takes to write a key or index again (`mrt fix`), beyond its kind, name and columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyDetail {
    /// The referenced columns of a foreign key, in order (empty: not known).
    pub ref_columns: Vec<String>,
    /// The SQL condition of a check constraint, when written as a literal.
    pub condition: Option<String>,
    /// An index is unique.
    pub unique: bool,
    /// A foreign key's `ON DELETE` action (`CASCADE`, `SET NULL`, ...).
    pub ondelete: Option<String>,
    /// A foreign key's `ON UPDATE` action.
    pub onupdate: Option<String>,
    /// A key declared `DEFERRABLE` (`Some(true)`) or `NOT DEFERRABLE` (`Some(false)`).
    pub deferrable: Option<bool>,
    /// `INITIALLY DEFERRED` / `IMMEDIATE`, as written.
    pub initially: Option<String>,
    /// A partial index's condition as SQL, per keyword it is given by (`postgresql_where`,
    /// `sqlite_where`; raw SQL's `WHERE` gives both).
    pub where_: Vec<(String, String)>,
    /// An index with an expression among its elements: every element in order, as SQL, and
    /// whether it is an expression (`lower(name)`, `created DESC`) rather than a column.
    /// Empty when all are plain columns (`columns` says them).
    pub elements: Vec<(bool, String)>,
    /// The kind, name, columns and this detail say all there is to a foreign key, check or
    /// index: no expressions, no `ondelete`, `postgresql_where` or other options the state
    /// does not keep. Only then may `mrt fix` write it again from the state.
    pub whole: bool,
}

/// The database dialects a statement can run on, from the `if dialect == "sqlite":` branches
/// around it (a bit set; every bit when unconditional).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dialects(pub u8);

impl Dialects {
    pub const POSTGRES: Dialects = Dialects(1);
    pub const MYSQL: Dialects = Dialects(2);
    pub const SQLITE: Dialects = Dialects(4);
    pub const MSSQL: Dialects = Dialects(8);
    pub const OTHER: Dialects = Dialects(16);
    pub const ALL: Dialects = Dialects(31);

    /// The dialect a name such as `"postgresql"` or `SQLiteDialect` stands for.
    #[must_use]
    pub fn named(name: &str) -> Option<Dialects> {
        let n = name.to_ascii_lowercase();
        if n.contains("sqlite") {
            Some(Dialects::SQLITE)
        } else if n.contains("postgres")
            || n == "pg"
            || n.starts_with("pgdialect")
            || n.contains("psycopg")
        {
            Some(Dialects::POSTGRES)
        } else if n.contains("mysql") || n.contains("mariadb") {
            Some(Dialects::MYSQL)
        } else if n.contains("mssql") {
            Some(Dialects::MSSQL)
        } else if n.contains("oracle") {
            Some(Dialects::OTHER)
        } else {
            None
        }
    }

    #[must_use]
    pub fn and(self, other: Dialects) -> Dialects {
        Dialects(self.0 & other.0)
    }

    #[must_use]
    pub fn or(self, other: Dialects) -> Dialects {
        Dialects(self.0 | other.0)
    }

    #[must_use]
    pub fn complement(self) -> Dialects {
        Dialects(!self.0 & Dialects::ALL.0)
    }

    /// Can a statement on `self` and one on `other` run in the same database?
    #[must_use]
    pub fn meets(self, other: Dialects) -> bool {
        self.0 & other.0 != 0
    }

    #[must_use]
    pub fn is_all(self) -> bool {
        self == Dialects::ALL
    }

    /// The one dialect the SQL parser knows that these are, when they are exactly that one
    /// (an `if dialect == "mysql":` branch); `None` for several, all, or one it does not know.
    #[must_use]
    pub fn only(self) -> Option<DialectHint> {
        match self {
            Dialects::POSTGRES => Some(DialectHint::Postgres),
            Dialects::MYSQL => Some(DialectHint::MySql),
            Dialects::SQLITE => Some(DialectHint::Sqlite),
            _ => None,
        }
    }
}

impl Default for Dialects {
    fn default() -> Self {
        Dialects::ALL
    }
}

/// One operation in upgrade() or downgrade(), or one Django operation.
#[derive(Clone, Debug)]
pub struct Operation {
    pub kind: OpKind,
    pub origin: Origin,
    pub table: Option<String>,
    pub column: Option<String>,
    /// Index, constraint, view, type, sequence or model name.
    pub name: Option<String>,
    /// New name of a rename; the added value of `ALTER TYPE ... ADD VALUE`.
    pub new_name: Option<String>,
    /// True when a name argument was written as the literal `None`.
    pub name_is_none: bool,
    pub kwargs: Vec<Kwarg>,
    pub columns: Vec<ColumnSpec>,
    /// SQL text (raw SQL operations) or the source text of the call.
    pub sql: Option<String>,
    /// For UPDATE / DELETE: whether a WHERE clause restricts it. For a SQL `SELECT`: whether
    /// anything restricts the rows it reads (WHERE, a join, HAVING, a limit).
    pub has_where: bool,
    /// For CREATE/DROP INDEX: `CONCURRENTLY` (or `postgresql_concurrently=True`).
    pub concurrently: bool,
    /// For CREATE INDEX: `UNIQUE`.
    pub unique: bool,
    /// For UPDATE: restricted to rows where a column IS NULL (a backfill).
    pub backfill: bool,
    /// For a SQLAlchemy Core UPDATE: every value it sets is a literal constant
    /// (`.values(state="gone")`), whatever Python read before it.
    pub constant_values: bool,
    /// Statement range: suppressions on any of its lines apply.
    pub range: TextRange,
    /// When raw SQL could not be analysed: the parser's complaint.
    pub sql_error: Option<String>,
    /// Table-level constraints and indexes this operation declares (see [`ConstraintSpec`]).
    pub constraints: Vec<ConstraintSpec>,
    /// Under an `if`, `try`, loop or `match`: it may not run.
    pub guarded: bool,
    /// Guarded by a condition, a loop, a `match` or a dialect branch, not only by a `try`: it
    /// may not run even when nothing fails.
    pub conditional: bool,
    /// `IF EXISTS` / `IF NOT EXISTS` (SQL) or `if_exists=True` / `if_not_exists=True`.
    pub if_exists: bool,
    /// Data flow: the columns of `table` this statement writes (`UPDATE t SET a = ...` → `a`,
    /// `INSERT INTO t (a, b)` → `a`, `b`; `*` when any column may be written).
    pub writes: Vec<String>,
    /// Data flow: the columns this statement reads, as (table, column); `*` for every column
    /// (`INSERT INTO t SELECT * FROM s`, `SELECT id, value FROM variable`).
    pub reads: Vec<(String, String)>,
    /// Data flow: the columns the WHERE of a write reads (the key of a re-join: the rows
    /// written depend on them, the values do not).
    pub filter_reads: Vec<(String, String)>,
    /// Data flow: the written columns whose new value is another column read as is, as
    /// (written column, (table, column)): `UPDATE t SET new = old`, or `row.new = row.old`
    /// for ORM rows. A verbatim copy, unlike `SET flag = (old IS NOT NULL)`.
    pub copies: Vec<(String, (String, String))>,
    /// Django `RunPython`: the first call in its function that writes rows (`.save()`) and
    /// where it is.
    pub data_write: Option<(String, TextRange)>,
    /// The dialects the statement runs on (`if dialect == "sqlite": ...` around it).
    pub dialects: Dialects,
    /// Inside a `try:` whose `except` handlers swallow the error (`pass`, a log line): the
    /// range of that `try` statement.
    pub swallowed: Option<TextRange>,
    /// Only runs in Alembic's offline mode (`if context.is_offline_mode():`), where a
    /// migration emits SQL for a script instead of running it and cannot move data.
    pub offline: bool,
    /// The migration's own words that the data this statement destroys is derived
    /// (regenerated, re-populated, a cache): see [`super::notes::derived_note`].
    pub derived: Option<String>,
    /// `bulk_insert` of rows written out in the file (a literal list), not rows built from
    /// data read earlier.
    pub literal_rows: bool,
    /// For a `bulk_insert` whose rows are dicts of literals only (`[{"id": 1, "name":
    /// "tag"}]`): those rows, in order, each its entries sorted by key, as one text that
    /// compares equal for the same rows however they are spelled.
    pub literal_row_values: Option<String>,
    /// A `SELECT COUNT(*) FROM t` whose result makes the code leave when it is not zero
    /// (`if n[0] > 0: return`): past it, `table` has no rows.
    pub asserts_empty: bool,
    /// A read whose result Python takes as one row (`conn.execute(...).scalar()`, `.first()`,
    /// `.fetchone()`), outside any loop: it keeps one row's values, not a column's.
    pub one_row: bool,
    /// A Core DELETE / UPDATE whose WHERE tests the table object's `.name` (a Python string,
    /// the table's name) instead of a column (`.c.name`): `tables.logentrykind.name ==
    /// op.inline_literal("x")` renders `WHERE 'x' = 'logentrykind'`, which no row matches.
    pub where_names_table: bool,
    /// Made inside a function the file imports from its own project (`create_table(...)` of
    /// `app.migrations.utils`): the name the file calls it by. `range` is that call's.
    pub imported: Option<String>,
    /// Made inside a function of the module that `upgrade()` calls: the range of that call in
    /// `upgrade()` (the outermost one when such functions call each other).
    pub via: Option<TextRange>,
    /// `drop_column` given a `Column` object (`sa.Column("x")`) where Alembic wants the
    /// column's name: Alembic raises a `TypeError` at run time. `column` holds the name the
    /// object was given, so that other rules read the intent and only MRT018 reports it.
    pub column_object: bool,
    /// For SQL `CREATE TABLE child PARTITION OF parent` (PostgreSQL): the parent table.
    pub partition_of: Option<String>,
    /// For a SQL DELETE whose WHERE only ORs `IS NOT NULL` tests on the table's own columns
    /// (`WHERE c IS NOT NULL OR d IS NOT NULL`): those columns, lower-case. Every row it keeps
    /// holds NULL in each of them.
    pub nulled: Vec<String>,
    /// The `with op.batch_alter_table(...)` block the operation belongs to, if any.
    pub batch: Option<BatchBlock>,
    /// An `op.*` call that spreads arguments (`*args`, `**kwargs`): which of them it passes is
    /// not in the source.
    pub spread: bool,
}

impl Operation {
    #[must_use]
    pub fn new(kind: OpKind, origin: Origin, range: TextRange) -> Self {
        Operation {
            kind,
            origin,
            table: None,
            column: None,
            name: None,
            new_name: None,
            name_is_none: false,
            kwargs: Vec::new(),
            columns: Vec::new(),
            sql: None,
            has_where: true,
            concurrently: false,
            unique: false,
            backfill: false,
            constant_values: false,
            range,
            sql_error: None,
            constraints: Vec::new(),
            asserts_empty: false,
            guarded: false,
            conditional: false,
            if_exists: false,
            writes: Vec::new(),
            reads: Vec::new(),
            filter_reads: Vec::new(),
            copies: Vec::new(),
            data_write: None,
            dialects: Dialects::ALL,
            swallowed: None,
            offline: false,
            derived: None,
            literal_rows: false,
            literal_row_values: None,
            one_row: false,
            where_names_table: false,
            imported: None,
            via: None,
            column_object: false,
            partition_of: None,
            nulled: Vec::new(),
            batch: None,
            spread: false,
        }
    }

    /// An operation read in another file (a helper the migration imports) is made by the
    /// migration's call of it: every range points at that call, `range`.
    pub fn relocate(&mut self, range: TextRange, via: &str) {
        self.range = range;
        if self.swallowed.is_some() {
            self.swallowed = Some(range);
        }
        for c in &mut self.columns {
            c.range = range;
        }
        if let Some((_, r)) = &mut self.data_write {
            *r = range;
        }
        self.imported = Some(via.to_string());
    }

    /// Does this statement read `table.column` (or every column of `table`)?
    #[must_use]
    pub fn reads_column(&self, table: &str, column: &str) -> bool {
        self.reads
            .iter()
            .chain(&self.filter_reads)
            .any(|(t, c)| same_name(t, table) && (c == "*" || same_name(c, column)))
    }

    /// Does this statement write `table.column` (or possibly every column of `table`)?
    #[must_use]
    pub fn writes_column(&self, table: &str, column: &str) -> bool {
        self.table.as_deref().is_some_and(|t| same_name(t, table))
            && self.writes.iter().any(|c| c == "*" || same_name(c, column))
    }

    #[must_use]
    pub fn kwarg(&self, name: &str) -> Option<&Kwarg> {
        self.kwargs.iter().find(|k| k.name == name)
    }

    #[must_use]
    pub fn kwarg_value(&self, name: &str) -> Option<&Value> {
        self.kwarg(name).map(|k| &k.value)
    }

    /// An `op.*` call of the migration's own (not a project helper's) that runs whenever the
    /// function does on `dialect`: under no condition or dialect branch that excludes it, not
    /// in a `try` that swallows its error, not only in offline mode. The statements a rule
    /// can say a database refuses.
    #[must_use]
    pub fn surely_runs_on(&self, dialect: Dialects) -> bool {
        self.origin == Origin::Op
            && !self.conditional
            && self.swallowed.is_none()
            && !self.offline
            && self.imported.is_none()
            && self.dialects.meets(dialect)
    }

    /// Does this statement create the object called `name`: the table of a CREATE TABLE, the
    /// column of an ADD COLUMN, the index or constraint of a CREATE INDEX / ADD CONSTRAINT?
    #[must_use]
    pub fn creates_named(&self, name: &str) -> bool {
        let created = match self.kind {
            OpKind::CreateTable => self.table.as_deref(),
            OpKind::AddColumn => self.column.as_deref(),
            OpKind::CreateIndex
            | OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey => self.name.as_deref(),
            _ => None,
        };
        created.is_some_and(|c| same_name(c, name))
    }

    /// `table.column` (or just one of them) for messages.
    #[must_use]
    pub fn target(&self) -> String {
        match (&self.table, &self.column) {
            (Some(t), Some(c)) if is_unresolved(t) || is_unresolved(c) => {
                format!("{}.{}", display_name(t), display_name(c))
            }
            (Some(t), Some(c)) => format!("{t}.{c}"),
            (Some(t), None) => display_name(t),
            (None, Some(c)) => display_name(c),
            (None, None) => "?".to_string(),
        }
    }
}

/// What a function body amounts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// Only `pass`, a docstring, `...` or comments.
    Empty,
    /// Starts by raising: irreversible by declaration.
    Raises,
    /// Does something.
    Active,
}

/// `upgrade()` or `downgrade()`.
#[derive(Clone, Debug)]
pub struct Function {
    /// The `def name(...)` header: where function-level findings point.
    pub header: TextRange,
    pub body: BodyKind,
    pub is_async: bool,
    pub ops: Vec<Operation>,
    /// When the body does nothing: its own words that nothing needs undoing, because the
    /// upgrade repairs a bug or an inconsistency ([`super::notes::repair_note`]).
    pub repair_note: Option<String>,
    /// The module calls `.drop(...)` on something or runs `DROP TYPE`: it may drop enum
    /// types (`sa.Enum(name="kind").drop(bind)` is not an operation the scanner reads).
    pub may_drop_types: bool,
}

impl Function {
    /// True when the function changes the database.
    #[must_use]
    pub fn changes_something(&self) -> bool {
        // SQL that could not be read may change anything.
        self.body == BodyKind::Active
            && self
                .ops
                .iter()
                .any(|op| !op.kind.is_inert() || op.sql_error.is_some())
    }
}

/// A `with op.batch_alter_table(...)` block: on SQLite, Alembic runs most of its operations
/// by copying the table into a new one (a "move and copy").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchBlock {
    /// The `batch_alter_table(...)` call: one per block, so it tells the blocks apart.
    pub call: TextRange,
    pub recreate: Recreate,
}

/// The block's `recreate=` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recreate {
    /// `"auto"` (the default): copy the table when an operation needs it.
    Auto,
    Always,
    Never,
}

/// A `# mrt: ignore[...]` / `# noqa: MRT...` comment.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub range: TextRange,
    /// Upper-case codes; empty means "every rule".
    pub codes: Vec<String>,
}

/// Which SQL dialect the file most likely targets (from its imports and keyword arguments).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DialectHint {
    #[default]
    Unknown,
    Postgres,
    MySql,
    Sqlite,
}

/// One parsed migration file.
#[derive(Clone, Debug)]
pub struct MigrationAST {
    pub path: String,
    pub framework: Framework,
    /// `revision` (Alembic) or the file stem (Django, or when none is declared).
    pub revision: String,
    /// The first line of the module docstring (Alembic's revision message); may be empty.
    pub title: String,
    pub revision_declared: bool,
    pub revision_range: TextRange,
    pub down_revision: Parents,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub upgrade: Option<Function>,
    pub downgrade: Option<Function>,
    /// Django: `atomic = False` on the Migration class.
    pub atomic: bool,
    /// Django: `replaces = [...]` (a squashed migration) and its length.
    pub replaces: usize,
    /// Django: the Migration class header.
    pub class_range: TextRange,
    pub suppressions: Vec<Suppression>,
    /// The SQL dialect the file most likely targets (imports, `postgresql_*` arguments).
    pub dialect: DialectHint,
    /// Tables created by this migration's upgrade (for "existing table" rules).
    pub created_tables: Vec<String>,
    /// Django: what the project-state replay reads ([`super::django_state`]).
    pub django: Option<Box<super::django_facts::DjangoFacts>>,
}

impl MigrationAST {
    #[must_use]
    pub fn upgrade_ops(&self) -> &[Operation] {
        self.upgrade.as_ref().map_or(&[], |f| f.ops.as_slice())
    }

    #[must_use]
    pub fn downgrade_ops(&self) -> &[Operation] {
        self.downgrade.as_ref().map_or(&[], |f| f.ops.as_slice())
    }

    /// Was `table` created earlier in this same migration's upgrade?
    #[must_use]
    pub fn creates_table(&self, table: &str) -> bool {
        self.created_tables
            .iter()
            .any(|t| t.eq_ignore_ascii_case(table))
    }
}

/// A name that is a Python expression only known at run time (`{fk_name}`,
/// `{Model.__tablename__}` when the model could not be read): see [`super::python::unresolved`].
#[must_use]
pub fn is_unresolved(name: &str) -> bool {
    name.starts_with('{')
        && name.ends_with('}')
        && name[1..].find(['{', '}']) == Some(name.len() - 2)
}

/// A name for messages: an unresolved expression is shown as written, marked `(unresolved)`.
#[must_use]
pub fn display_name(name: &str) -> String {
    if is_unresolved(name) {
        format!("{} (unresolved)", &name[1..name.len() - 1])
    } else {
        name.to_string()
    }
}

/// Case-insensitive name equality, ignoring surrounding quotes. A name qualified by its schema
/// (`users.tokens`) is the unqualified one (`tokens`), which the search path finds; two
/// different schemas' tables are not the same (`users.tokens`, `oauth.tokens`).
#[must_use]
pub fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_matches('"'), b.trim_matches('"'));
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    match (a.rsplit_once('.'), b.rsplit_once('.')) {
        (Some((_, base)), None) => base.trim_matches('"').eq_ignore_ascii_case(b),
        (None, Some((_, base))) => base.trim_matches('"').eq_ignore_ascii_case(a),
        _ => false,
    }
}

/// `table` in `schema` (`schema=` of an `op.*` call): `users.tokens`. PostgreSQL's default
/// schema, a name already qualified, or no schema leave it as it is.
#[must_use]
pub fn in_schema(table: String, schema: Option<&str>) -> String {
    match schema {
        Some(s) if !s.is_empty() && !s.eq_ignore_ascii_case("public") && !table.contains('.') => {
            format!("{s}.{table}")
        }
        _ => table,
    }
}

/// The name a constraint or index was given, when `full` is that name under SQLAlchemy's
/// usual naming convention for `table` (`ck_%(table_name)s_%(constraint_name)s`, and the same
/// with `uq`, `fk`, `ix`, `pk`): `ck_folders_is_hidden` on `folders` → `is_hidden`. With a
/// convention on the metadata, Alembic names `op.create_check_constraint("is_hidden", "folders",
/// ...)` so, and a downgrade drops it by that full name (indico does throughout).
#[must_use]
pub fn convention_base<'n>(full: &'n str, table: &str) -> Option<&'n str> {
    let table = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
    let full = full.trim_matches('"');
    let (prefix, rest) = full.split_once('_')?;
    if !["ck", "uq", "fk", "ix", "pk"]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(prefix))
    {
        return None;
    }
    let head = rest.get(..table.len())?;
    let base = rest.get(table.len()..)?.strip_prefix('_')?;
    (head.eq_ignore_ascii_case(table) && !base.is_empty()).then_some(base)
}

/// Is `dropped` the name `created` was given on `table`: the same name, or its full name under
/// a naming convention (see [`convention_base`])?
#[must_use]
pub fn same_object_name(created: &str, dropped: &str, table: &str) -> bool {
    same_name(created, dropped)
        || convention_base(dropped, table).is_some_and(|base| same_name(base, created))
}

/// Compare two optional names.
#[must_use]
pub fn same_opt(a: Option<&String>, b: Option<&String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_name(a, b),
        _ => false,
    }
}
