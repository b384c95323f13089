//! The symbolic schema: the operations of every revision replayed in graph order (one linear
//! pass), so that rules can ask what exists at each point of the chain.
//!
//! For each revision the replay applies `upgrade()` to the state of its ancestors, then runs
//! `downgrade()` on a journal over that state, compares the touched objects with the state
//! before the upgrade, and rolls the downgrade back. The work per revision is proportional to
//! what the revision touches, not to the size of the schema.
//!
//! Precision before recall: anything the replay cannot model makes the object it touches
//! *unknown* (or the whole revision, when the target cannot be named), and rules never fire on
//! unknown objects. A chain whose base does not create tables starts *open*: tables it has not
//! seen are unknown, never missing.

use std::collections::{HashMap, HashSet};

use ruff_text_size::TextRange;

use super::graph::Graph;
use super::model::{
    BatchBlock, BodyKind, ColumnSpec, ConstraintKind, ConstraintSpec, Dialects, Function,
    KeyDetail, MigrationAST, OpKind, Operation, Recreate, Value, convention_base,
};

/// One column of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub type_: Option<Value>,
    /// `None`: not known.
    pub nullable: Option<bool>,
    /// Source text of the server default; `None` is "none" only when `default_known`.
    pub default: Option<String>,
    pub default_known: bool,
    /// Computed by the database from other columns (`sa.Computed`): it holds no data.
    pub generated: bool,
}

/// Where the current definition of a column was written: the revision (graph index) whose
/// upgrade wrote it, and the range of its `Column(...)` call in that file. `mrt fix` copies it
/// to bring a dropped column back, or reads the old type of an altered one from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Definition {
    pub rev: usize,
    pub range: TextRange,
}

/// How a column's current definition was written, for `mrt fix`: the `Column(...)` call that
/// created it, and what `alter_column` calls changed since (their argument text). Renames and
/// alters keep the call: the fix writes the column again from it with the state's name, type,
/// nullability and default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnText {
    /// The `Column(...)` call of the `create_table`/`add_column` that made it.
    pub created: Option<Definition>,
    /// The call still says it all: no alter or rename since.
    pub whole: bool,
    /// The `type_=` text of the last `alter_column` that changed the type (Python source of
    /// that revision); `None`: the type is still the created one.
    pub type_: Option<String>,
    /// The `server_default=` of the last `alter_column` that set it: `Some(None)` when it was
    /// removed; `None`: still the created one.
    pub server_default: Option<Option<String>>,
}

/// An index or a constraint of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub kind: ConstraintKind,
    /// `None`: named by the database or a naming convention.
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: Option<String>,
    /// Referenced columns, check condition, index uniqueness: for `mrt fix` to write it again.
    pub detail: KeyDetail,
    /// False when code we could not read may have dropped it.
    pub sure: bool,
}

/// A table as far as the replay knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    /// Created (or last renamed) by an operation the replay read, unconditionally.
    pub sure: bool,
    /// Its columns, indexes and constraints are all known.
    pub complete: bool,
    /// Some index or constraint has a generated name (the set of names is not closed).
    pub generated_names: bool,
    pub columns: Vec<Column>,
    pub objects: Vec<Object>,
    /// The revision (graph index) whose upgrade created it.
    pub created_by: usize,
    /// Created only if missing, on every dialect and under no condition: by a `CREATE` in a
    /// `try` that swallows its error, or `IF NOT EXISTS`. The table is there afterwards either
    /// way, created then or there before, though its shape is not known (privacyidea creates
    /// its tables so, for installs made before its migrations).
    pub only_if_missing: bool,
}

impl Table {
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    #[must_use]
    pub fn object(&self, name: &str) -> Option<&Object> {
        let named = |name: &str| {
            self.objects.iter().find(|o| {
                o.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        };
        // `ck_folders_is_hidden` is `is_hidden` under a naming convention.
        named(name).or_else(|| convention_base(name, &self.name).and_then(named))
    }

    /// Foreign keys known to point at `target` (self references excluded).
    pub fn references<'t>(&'t self, target: &'t str) -> impl Iterator<Item = &'t Object> + 't {
        self.objects.iter().filter(move |o| {
            o.kind == ConstraintKind::ForeignKey
                && o.sure
                && !self.name.eq_ignore_ascii_case(target)
                && o.ref_table
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(target))
        })
    }
}

/// A slot of the state: present, or known to be gone.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot<T> {
    Present(T),
    /// Dropped by an operation the replay read: certainly absent.
    Gone,
}

/// Views, types and sequences: existence only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OtherKind {
    View,
    Type,
    Sequence,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Other {
    pub sure: bool,
    pub created_by: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Table(String),
    Other(OtherKind, String),
}

#[derive(Clone, Debug)]
enum Saved {
    Table(String, Option<Slot<Table>>),
    Other(OtherKind, String, Option<Slot<Other>>),
    Closed(bool),
}

/// The symbolic schema at one point of the chain.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    tables: HashMap<String, Slot<Table>>,
    others: HashMap<(OtherKind, String), Slot<Other>>,
    /// Every object that exists was created by an operation the replay read: an object it has
    /// not seen is absent. False for chains whose base starts on existing tables, and after
    /// code that may create anything.
    pub closed: bool,
    journal: Option<Vec<Saved>>,
    saved_keys: HashSet<Key>,
    /// Referenced table → tables that declared a foreign key to it at some point (a superset:
    /// checked against the tables on use, never pruned).
    fk_sources: HashMap<String, Vec<String>>,
    /// (table, column), lower-case → how its definition was written. Kept apart from the
    /// tables: it is for `mrt fix`, and never part of comparing two states.
    definitions: HashMap<(String, String), ColumnText>,
    /// Index or constraint name, lower-case → the `op.create_*` call that made it (its
    /// statement range). For `mrt fix` too.
    object_definitions: HashMap<String, Definition>,
    /// Follow [`Schema::definition`]s: only [`Replay::schema_before`] (for `mrt fix`) needs them,
    /// so the scan's replay does not pay for them.
    keep_definitions: bool,
    /// Lower-case table → where its rows came from, for tables whose every row an upgrade
    /// wrote is a copy of other tables' rows. Kept apart from the tables (data, not schema);
    /// only upgrades change it, so a downgrade's rollback never needs to restore it.
    copied_rows: HashMap<String, CopiedRows>,
    /// (table, column), lower-case → the columns its values were computed from, for columns
    /// an upgrade added (or created with their table) whose every value an upgrade wrote was
    /// computed from other columns (see [`CopiedValues`]). Changed by upgrades only, as
    /// `copied_rows`.
    copied_values: HashMap<(String, String), CopiedValues>,
    /// (table, column), lower-case → the columns of `copied_values` an upgrade copied its
    /// values into as is (see [`CopiedValues::verbatim`]), each with the revision (graph
    /// index) of the copy: checked against `copied_values` on use, never pruned.
    copied_into: HashMap<ColumnKey, Vec<(ColumnKey, usize)>>,
    /// Table, lower-case → the tables of `copied_rows` an upgrade copied all its rows into
    /// (see [`CopiedRows::whole`]), each with the revision of the copy: checked against
    /// `copied_rows` on use, never pruned.
    rows_copied_into: HashMap<String, Vec<(String, usize)>>,
    /// Some table was named with its schema (`users.tokens`): names are then looked up with
    /// and without one (see [`Schema::key_of`]).
    qualified: bool,
}

/// A column added empty by an upgrade (`created_by`, a graph index; no server default) whose
/// values, as far as the upgrades show, were all computed from the columns `from` (`UPDATE t
/// SET flag = (data IS NOT NULL)`, `INSERT INTO t (link) SELECT id FROM s`): derived data.
#[derive(Clone, Debug, Default)]
pub struct CopiedValues {
    pub created_by: usize,
    pub from: Vec<(String, String)>,
    /// The columns of `from` copied into it as is, on the same rows (`UPDATE t SET new =
    /// old`, `row.new = row.old`) or with their row's primary key beside them (`INSERT INTO
    /// t2 (t_id, new) SELECT id, old FROM t`): their values are held here too.
    pub verbatim: Vec<(String, String)>,
}

/// A table created empty by an upgrade (`created_by`, a graph index) whose rows, as far as
/// the upgrades show, were all copied from `from` (INSERT ... SELECT, or rows read and written
/// back in Python): a derived table, such as a shadow copy of a new data model.
#[derive(Clone, Debug, Default)]
pub struct CopiedRows {
    pub created_by: usize,
    pub from: Vec<String>,
    /// Every write was a copy of all the rows and columns of one table, the only one in
    /// `from` (`INSERT INTO copy SELECT * FROM t`): the table holds that table's rows.
    pub whole: bool,
    /// Rows written as literals by `bulk_insert` (see `Operation::literal_row_values`), in
    /// order: a lookup table the migrations seeded, when `from` is empty.
    pub seeds: Vec<String>,
    /// Some write added rows (an INSERT, not only UPDATEs of rows the application wrote).
    pub inserted: bool,
}

/// (table, column), lower-case.
type ColumnKey = (String, String);

fn key(name: &str) -> String {
    name.trim_matches('"')
        .trim_matches('`')
        .to_ascii_lowercase()
}

/// Does `op`'s Python text say what it does on every database: a plain `op.*` call, not
/// guarded and not in a branch for some dialects (the replay applies every branch in turn, so
/// its text would be another dialect's)?
fn written_for_all(op: &Operation) -> bool {
    !op.guarded && op.origin == super::model::Origin::Op && op.dialects.is_all()
}

/// A name the replay can use: a literal, not built at run time nor an unresolved expression.
#[must_use]
pub fn usable(name: Option<&String>) -> Option<&str> {
    let n = name?.as_str();
    if n.is_empty() || n.contains(['{', '(', ' ']) || n.contains("__tablename__") {
        None
    } else {
        Some(n)
    }
}

/// What the replay knows about whether an object exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existence {
    Present,
    Absent,
    Unknown,
}

impl Schema {
    fn save(&mut self, k: Key) {
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        if !self.saved_keys.insert(k.clone()) {
            return;
        }
        journal.push(match k {
            Key::Table(name) => {
                let old = self.tables.get(&name).cloned();
                Saved::Table(name, old)
            }
            Key::Other(kind, name) => {
                let old = self.others.get(&(kind, name.clone())).cloned();
                Saved::Other(kind, name, old)
            }
        });
    }

    fn start_journal(&mut self) {
        self.journal = Some(vec![Saved::Closed(self.closed)]);
        self.saved_keys.clear();
    }

    fn take_journal(&mut self) -> Vec<Saved> {
        self.saved_keys.clear();
        self.journal.take().unwrap_or_default()
    }

    fn rollback(&mut self, journal: Vec<Saved>) {
        for saved in journal.into_iter().rev() {
            match saved {
                Saved::Table(name, Some(slot)) => {
                    self.tables.insert(name, slot);
                }
                Saved::Table(name, None) => {
                    self.tables.remove(&name);
                }
                Saved::Other(kind, name, Some(slot)) => {
                    self.others.insert((kind, name), slot);
                }
                Saved::Other(kind, name, None) => {
                    self.others.remove(&(kind, name));
                }
                Saved::Closed(c) => self.closed = c,
            }
        }
    }

    /// Where the column's current definition was written, when one `Column(...)` call of an
    /// upgrade says it all (not altered or renamed since).
    #[must_use]
    pub fn definition(&self, table: &str, column: &str) -> Option<Definition> {
        let written = self.written(table, column)?;
        written.whole.then_some(written.created?)
    }

    /// How the column's current definition was written: the call that created it and what
    /// `alter_column` changed since. `None` when code the replay could not read (a guarded or
    /// raw SQL change) touched it.
    #[must_use]
    pub fn written(&self, table: &str, column: &str) -> Option<&ColumnText> {
        self.definitions.get(&(key(table), key(column)))
    }

    /// Where the index or constraint `name` of `table` was created: an unconditional
    /// `op.create_*` call of an upgrade, not dropped or re-created since.
    #[must_use]
    pub fn object_definition(&self, table: &str, name: &str) -> Option<Definition> {
        let table = self.table(table)?;
        table.object(name).filter(|o| o.sure)?;
        self.object_definitions.get(&key(name)).copied()
    }

    /// Follow one upgrade's operations for [`Schema::written`]: columns created by
    /// `create_table`/`add_column` are defined there; `alter_column` and renames record what
    /// they change; a drop, or a change the replay cannot read as Python text (guarded, raw
    /// SQL), forgets the column.
    fn note_definitions(&mut self, ops: &[Operation], rev: usize) {
        if !self.keep_definitions {
            return;
        }
        for op in ops {
            self.note_object_definition(op, rev);
            let Some(table) = usable(op.table.as_ref()).map(key) else {
                continue;
            };
            let forget_table = |defs: &mut HashMap<(String, String), ColumnText>| {
                defs.retain(|(t, _), _| *t != table);
            };
            let plain = written_for_all(op);
            match op.kind {
                OpKind::CreateTable | OpKind::AddColumn => {
                    if op.kind == OpKind::CreateTable {
                        forget_table(&mut self.definitions);
                    }
                    for spec in &op.columns {
                        let Some(column) = usable(Some(&spec.name)).map(key) else {
                            continue;
                        };
                        if plain {
                            let created = Definition {
                                rev,
                                range: spec.range,
                            };
                            let text = ColumnText {
                                created: Some(created),
                                whole: true,
                                ..ColumnText::default()
                            };
                            self.definitions.insert((table.clone(), column), text);
                        } else {
                            self.definitions.remove(&(table.clone(), column));
                        }
                    }
                }
                OpKind::AlterColumn
                | OpKind::RenameColumn
                | OpKind::DropColumn
                | OpKind::SetNotNull
                | OpKind::DropNotNull => self.note_column_change(table, op),
                OpKind::RenameTable => {
                    let moved: Vec<_> = self
                        .definitions
                        .iter()
                        .filter(|((t, _), _)| *t == table)
                        .map(|((_, c), d)| (c.clone(), d.clone()))
                        .collect();
                    forget_table(&mut self.definitions);
                    if let Some(new) = usable(op.new_name.as_ref()).map(key) {
                        for (column, at) in moved {
                            self.definitions.insert((new.clone(), column), at);
                        }
                    }
                }
                OpKind::DropTable => forget_table(&mut self.definitions),
                _ => {}
            }
        }
    }

    /// [`Schema::note_definitions`] for an operation on one column of `table`.
    fn note_column_change(&mut self, table: String, op: &Operation) {
        let plain = written_for_all(op);
        match op.kind {
            OpKind::AlterColumn => {
                // `alter_column(old, new_column_name=new, ...)`: the rename came first.
                let renamed = op.kwarg_value("new_column_name").and_then(Value::as_str);
                let Some(column) = renamed.or(usable(op.column.as_ref())).map(key) else {
                    self.definitions.retain(|(t, _), _| *t != table);
                    return;
                };
                if !plain {
                    self.definitions.remove(&(table, column));
                    return;
                }
                let text = self.definitions.entry((table, column)).or_default();
                text.whole = false;
                if let Some(t) = op.kwarg("type_") {
                    text.type_ = Some(t.text.clone());
                }
                if let Some(d) = op.kwarg("server_default") {
                    text.server_default = Some((d.value != Value::None).then(|| d.text.clone()));
                }
            }
            OpKind::RenameColumn => {
                let old = usable(op.column.as_ref()).map(key);
                let moved = old.and_then(|c| self.definitions.remove(&(table.clone(), c)));
                match (usable(op.new_name.as_ref()).map(key), moved) {
                    (Some(new), Some(mut text)) if !op.guarded => {
                        text.whole = false;
                        self.definitions.insert((table, new), text);
                    }
                    (Some(new), _) => {
                        self.definitions.remove(&(table, new));
                    }
                    (None, _) => self.definitions.retain(|(t, _), _| *t != table),
                }
            }
            OpKind::DropColumn | OpKind::SetNotNull | OpKind::DropNotNull => {
                match usable(op.column.as_ref()) {
                    // The state keeps the new nullability: the call no longer says it.
                    Some(column) if op.kind != OpKind::DropColumn && !op.guarded => {
                        if let Some(text) = self.definitions.get_mut(&(table, key(column))) {
                            text.whole = false;
                        }
                    }
                    Some(column) => {
                        self.definitions.remove(&(table, key(column)));
                    }
                    None => self.definitions.retain(|(t, _), _| *t != table),
                }
            }
            _ => {}
        }
    }

    /// [`Schema::object_definition`]: a create by a plain `op.*` call defines the object; any
    /// other create or drop of the name forgets it.
    fn note_object_definition(&mut self, op: &Operation, rev: usize) {
        let creates = matches!(
            op.kind,
            OpKind::CreateIndex
                | OpKind::CreateUniqueConstraint
                | OpKind::CreateForeignKey
                | OpKind::CreateCheckConstraint
                | OpKind::CreatePrimaryKey
        );
        if !creates && !matches!(op.kind, OpKind::DropIndex | OpKind::DropConstraint) {
            return;
        }
        let Some(name) = usable(op.name.as_ref()).map(key) else {
            return;
        };
        if creates && written_for_all(op) {
            let at = Definition {
                rev,
                range: op.range,
            };
            self.object_definitions.insert(name, at);
        } else {
            self.object_definitions.remove(&name);
        }
    }

    /// The one table known for sure to hold index or constraint `name` (`op.drop_index("ix")`
    /// names no table); `None` when none or several do.
    #[must_use]
    pub fn table_of_object(&self, name: &str) -> Option<&Table> {
        let mut holders = self.tables.values().filter_map(|slot| match slot {
            Slot::Present(t) if t.sure && t.object(name).is_some_and(|o| o.sure) => Some(t),
            _ => None,
        });
        let one = holders.next()?;
        holders.next().is_none().then_some(one)
    }

    /// The key `name` is held under: its own, or, when only that one matches, the same table
    /// named with or without its schema (`users.tokens` / `tokens`; see [`super::model::same_name`]).
    fn key_of(&self, name: &str) -> String {
        let k = key(name);
        if !self.qualified || self.tables.contains_key(&k) {
            return k;
        }
        if let Some((_, base)) = k.rsplit_once('.') {
            return if self.tables.contains_key(base) {
                base.to_string()
            } else {
                k
            };
        }
        let only = {
            let mut matches = self.in_some_schema(&k);
            match (matches.next(), matches.next()) {
                (Some(one), None) => Some(one.clone()),
                _ => None,
            }
        };
        only.unwrap_or(k)
    }

    /// The keys of the tables named `base` in some schema (`events.roles` for `roles`).
    fn in_some_schema<'s>(&'s self, base: &'s str) -> impl Iterator<Item = &'s String> + 's {
        self.tables
            .keys()
            .filter(move |t| t.rsplit_once('.').is_some_and(|(_, b)| b == base))
    }

    /// The table, when present.
    #[must_use]
    pub fn table(&self, name: &str) -> Option<&Table> {
        match self.tables.get(&self.key_of(name)) {
            Some(Slot::Present(t)) => Some(t),
            _ => None,
        }
    }

    fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        let k = self.key_of(name);
        self.save(Key::Table(k.clone()));
        match self.tables.get_mut(&k) {
            Some(Slot::Present(t)) => Some(t),
            _ => None,
        }
    }

    fn set_table(&mut self, name: &str, slot: Option<Slot<Table>>) {
        let k = self.key_of(name);
        self.qualified |= k.contains('.');
        self.save(Key::Table(k.clone()));
        match slot {
            Some(s) => {
                if let Slot::Present(t) = &s {
                    self.index_fks(t);
                }
                self.tables.insert(k, s);
            }
            None => {
                self.tables.remove(&k);
            }
        }
    }

    /// Is column `(table, column)` there, as far as the chain shows? Dropped columns go
    /// with their record; a table the replay does not fully know has no column list, so any
    /// column may be there.
    fn may_have_column(&self, (table, column): &ColumnKey) -> bool {
        self.table(table)
            .is_some_and(|tb| !tb.sure || tb.column(column).is_some())
    }

    /// Does the table exist here?
    #[must_use]
    pub fn table_exists(&self, name: &str) -> Existence {
        let k = self.key_of(name);
        // `roles` with `events.roles` and `categories.roles` present: which one the search
        // path finds is not known.
        let twins =
            || self.qualified && !k.contains('.') && self.in_some_schema(&k).next().is_some();
        match self.tables.get(&k) {
            Some(Slot::Present(t)) if t.sure => Existence::Present,
            Some(Slot::Present(_)) => Existence::Unknown,
            Some(Slot::Gone) => Existence::Absent,
            None if self.closed && !twins() => Existence::Absent,
            None => Existence::Unknown,
        }
    }

    fn other_exists(&self, kind: OtherKind, name: &str) -> Existence {
        match self.others.get(&(kind, key(name))) {
            Some(Slot::Present(o)) if o.sure => Existence::Present,
            Some(Slot::Present(_)) => Existence::Unknown,
            Some(Slot::Gone) => Existence::Absent,
            // Enum types and sequences also come with columns (`sa.Enum(name=...)`, SERIAL):
            // never seen is not absent.
            None if self.closed && kind == OtherKind::View => Existence::Absent,
            None => Existence::Unknown,
        }
    }

    fn set_other(&mut self, kind: OtherKind, name: &str, slot: Option<Slot<Other>>) {
        let k = key(name);
        self.save(Key::Other(kind, k.clone()));
        match slot {
            Some(s) => {
                self.others.insert((kind, k), s);
            }
            None => {
                self.others.remove(&(kind, k));
            }
        }
    }

    fn index_fks(&mut self, t: &Table) {
        for o in &t.objects {
            if let Some(target) = &o.ref_table {
                let sources = self.fk_sources.entry(key(target)).or_default();
                let k = key(&t.name);
                if !sources.contains(&k) {
                    sources.push(k);
                }
            }
        }
    }

    /// Is an index or constraint of that name anywhere (index names are per schema on
    /// PostgreSQL, whatever `table_name=` says)?
    fn object_anywhere(&self, name: &str) -> bool {
        self.tables.values().any(|slot| match slot {
            Slot::Present(t) => t.object(name).is_some(),
            Slot::Gone => false,
        })
    }

    /// Every table becomes unknown: code that may drop or rename any of them ran.
    fn forget_all(&mut self) {
        let names: Vec<String> = self.tables.keys().cloned().collect();
        for name in names {
            if let Some(t) = self.table_mut(&name) {
                t.sure = false;
                t.complete = false;
                t.only_if_missing = false;
            } else {
                self.set_table(&name, None);
            }
        }
        self.closed = false;
    }

    /// Tables that still hold a foreign key to `target`.
    #[must_use]
    pub fn referencing<'s>(&'s self, target: &'s str) -> Vec<(&'s Table, &'s Object)> {
        let mut out = Vec::new();
        let Some(sources) = self.fk_sources.get(&key(target)) else {
            return out;
        };
        for source in sources {
            if let Some(Slot::Present(t)) = self.tables.get(source)
                && t.sure
            {
                for fk in t.references(target) {
                    out.push((t, fk));
                }
            }
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        out
    }
}

/// `upgrade()` or `downgrade()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Upgrade,
    Downgrade,
}

/// What kind of object an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    Table,
    Column,
    Index,
    Constraint,
    View,
    Type,
    Sequence,
}

impl What {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            What::Table => "table",
            What::Column => "column",
            What::Index => "index",
            What::Constraint => "constraint",
            What::View => "view",
            What::Type => "type",
            What::Sequence => "sequence",
        }
    }
}

/// A fact the replay established at one operation.
#[derive(Clone, Debug)]
pub enum Event {
    /// The operation drops, alters or renames an object that certainly does not exist there.
    Missing {
        phase: Phase,
        /// `drops`, `alters`, `renames`.
        verb: &'static str,
        what: What,
        name: String,
        table: Option<String>,
        /// It is the table itself that does not exist.
        table_missing: bool,
        /// The same kind of object on the same table that the upgrade created under another
        /// name, if any (a name that differs from the upgrade's).
        upgrade_name: Option<String>,
        range: TextRange,
    },
    /// The operation drops a table that another table's foreign key still references.
    Referenced {
        phase: Phase,
        table: String,
        by: String,
        fk: Option<String>,
        range: TextRange,
    },
    /// The upgrade drops a table whose rows were all copied from other tables (by the upgrade
    /// of `created_by`), and those tables still exist: nothing is lost that they do not hold.
    DerivedRows {
        range: TextRange,
        table: String,
        created_by: usize,
        from: Vec<String>,
    },
    /// The upgrade drops a table that an upgrade (`created_by`) created empty and whose every
    /// row the upgrades wrote was a literal row of a `bulk_insert` (`seeds`, in order): a
    /// lookup table the migrations seed.
    SeededRows {
        range: TextRange,
        table: String,
        created_by: usize,
        seeds: Vec<String>,
    },
    /// The upgrade drops a column whose values were all computed from other columns (by the
    /// upgrades since `created_by` added it), and those columns still exist.
    DerivedValues {
        range: TextRange,
        created_by: usize,
        from: Vec<(String, String)>,
    },
    /// The upgrade drops a column whose values an earlier revision (`copied_by`) copied as is
    /// into `into` (table, column), a column it had added empty and which still exists.
    ValuesCopied {
        range: TextRange,
        copied_by: usize,
        into: (String, String),
    },
    /// The upgrade drops a table all of whose rows an earlier revision (`copied_by`) copied
    /// as they are into `into`, a table created empty for them, which still exists.
    RowsCopied {
        range: TextRange,
        copied_by: usize,
        into: String,
    },
    /// The upgrade drops a column that an upgrade (`created_by`) added empty and that no
    /// upgrade wrote since: whatever it holds, the application wrote.
    NeverWritten {
        range: TextRange,
        created_by: usize,
        column: String,
    },
    /// A batch block that SQLite runs by copying its table, which holds generated columns the
    /// block does not drop (`columns`): the copy inserts into them, and SQLite refuses.
    BatchCopiesGenerated {
        phase: Phase,
        /// The first operation of the block that makes Alembic copy the table.
        range: TextRange,
        table: String,
        columns: Vec<String>,
    },
    /// The upgrade drops a generated column (`sa.Computed`): the database computed its values
    /// from other columns of the row, so dropping it loses no data.
    GeneratedDropped { range: TextRange },
    /// The operation drops what a foreign key of `table` (on `columns`) still needs: the only
    /// index whose first columns are the key's (`what` is an index), or one of the key's
    /// columns (`what` is a column). MySQL and MariaDB refuse (error 1553, or 1828 on MySQL 8
    /// for a column), as InnoDB keeps an index on the columns of every foreign key.
    ForeignKeyNeedsIt {
        phase: Phase,
        range: TextRange,
        table: String,
        what: What,
        name: String,
        fk: Option<String>,
        columns: Vec<String>,
    },
    /// A plain `op.drop_column` (outside batch mode) of a column that an index, a unique
    /// constraint or the primary key of the table still holds: SQLite's `DROP COLUMN` refuses
    /// ("error in index ... after drop column", "cannot drop UNIQUE column").
    SqliteCannotDropColumn {
        phase: Phase,
        range: TextRange,
        table: String,
        column: String,
        kind: ConstraintKind,
        /// The index or constraint, when it has a name.
        holder: Option<String>,
    },
    /// The operation creates an object that already exists (created by an earlier revision).
    Exists {
        phase: Phase,
        what: What,
        name: String,
        table: Option<String>,
        created_by: usize,
        range: TextRange,
    },
    /// The operation alters, without changing its nullability, a column the chain does not
    /// show NOT NULL: nullable, or not known (a table from outside the chain: dagster and
    /// mlflow create theirs from the ORM before the first revision, `has_table` guards the
    /// rest; or a column never seen). SQLAlchemy makes a column nullable unless told
    /// otherwise, so a guess of NOT NULL would be wrong more often than right (dagster's 60
    /// restated `Text` columns are all nullable).
    NotKnownNotNull { range: TextRange },
    /// The operation makes NOT NULL a column the chain shows NOT NULL already: no row can
    /// hold NULL, and there is no nullability for a downgrade to restore.
    KnownNotNull { range: TextRange },
    /// The operation changes a column's type to one at least as wide as the type the chain
    /// shows (the file's `existing_type` said otherwise: airflow b12d4f98a91e writes
    /// `existing_type=sa.String()` for a `Uuid` column it turns into `String(50)`).
    KnownNotNarrowed { range: TextRange },
    /// The upgrade adds a unique constraint or index on columns that include those of a unique
    /// constraint, index or primary key the table has, or had until a statement of the same
    /// upgrade dropped it with nothing writing rows since (prefect 7495a5013e7e drops unique
    /// `follower_event_id` and adds unique `(scope, follower_event_id)`): no duplicates can exist.
    UniqueImplied { range: TextRange, name: String },
    /// The upgrade drops, only if it exists, an index or constraint the chain shows the table
    /// does not have (airflow 05234396c6fc drops legacy FK names `IF EXISTS`): nothing is
    /// dropped, so there is nothing for the downgrade to recreate.
    AbsentNotDropped { range: TextRange, name: String },
    /// The upgrade drops, under a guard (`try:`, `if`), a column the chain shows the table does
    /// not have (privacyidea 4238eac8ccab drops `usercache.realm` inside a `try` although no
    /// revision created it): nothing is dropped, nothing is lost. `column` is `table.column`.
    AbsentColumnNotDropped { range: TextRange, column: String },
    /// A guarded upgrade (`IF EXISTS`, `try:`, `if has_table`) drops a table the replayed
    /// chain shows is not there: no revision created it, or one dropped it (ckan 090 drops
    /// sqlalchemy-migrate's `migrate_version IF EXISTS`). Nothing of the chain's is lost.
    AbsentTableNotDropped { range: TextRange, table: String },
    /// The upgrade creates an index or constraint that was already there (batch mode on
    /// SQLite restates it), or a table only if missing while an earlier revision's table is
    /// there: leaving it after the downgrade restores the state before.
    AlreadyThere { range: TextRange },
}

/// The downgrade leaves the schema different from the state before the upgrade.
#[derive(Clone, Debug)]
pub enum Drift {
    /// Present before the upgrade, absent after the downgrade.
    NotRecreated {
        what: What,
        name: String,
        table: Option<String>,
    },
    /// A column attribute is not restored.
    Column {
        table: String,
        column: String,
        attribute: &'static str,
        before: String,
        after: String,
    },
    NullableNotRestored {
        table: String,
        column: String,
        before: bool,
    },
    TypeNotRestored {
        table: String,
        column: String,
        before: Value,
        after: Value,
    },
    /// An index recreated under its name, but unique where it was not, or the other way.
    IndexUniqueness {
        table: String,
        name: String,
        /// The index was unique before the upgrade.
        before: bool,
    },
}

/// What the replay found for one revision.
#[derive(Clone, Debug, Default)]
pub struct RevisionFacts {
    pub events: Vec<Event>,
    pub drift: Vec<Drift>,
    /// Some operation could not be modelled: rules stay quiet on the whole revision.
    pub opaque: bool,
    /// The upgrade changed nothing the replay can see, on objects it knows (a repair or a
    /// data-only migration).
    pub schema_unchanged: bool,
}

/// The replay of one revision graph.
#[derive(Debug, Default)]
pub struct Replay {
    /// Per graph index (same order as [`Graph::migs`]).
    pub facts: Vec<RevisionFacts>,
    /// Graph indexes in replay order.
    pub order: Vec<usize>,
}

/// Graph indexes in topological order (parents first), deterministic; revisions in a cycle
/// and later duplicates of an id are left out.
fn topo_order(g: &Graph<'_>) -> Vec<usize> {
    let n = g.migs.len();
    let mut indegree: Vec<usize> = (0..n).map(|i| g.parents[i].len()).collect();
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
        .filter(|&i| indegree[i] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        order.push(i);
        for &c in &g.children[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.push(std::cmp::Reverse(c));
            }
        }
    }
    order.retain(|&i| g.is_canonical(i));
    order
}

/// An operation whose effect on the schema the replay cannot model.
fn opaque(op: &Operation) -> bool {
    match op.kind {
        OpKind::Call => true,
        OpKind::Other => {
            op.table.is_none()
                && match op.origin {
                    super::model::Origin::Sql => op.sql.as_deref().is_none_or(|s| !harmless_sql(s)),
                    _ => !op.name.as_deref().is_some_and(|n| n.contains("comment")),
                }
        }
        OpKind::Execute => op.sql_error.is_some(),
        _ => false,
    }
}

/// SQL statements that change no schema the replay models.
fn harmless_sql(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    [
        "COMMENT",
        "GRANT",
        "REVOKE",
        "SET ",
        "ANALYZE",
        "VACUUM",
        "REINDEX",
        "COMMIT",
        "BEGIN",
        "SELECT",
        "PRAGMA",
        "CREATE EXTENSION",
        "DROP EXTENSION",
        "LOCK",
        "REFRESH",
    ]
    .iter()
    .any(|p| head.starts_with(p))
}

fn column_of(spec: &ColumnSpec, in_create: bool) -> Column {
    Column {
        name: spec.name.clone(),
        type_: spec.type_.clone().filter(|t| *t != Value::Unknown),
        nullable: match spec.nullable {
            Some(n) => Some(n),
            None if spec.primary_key => Some(false),
            // SQLAlchemy's default: nullable unless primary key.
            None if in_create || !spec.name.is_empty() => Some(true),
            None => None,
        },
        default: spec.server_default.clone(),
        default_known: true,
        generated: spec.generated,
    }
}

/// Objects a column definition declares inline (FK, unique, index, primary key).
fn inline_objects(spec: &ColumnSpec) -> Vec<Object> {
    let on_column = |kind, ref_table: Option<String>, sure| Object {
        kind,
        name: None,
        columns: vec![spec.name.clone()],
        ref_table,
        detail: KeyDetail::default(),
        sure,
    };
    let mut out = Vec::new();
    if spec.fk_table.is_some() || spec.fk_ondelete.is_some() {
        let sure = spec.fk_table.is_some();
        out.push(on_column(
            ConstraintKind::ForeignKey,
            spec.fk_table.clone(),
            sure,
        ));
    }
    for (declared, kind) in [
        (spec.unique, ConstraintKind::Unique),
        (spec.index, ConstraintKind::Index),
        (spec.primary_key, ConstraintKind::PrimaryKey),
    ] {
        if declared {
            out.push(on_column(kind, None, true));
        }
    }
    out
}

fn object_of(c: &ConstraintSpec) -> Object {
    Object {
        kind: c.kind,
        name: c.name.clone().filter(|n| usable(Some(n)).is_some()),
        columns: c.columns.clone(),
        ref_table: c.ref_table.clone(),
        detail: c.detail.clone(),
        sure: true,
    }
}

/// A primary key without a name gets `<table>_pkey` (PostgreSQL) or `PRIMARY` (MySQL); names
/// that look like it are never reported missing.
fn pk_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("pk") || lower.contains("primary")
}

struct Sim<'s> {
    schema: &'s mut Schema,
    rev: usize,
    phase: Phase,
    events: Vec<Event>,
    /// Tables this function has already touched (a dialect branch may create or drop the same
    /// object twice): no existence finding about them.
    touched: HashSet<String>,
    /// Tables this function dropped (even conditionally): a create after it starts empty.
    dropped: HashSet<String>,
    /// The tables the last statement that read data read (rows Python may write next).
    read: Vec<String>,
    /// Names of objects this function has already touched.
    touched_objects: HashSet<String>,
    /// Column sets whose unique constraint or index this function dropped, per lower-case
    /// table: the rows are still unique on them until a statement may change rows.
    unique_rows: Vec<(String, Vec<String>)>,
    /// Objects the upgrade of this revision created, per lower-case table, for messages.
    created: &'s [(String, What, String)],
    opaque: bool,
    sqlite: bool,
    /// The revision targets PostgreSQL or MySQL only: batch blocks never copy tables there.
    other_dialect: bool,
}

impl Sim<'_> {
    /// Apply one function's operations in order, checking each batch block as it starts.
    fn apply_all(&mut self, ops: &[Operation]) {
        for (i, op) in ops.iter().enumerate() {
            if let Some(block) = op.batch
                && (i == 0 || ops[i - 1].batch != Some(block))
            {
                let len = ops[i..]
                    .iter()
                    .take_while(|o| o.batch == Some(block))
                    .count();
                self.check_batch_copy(&ops[i..i + len], block);
            }
            self.apply(op);
        }
    }

    /// A batch block SQLite runs by copying the table ([`Event::BatchCopiesGenerated`]).
    /// Alembic copies the table for every operation but `add_column`, `create_index` and
    /// `drop_index` (with `recreate="auto"`); the copy inserts every column it keeps.
    fn check_batch_copy(&mut self, block: &[Operation], batch: BatchBlock) {
        if self.other_dialect {
            return;
        }
        let copies = |o: &Operation| {
            matches!(
                o.kind,
                OpKind::DropColumn
                    | OpKind::AlterColumn
                    | OpKind::RenameColumn
                    | OpKind::CreateForeignKey
                    | OpKind::CreateUniqueConstraint
                    | OpKind::CreateCheckConstraint
                    | OpKind::CreatePrimaryKey
                    | OpKind::DropConstraint
            )
        };
        let first = match batch.recreate {
            Recreate::Never => None,
            Recreate::Always => block.first(),
            Recreate::Auto => block.iter().find(|o| copies(o)),
        };
        let (Some(first), Some(t)) = (first, block[0].table.as_deref()) else {
            return;
        };
        let Some(table) = self.schema.table(&key(t)) else {
            return;
        };
        let dropped = |c: &str| {
            block.iter().any(|o| {
                o.kind == OpKind::DropColumn
                    && o.column
                        .as_deref()
                        .is_some_and(|d| d.eq_ignore_ascii_case(c))
            })
        };
        let columns: Vec<String> = table
            .columns
            .iter()
            .filter(|c| c.generated && !dropped(&c.name))
            .map(|c| c.name.clone())
            .collect();
        if !columns.is_empty() {
            self.events.push(Event::BatchCopiesGenerated {
                phase: self.phase,
                range: first.range,
                table: t.to_string(),
                columns,
            });
        }
    }

    fn missing(&mut self, what: What, name: &str, table: Option<&str>, op: &Operation) {
        self.missing_in(what, name, table, false, op);
    }

    fn missing_in(
        &mut self,
        what: What,
        name: &str,
        table: Option<&str>,
        table_missing: bool,
        op: &Operation,
    ) {
        if op.guarded || op.if_exists {
            return;
        }
        let verb = match op.kind {
            OpKind::AlterColumn | OpKind::SetNotNull | OpKind::DropNotNull => "alters",
            OpKind::RenameColumn | OpKind::RenameTable => "renames",
            OpKind::AddColumn
            | OpKind::CreateIndex
            | OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey => "adds to",
            _ => "drops",
        };
        let upgrade_name = table.and_then(|t| {
            self.created
                .iter()
                .find(|(ct, cw, cn)| {
                    ct.eq_ignore_ascii_case(t) && *cw == what && !cn.eq_ignore_ascii_case(name)
                })
                .map(|(_, _, n)| n.clone())
        });
        self.events.push(Event::Missing {
            phase: self.phase,
            verb,
            what,
            name: name.to_string(),
            table: table.map(str::to_string),
            table_missing,
            upgrade_name,
            range: op.range,
        });
    }

    /// The table an operation works on, when it can be named; otherwise the state forgets
    /// what the operation may have changed.
    fn target(&mut self, op: &Operation) -> Option<String> {
        if let Some(t) = usable(op.table.as_ref()) {
            return Some(t.to_string());
        }
        self.opaque = true;
        match op.kind {
            OpKind::DropTable | OpKind::RenameTable => self.schema.forget_all(),
            OpKind::CreateTable => self.schema.closed = false,
            _ => {
                // Some table's columns or constraints changed: none is complete any more.
                let names: Vec<String> = self.schema.tables.keys().cloned().collect();
                for n in names {
                    if let Some(t) = self.schema.table_mut(&n) {
                        t.complete = false;
                    }
                }
            }
        }
        None
    }

    /// The table for an operation that needs it to exist; an unseen table in an open world
    /// (or one the upgrade uses although the replay thought it absent) becomes unknown.
    fn existing(&mut self, table: &str, op: &Operation) -> bool {
        match self.schema.table_exists(table) {
            Existence::Present => true,
            Existence::Unknown => {
                if self.schema.table(table).is_none() {
                    self.add_unknown(table);
                }
                false
            }
            Existence::Absent => {
                if self.phase == Phase::Downgrade && !self.touched.contains(&key(table)) {
                    let (what, name) = match op.kind {
                        OpKind::DropIndex | OpKind::CreateIndex => (What::Index, op.name.clone()),
                        OpKind::DropConstraint
                        | OpKind::CreateUniqueConstraint
                        | OpKind::CreateForeignKey
                        | OpKind::CreateCheckConstraint
                        | OpKind::CreatePrimaryKey => (What::Constraint, op.name.clone()),
                        OpKind::DropTable | OpKind::RenameTable => (What::Table, None),
                        _ => (What::Column, op.column.clone()),
                    };
                    match name.filter(|n| usable(Some(n)).is_some()) {
                        Some(n) if what != What::Table => {
                            self.missing_in(what, &n, Some(table), true, op);
                        }
                        _ => self.missing_in(What::Table, table, None, true, op),
                    }
                } else {
                    // The upgrade evidently sees a table the replay does not know: trust it.
                    self.add_unknown(table);
                }
                false
            }
        }
    }

    fn add_unknown(&mut self, table: &str) {
        let rev = self.rev;
        self.schema.set_table(
            table,
            Some(Slot::Present(Table {
                name: table.to_string(),
                sure: false,
                complete: false,
                generated_names: true,
                columns: Vec::new(),
                objects: Vec::new(),
                created_by: rev,
                only_if_missing: false,
            })),
        );
    }

    /// A statement for some dialects only (`if dialect == "sqlite":`), or inside a `try` that
    /// swallows its error, may not run: it counts as guarded.
    fn apply(&mut self, op: &Operation) {
        self.track_rows(op);
        self.track_unique_rows(op);
        if !op.guarded && (!op.dialects.is_all() || op.swallowed.is_some()) {
            let mut maybe = op.clone();
            maybe.guarded = true;
            maybe.conditional |= !op.dialects.is_all();
            self.apply_op(&maybe);
        } else {
            self.apply_op(op);
        }
    }

    /// Keep [`Sim::unique_rows`] true: follow renames, and forget a set when a statement may
    /// change rows or values (anything but DDL that leaves existing values as they are).
    fn track_unique_rows(&mut self, op: &Operation) {
        if self.unique_rows.is_empty() {
            return;
        }
        let table = usable(op.table.as_ref()).map(key);
        let column = usable(op.column.as_ref()).map(str::to_string);
        match op.kind {
            OpKind::RenameTable => match (table, usable(op.new_name.as_ref())) {
                (Some(t), Some(new)) => {
                    for (rt, _) in self.unique_rows.iter_mut().filter(|(rt, _)| *rt == t) {
                        *rt = key(new);
                    }
                }
                _ => self.unique_rows.clear(),
            },
            OpKind::RenameColumn => match (table, column, usable(op.new_name.as_ref())) {
                (Some(t), Some(c), Some(new)) => {
                    for (_, cols) in self.unique_rows.iter_mut().filter(|(rt, _)| *rt == t) {
                        for rc in cols.iter_mut().filter(|rc| rc.eq_ignore_ascii_case(&c)) {
                            *rc = new.to_string();
                        }
                    }
                }
                _ => self.unique_rows.clear(),
            },
            OpKind::DropColumn => self.unique_rows.retain(|(rt, cols)| {
                table.as_ref().is_some_and(|t| t != rt)
                    || column
                        .as_ref()
                        .is_some_and(|c| !cols.iter().any(|rc| rc.eq_ignore_ascii_case(c)))
            }),
            // A new type may cut values (and make them equal); a default or NOT NULL does not
            // touch the values there are.
            OpKind::AlterColumn if op.kwarg("type_").is_some() => self.unique_rows.clear(),
            OpKind::AlterColumn
            | OpKind::SetNotNull
            | OpKind::DropNotNull
            | OpKind::AddColumn
            | OpKind::CreateIndex
            | OpKind::DropIndex
            | OpKind::RenameIndex
            | OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey
            | OpKind::DropConstraint => {}
            _ => self.unique_rows.clear(),
        }
    }

    /// Follow where the rows of tables created by an upgrade come from (see [`CopiedRows`]).
    /// Statements whose effect cannot be read (calls to code defined elsewhere, SQL the parser
    /// cannot read) are not counted: the record is of the rows the readable code writes.
    fn track_rows(&mut self, op: &Operation) {
        if self.phase != Phase::Upgrade {
            return;
        }
        let last_read = std::mem::take(&mut self.read);
        if op.reads.is_empty() {
            self.read.clone_from(&last_read);
        } else {
            for (t, _) in &op.reads {
                if !self.read.iter().any(|r| r.eq_ignore_ascii_case(t)) {
                    self.read.push(t.clone());
                }
            }
        }
        let Some(t) = usable(op.table.as_ref()).map(key) else {
            if matches!(op.kind, OpKind::DropTable | OpKind::RenameTable) {
                // Some table was dropped or renamed, we cannot tell which.
                self.schema.copied_rows.clear();
                self.schema.copied_values.clear();
            }
            if !op.writes.is_empty() {
                // Some table was written, we cannot tell which.
                self.schema.copied_values.clear();
            }
            return;
        };
        self.track_values(op, &t);
        match op.kind {
            OpKind::CreateTable => {
                if self.creates_fresh(op, &t) {
                    let rows = CopiedRows {
                        created_by: self.rev,
                        from: Vec::new(),
                        whole: true,
                        seeds: Vec::new(),
                        inserted: false,
                    };
                    self.schema.copied_rows.insert(t, rows);
                } else {
                    self.schema.copied_rows.remove(&t);
                }
            }
            OpKind::DropTable => {
                self.dropped_rows_event(op, &t);
                self.dropped.insert(t.clone());
                if !op.guarded {
                    self.schema.copied_rows.remove(&t);
                }
            }
            OpKind::RenameTable => {
                let moved = self.schema.copied_rows.remove(&t);
                match usable(op.new_name.as_ref()).map(key) {
                    Some(new) => match moved {
                        Some(rows) => {
                            self.schema.copied_rows.insert(new, rows);
                        }
                        None => {
                            self.schema.copied_rows.remove(&new);
                        }
                    },
                    None => self.schema.copied_rows.clear(),
                }
            }
            OpKind::Insert | OpKind::BulkInsert | OpKind::Update => {
                self.track_written_rows(op, &t, &last_read);
            }
            _ => {}
        }
    }

    /// Follow where the values of columns added by an upgrade come from (see
    /// [`CopiedValues`]); `t` is `op`'s table, lower-case.
    fn track_values(&mut self, op: &Operation, t: &str) {
        match op.kind {
            OpKind::CreateTable | OpKind::AddColumn => {
                let fresh_table = op.kind == OpKind::AddColumn || self.creates_fresh(op, t);
                let values = &mut self.schema.copied_values;
                for c in &op.columns {
                    let k = (t.to_string(), c.name.to_ascii_lowercase());
                    // A server default fills the rows with a constant: no derived value.
                    if fresh_table && !op.guarded && c.server_default.is_none() && !c.primary_key {
                        values.insert(
                            k,
                            CopiedValues {
                                created_by: self.rev,
                                from: Vec::new(),
                                verbatim: Vec::new(),
                            },
                        );
                    } else {
                        values.remove(&k);
                    }
                }
            }
            OpKind::Insert | OpKind::BulkInsert | OpKind::Update => {
                self.track_written_values(op, t);
            }
            OpKind::DropColumn => {
                let Some(c) = op.column.as_deref() else {
                    return;
                };
                let generated = self
                    .schema
                    .table(t)
                    .and_then(|tb| tb.column(c))
                    .is_some_and(|col| col.generated);
                if generated {
                    self.events
                        .push(Event::GeneratedDropped { range: op.range });
                }
                let k = (t.to_string(), c.to_ascii_lowercase());
                if let Some(v) = self.schema.copied_values.get(&k)
                    && !v.from.is_empty()
                    && v.from.iter().all(|(st, sc)| {
                        (st, sc) != (&k.0, &k.1)
                            && self
                                .schema
                                .table(st)
                                .is_some_and(|tb| tb.sure && tb.column(sc).is_some())
                    })
                {
                    self.events.push(Event::DerivedValues {
                        range: op.range,
                        created_by: v.created_by,
                        from: v.from.clone(),
                    });
                }
                if let Some(v) = self.schema.copied_values.get(&k)
                    && v.from.is_empty()
                    && v.created_by != self.rev
                {
                    self.events.push(Event::NeverWritten {
                        range: op.range,
                        created_by: v.created_by,
                        column: c.to_string(),
                    });
                }
                if let Some(kept) = self.copy_kept(&k) {
                    self.events.push(Event::ValuesCopied {
                        range: op.range,
                        copied_by: kept.1,
                        into: kept.0,
                    });
                }
                self.schema.copied_values.remove(&k);
            }
            OpKind::DropTable | OpKind::RenameTable | OpKind::RenameColumn => {
                self.schema.copied_values.retain(|(vt, _), _| vt != t);
            }
            _ => {}
        }
    }

    /// Does CREATE TABLE `op` make `t` (lower-case) anew, empty: it was absent or dropped, or the
    /// statement is unconditional (it fails on a table that exists)?
    fn creates_fresh(&self, op: &Operation, t: &str) -> bool {
        self.schema.table_exists(t) == Existence::Absent
            || self.dropped.contains(t)
            || !op.guarded && !op.if_exists
    }

    /// Column `k` (lower-case), dropped by this upgrade: another column an earlier revision
    /// copied its values into as is, which still exists (see [`CopiedValues::verbatim`]),
    /// with the revision of the copy.
    fn copy_kept(&self, k: &ColumnKey) -> Option<(ColumnKey, usize)> {
        self.schema.copied_into.get(k)?.iter().find_map(|(to, by)| {
            let v = self.schema.copied_values.get(to)?;
            let kept = to != k
                && *by != self.rev
                && v.verbatim.contains(k)
                && self.schema.may_have_column(to);
            kept.then(|| (to.clone(), *by))
        })
    }

    /// Table `t` (lower-case), dropped by this upgrade: another table an earlier revision
    /// copied all its rows into, which still exists (see [`CopiedRows::whole`]), with the
    /// revision of the copy.
    fn rows_kept(&self, t: &str) -> Option<(String, usize)> {
        self.schema
            .rows_copied_into
            .get(t)?
            .iter()
            .find_map(|(to, by)| {
                let rows = self.schema.copied_rows.get(to)?;
                let kept = to != t
                    && *by != self.rev
                    && rows.whole
                    && rows.from.len() == 1
                    && rows.from[0].eq_ignore_ascii_case(t)
                    && self.schema.table_exists(to) != Existence::Absent;
                kept.then(|| (to.clone(), *by))
            })
    }

    /// An INSERT or UPDATE of `t`: the tracked columns it writes are computed from what it
    /// reads, or are no longer derived.
    fn track_written_values(&mut self, op: &Operation, t: &str) {
        let any = op.writes.iter().any(|w| w == "*");
        let rev = self.rev;
        let linked = self.linked_sources(op);
        let values = &mut self.schema.copied_values;
        if any {
            values.retain(|(vt, _), _| vt != t);
            return;
        }
        let written: Vec<(String, String)> = op
            .writes
            .iter()
            .map(|w| (t.to_string(), w.to_ascii_lowercase()))
            .filter(|k| values.contains_key(k))
            .collect();
        for k in written {
            // Computed from the statement's own reads; a literal, a parameter or rows
            // read in Python are no known source.
            let sources: Vec<(String, String)> = op
                .reads
                .iter()
                .filter(|(rt, rc)| {
                    usable(Some(rt)).is_some()
                        && rc != "*"
                        && !(key(rt) == k.0 && rc.eq_ignore_ascii_case(&k.1))
                })
                .map(|(rt, rc)| (key(rt), rc.to_ascii_lowercase()))
                .collect();
            // A backfill of the NULL rows by a later revision: the application may
            // have written the others.
            let late_backfill = op.backfill && values.get(&k).is_some_and(|v| v.created_by != rev);
            if late_backfill || sources.is_empty() || sources.len() != op.reads.len() {
                values.remove(&k);
                continue;
            }
            // Copied as is, on every row or on those where the source has a value.
            let verbatim = op
                .copies
                .iter()
                .find(|(w, _)| w.eq_ignore_ascii_case(&k.1))
                .map(|(_, (st, sc))| (key(st), sc.to_ascii_lowercase()))
                .filter(|src| {
                    // On the same rows; or, into another table, with the source's key beside
                    // it, the rows picked by nothing but that key.
                    let keys: &[String] = if src.0 == k.0 {
                        &[]
                    } else {
                        match linked.iter().find(|(lt, _)| *lt == src.0) {
                            Some((_, keys)) => keys,
                            None => return false,
                        }
                    };
                    op.filter_reads.iter().all(|(ft, fc)| {
                        key(ft) == src.0
                            && (fc.eq_ignore_ascii_case(&src.1)
                                || keys.iter().any(|kc| kc.eq_ignore_ascii_case(fc)))
                    })
                });
            if let Some(v) = values.get_mut(&k) {
                for src in sources {
                    if !v.from.contains(&src) {
                        v.from.push(src);
                    }
                }
                if let Some(src) = verbatim {
                    if !v.verbatim.contains(&src) {
                        v.verbatim.push(src.clone());
                    }
                    let into = self.schema.copied_into.entry(src).or_default();
                    if !into.iter().any(|(to, _)| to == &k) {
                        into.push((k.clone(), rev));
                    }
                }
            }
        }
    }

    /// The source tables whose primary key `op` copies as is (`INSERT INTO translation
    /// (config_id, title) SELECT id, title FROM config`), with that key's columns: their other
    /// columns it copies can be found again by that key.
    fn linked_sources(&self, op: &Operation) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (_, (st, sc)) in &op.copies {
            let t = key(st);
            let Some(table) = self.schema.table(&t) else {
                continue;
            };
            let keys: Vec<String> = table
                .objects
                .iter()
                .filter(|o| o.kind == ConstraintKind::PrimaryKey)
                .flat_map(|o| o.columns.iter().map(|c| c.to_ascii_lowercase()))
                .collect();
            if keys.iter().any(|k| k.eq_ignore_ascii_case(sc)) && !out.iter().any(|(o, _)| *o == t)
            {
                out.push((t, keys));
            }
        }
        out
    }

    /// The upgrade drops table `t`: what the record of its rows says about the loss (every
    /// row a copy of tables that still exist, or every row a literal seed).
    fn dropped_rows_event(&mut self, op: &Operation, t: &str) {
        if let Some((into, copied_by)) = self.rows_kept(t) {
            self.events.push(Event::RowsCopied {
                range: op.range,
                into,
                copied_by,
            });
        }
        let Some(rows) = self.schema.copied_rows.get(t) else {
            return;
        };
        if !rows.from.is_empty()
            && rows.inserted
            && rows.seeds.is_empty()
            // The upgrade that copied them read them: they exist unless dropped since.
            && rows.from.iter().all(|f| self.schema.table_exists(f) != Existence::Absent)
        {
            self.events.push(Event::DerivedRows {
                range: op.range,
                table: t.to_string(),
                created_by: rows.created_by,
                from: rows.from.clone(),
            });
        } else if rows.from.is_empty() && !rows.seeds.is_empty() {
            self.events.push(Event::SeededRows {
                range: op.range,
                table: t.to_string(),
                created_by: rows.created_by,
                seeds: rows.seeds.clone(),
            });
        }
    }

    /// An INSERT or UPDATE into `t`, a table the upgrade created: its rows are copied from
    /// the statement's own source, or from what the last read before it read (`last_read`:
    /// rows copied in Python); written from literals, they are a copy of nothing.
    fn track_written_rows(&mut self, op: &Operation, t: &str, last_read: &[String]) {
        let Some(rows) = self.schema.copied_rows.get_mut(t) else {
            return;
        };
        rows.inserted |= op.kind != OpKind::Update;
        // The statement's own source, or what the last read before it read (rows
        // copied in Python); the table itself is no source.
        let own: Vec<&String> = op.reads.iter().map(|(r, _)| r).collect();
        let own_copy = !own.is_empty();
        let sources: Vec<&String> = if !own.is_empty() {
            own
        } else if op.literal_rows {
            Vec::new()
        } else {
            last_read.iter().collect()
        };
        let sources: Vec<&String> = sources
            .into_iter()
            .filter(|r| !r.eq_ignore_ascii_case(t) && usable(Some(r)).is_some())
            .collect();
        // All the rows and columns of one table, as they are.
        let whole = own_copy
            && sources.len() == 1
            && op.writes.iter().all(|w| w == "*")
            && op.reads.iter().all(|(_, c)| c == "*")
            && op.filter_reads.is_empty();
        rows.whole &= whole;
        if sources.is_empty() {
            // Rows written from literals: not a copy of anything. Kept when they are a
            // `bulk_insert` of literal rows: the table may be a lookup table the migrations
            // seed.
            match &op.literal_row_values {
                Some(seed) if op.kind == OpKind::BulkInsert && !op.guarded => {
                    rows.whole = false;
                    rows.seeds.push(seed.clone());
                }
                _ => {
                    self.schema.copied_rows.remove(t);
                }
            }
            return;
        }
        for src in sources {
            if !rows.from.iter().any(|f| f.eq_ignore_ascii_case(src)) {
                rows.from.push(src.clone());
            }
            if whole {
                let into = self.schema.rows_copied_into.entry(key(src)).or_default();
                if !into.iter().any(|(to, _)| to == t) {
                    into.push((t.to_string(), self.rev));
                }
            }
        }
    }

    fn apply_op(&mut self, op: &Operation) {
        if opaque(op) {
            self.opaque = true;
            if let Some(t) = usable(op.table.as_ref()) {
                if let Some(table) = self.schema.table_mut(t) {
                    table.complete = false;
                    table.sure = false;
                    table.only_if_missing = false;
                }
            } else {
                self.schema.closed = false;
            }
            return;
        }
        match op.kind {
            OpKind::CreateTable => self.create_table(op),
            OpKind::DropTable => self.drop_table(op),
            OpKind::RenameTable => self.rename_table(op),
            OpKind::AddColumn => self.add_column(op),
            OpKind::DropColumn => self.drop_column(op),
            OpKind::RenameColumn => self.rename_column(op),
            OpKind::AlterColumn | OpKind::SetNotNull | OpKind::DropNotNull => self.alter_column(op),
            OpKind::CreateIndex
            | OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey => self.create_object(op),
            OpKind::DropIndex | OpKind::DropConstraint => self.drop_object(op),
            OpKind::CreateView | OpKind::CreateType | OpKind::CreateSequence => {
                self.create_other(op);
            }
            OpKind::RenameIndex => self.rename_object(op),
            OpKind::RenameType => self.rename_other(op),
            OpKind::Other => self.alter_unmodelled(op),
            OpKind::DropView | OpKind::DropType | OpKind::DropSequence => self.drop_other(op),
            _ => {}
        }
    }

    /// `op.drop_table` / `DROP TABLE`: a table still referenced by a foreign key is an event.
    fn drop_table(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        let k = key(&t);
        if self.phase == Phase::Upgrade
            && (op.guarded || op.if_exists)
            && !self.touched.contains(&k)
            && self.schema.table_exists(&t) == Existence::Absent
        {
            // Named as the statement spells it, as MRT002's message does.
            self.events.push(Event::AbsentTableNotDropped {
                range: op.range,
                table: op.table.clone().unwrap_or_default(),
            });
        }
        if self.existing(&t, op) && !op.guarded {
            let cascade = op
                .sql
                .as_deref()
                .is_some_and(|s| s.to_ascii_uppercase().contains("CASCADE"));
            if !cascade && !self.sqlite && !self.touched.contains(&k) {
                let refs: Vec<(String, Option<String>)> = self
                    .schema
                    .referencing(&t)
                    .into_iter()
                    .map(|(tab, fk)| (tab.name.clone(), fk.name.clone()))
                    .collect();
                if let Some((by, fk)) = refs.into_iter().next() {
                    self.events.push(Event::Referenced {
                        phase: self.phase,
                        table: t.clone(),
                        by,
                        fk,
                        range: op.range,
                    });
                }
            }
        }
        self.touched.insert(k);
        if op.guarded {
            if let Some(table) = self.schema.table_mut(&t) {
                table.sure = false;
                table.only_if_missing = false;
            }
        } else {
            self.schema.set_table(&t, Some(Slot::Gone));
        }
    }

    /// `op.rename_table`: the table moves to its new name, and foreign keys to it follow.
    fn rename_table(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        let Some(new) = usable(op.new_name.as_ref()).map(str::to_string) else {
            self.opaque = true;
            self.schema.forget_all();
            return;
        };
        let present = self.existing(&t, op);
        self.touched.insert(key(&t));
        self.touched.insert(key(&new));
        let old = self.schema.table(&t).cloned();
        self.schema.set_table(&t, Some(Slot::Gone));
        let mut moved = old.unwrap_or_else(|| Table {
            name: new.clone(),
            sure: false,
            complete: false,
            generated_names: true,
            columns: Vec::new(),
            objects: Vec::new(),
            created_by: self.rev,
            only_if_missing: false,
        });
        moved.name.clone_from(&new);
        moved.sure = moved.sure && present && !op.guarded;
        moved.only_if_missing = moved.only_if_missing && present && !op.guarded;
        self.schema.set_table(&new, Some(Slot::Present(moved)));
        self.follow_foreign_keys(&t, &new);
    }

    /// Foreign keys to a renamed table follow it to its new name.
    fn follow_foreign_keys(&mut self, t: &str, new: &str) {
        let names: Vec<String> = self
            .schema
            .fk_sources
            .get(&key(t))
            .cloned()
            .unwrap_or_default();
        for n in names {
            let refers = self.schema.table(&n).is_some_and(|tab| {
                tab.objects.iter().any(|o| {
                    o.ref_table
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(t))
                })
            });
            if refers && let Some(tab) = self.schema.table_mut(&n) {
                for o in &mut tab.objects {
                    if o.ref_table
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(t))
                    {
                        o.ref_table = Some(new.to_string());
                    }
                }
                let sources = self.schema.fk_sources.entry(key(new)).or_default();
                if !sources.contains(&n) {
                    sources.push(n.clone());
                }
            }
        }
    }

    /// `op.add_column`: a column that already exists is an event.
    fn add_column(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        let Some(spec) = op.columns.first() else {
            self.forget_table(&t);
            return;
        };
        if usable(Some(&spec.name)).is_none() {
            self.forget_table(&t);
            return;
        }
        if self.schema.table_exists(&t) == Existence::Unknown
            && !op.guarded
            && let Some(table) = self.schema.table_mut(&t)
            && table.column(&spec.name).is_none()
        {
            // A table not known for sure keeps the columns it is read with (see
            // `alter_column`).
            table.columns.push(added_column(spec));
            return;
        }
        if !self.existing(&t, op) {
            return;
        }
        let guarded = op.guarded || op.if_exists;
        let touched = self.touched.contains(&key(&t));
        let phase = self.phase;
        let table = self.schema.table_mut(&t).expect("present");
        if table.column(&spec.name).is_some() {
            if table.complete && !guarded && !touched {
                self.events.push(Event::Exists {
                    phase,
                    what: What::Column,
                    name: format!("{}.{}", table.name, spec.name),
                    table: Some(t.clone()),
                    created_by: table.created_by,
                    range: op.range,
                });
            }
            return;
        }
        table.columns.push(added_column(spec));
        for mut o in inline_objects(spec) {
            if o.name.is_none() && o.kind != ConstraintKind::PrimaryKey {
                table.generated_names = true;
            }
            o.sure = o.sure && !guarded;
            table.objects.push(o);
        }
        if guarded {
            table.complete = false;
        }
        let table = table.clone();
        self.schema.index_fks(&table);
    }

    /// `op.drop_column`: the column goes, and the indexes and constraints on it with it.
    fn drop_column(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        let Some(c) = usable(op.column.as_ref()).map(str::to_string) else {
            self.forget_table(&t);
            return;
        };
        if !self.existing(&t, op) {
            return;
        }
        let touched = self.touched.contains(&key(&t));
        let table = self.schema.table(&t).expect("present");
        if table.column(&c).is_none() {
            if table.complete && !touched {
                let name = format!("{}.{c}", table.name);
                if self.phase == Phase::Upgrade && (op.guarded || op.if_exists) {
                    // Named as the statement spells it, as MRT001's message does.
                    self.events.push(Event::AbsentColumnNotDropped {
                        range: op.range,
                        column: op.target(),
                    });
                }
                self.missing(What::Column, &name, Some(&t), op);
            }
            return;
        }
        if op.guarded {
            self.schema.table_mut(&t).expect("present").complete = false;
            return;
        }
        let table = self.schema.table(&t).expect("present");
        if op.batch.is_none()
            && op.surely_runs_on(Dialects::SQLITE)
            && table.sure
            && let Some(holder) = table.objects.iter().find(|o| {
                o.sure
                    && o.kind != ConstraintKind::ForeignKey
                    && o.kind != ConstraintKind::Check
                    && o.columns.iter().any(|oc| oc.eq_ignore_ascii_case(&c))
            })
        {
            self.events.push(Event::SqliteCannotDropColumn {
                phase: self.phase,
                range: op.range,
                table: table.name.clone(),
                column: c.clone(),
                kind: holder.kind,
                holder: holder.name.clone(),
            });
        }
        if let Some(fk) = table.objects.iter().find(|o| {
            o.kind == ConstraintKind::ForeignKey
                && o.sure
                && table.sure
                && o.columns.iter().any(|oc| oc.eq_ignore_ascii_case(&c))
        }) {
            // PostgreSQL and SQLite drop the key with its column; MySQL refuses.
            let event = Event::ForeignKeyNeedsIt {
                phase: self.phase,
                range: op.range,
                table: table.name.clone(),
                what: What::Column,
                name: c.clone(),
                fk: fk.name.clone(),
                columns: fk.columns.clone(),
            };
            self.events.push(event);
        }
        let table = self.schema.table_mut(&t).expect("present");
        table
            .columns
            .retain(|col| !col.name.eq_ignore_ascii_case(&c));
        // Indexes and constraints on the column go with it.
        table
            .objects
            .retain(|o| !o.columns.iter().any(|oc| oc.eq_ignore_ascii_case(&c)));
    }

    /// A column restated by `op` that the chain does not show NOT NULL (see
    /// [`Event::NotKnownNotNull`]).
    fn note_nullability(&mut self, nullable: Option<bool>, op: &Operation) {
        if nullable != Some(false) {
            self.events.push(Event::NotKnownNotNull { range: op.range });
        }
    }

    /// `op.alter_column(new_column_name=...)` / `RENAME COLUMN`.
    fn rename_column(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        let (Some(c), Some(new)) = (
            usable(op.column.as_ref()).map(str::to_string),
            usable(op.new_name.as_ref()).map(str::to_string),
        ) else {
            self.forget_table(&t);
            return;
        };
        if !self.existing(&t, op) {
            self.note_nullability(None, op);
            return;
        }
        let touched = self.touched.contains(&key(&t));
        let table = self.schema.table(&t).expect("present");
        if table.column(&c).is_none() {
            // An arm for another dialect renamed it already (`if sqlite: ... elif mysql:`).
            let nullable = table.column(&new).and_then(|col| col.nullable);
            let missing = table.complete && !touched && table.column(&new).is_none();
            let name = format!("{}.{c}", table.name);
            self.note_nullability(nullable, op);
            if missing {
                self.missing(What::Column, &name, Some(&t), op);
            }
            return;
        }
        let nullable = table.column(&c).and_then(|col| col.nullable);
        self.note_nullability(nullable, op);
        let table = self.schema.table_mut(&t).expect("present");
        if let Some(col) = table.column_mut(&c) {
            col.name.clone_from(&new);
        }
        for o in &mut table.objects {
            for oc in &mut o.columns {
                if oc.eq_ignore_ascii_case(&c) {
                    oc.clone_from(&new);
                }
            }
            // A check condition naming the column no longer says what it checks.
            if o.detail
                .condition
                .as_deref()
                .is_some_and(|cond| cond.to_ascii_lowercase().contains(&c.to_ascii_lowercase()))
            {
                o.detail.whole = false;
            }
        }
        self.follow_renamed_column(&t, &c, &new);
    }

    /// Foreign keys to a renamed column follow it to its new name.
    fn follow_renamed_column(&mut self, t: &str, c: &str, new: &str) {
        let names: Vec<String> = self
            .schema
            .fk_sources
            .get(&key(t))
            .cloned()
            .unwrap_or_default();
        for n in names {
            let Some(tab) = self.schema.table_mut(&n) else {
                continue;
            };
            for o in &mut tab.objects {
                if o.ref_table
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(t))
                {
                    for rc in &mut o.detail.ref_columns {
                        if rc.eq_ignore_ascii_case(c) {
                            *rc = new.to_string();
                        }
                    }
                }
            }
        }
    }

    /// `op.alter_column` and `SET/DROP NOT NULL`: nullability, type and default change.
    fn alter_column(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        // `alter_column(old, new_column_name=new, type_=...)`: the scanner emits the
        // rename first, so the rest of the change applies to the new name.
        let renamed = op
            .kwarg_value("new_column_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(c) = renamed.or_else(|| usable(op.column.as_ref()).map(str::to_string)) else {
            self.forget_table(&t);
            return;
        };
        let sets_nullable = op.kwarg("nullable").is_some()
            || matches!(op.kind, OpKind::SetNotNull | OpKind::DropNotNull);
        // A table not known for sure (created only if absent, as superset's `create_table`
        // helper does after `has_table`) keeps the columns it was read with: what they show
        // of nullability and type counts, and the change is followed.
        let read = self.schema.table_exists(&t) == Existence::Unknown
            && self
                .schema
                .table(&t)
                .is_some_and(|tb| tb.column(&c).is_some());
        if !read {
            if !self.existing(&t, op) {
                self.note_nullability(None, op);
                return;
            }
            let touched = self.touched.contains(&key(&t));
            let table = self.schema.table(&t).expect("present");
            if table.column(&c).is_none() {
                self.events.push(Event::NotKnownNotNull { range: op.range });
                if table.complete && !touched {
                    let name = format!("{}.{c}", table.name);
                    self.missing(What::Column, &name, Some(&t), op);
                }
                return;
            }
        }
        let col = self
            .schema
            .table(&t)
            .and_then(|tb| tb.column(&c))
            .expect("present");
        if !sets_nullable && col.nullable != Some(false) {
            self.events.push(Event::NotKnownNotNull { range: op.range });
        }
        if !read && col.nullable == Some(false) && self.phase == Phase::Upgrade && sets_not_null(op)
        {
            self.events.push(Event::KnownNotNull { range: op.range });
        }
        if not_narrowed(col, op) {
            self.events
                .push(Event::KnownNotNarrowed { range: op.range });
        }
        let guarded = op.guarded;
        let table = self.schema.table_mut(&t).expect("present");
        let col = table.column_mut(&c).expect("present");
        alter(col, op, guarded);
    }

    /// Views, types and sequences come into existence (`OR REPLACE` keeps an existing one).
    fn create_other(&mut self, op: &Operation) {
        let kind = other_kind(op.kind);
        let Some(name) = usable(op.name.as_ref()).map(str::to_string) else {
            self.schema.closed = false;
            return;
        };
        let replace = op
            .sql
            .as_deref()
            .is_some_and(|s| s.to_ascii_uppercase().contains("OR REPLACE"));
        let sure = !op.guarded && !op.if_exists;
        self.touched_objects.insert(key(&name));
        if !replace || self.schema.other_exists(kind, &name) != Existence::Present {
            let rev = self.rev;
            self.schema.set_other(
                kind,
                &name,
                Some(Slot::Present(Other {
                    sure,
                    created_by: rev,
                })),
            );
        }
    }

    /// `ALTER TYPE old RENAME TO new`: the type moves to its new name (the enum swap renames
    /// the old type aside, creates the new one under the name and drops the old).
    fn rename_other(&mut self, op: &Operation) {
        let kind = other_kind(op.kind);
        let (Some(old), Some(new)) = (
            usable(op.name.as_ref()).map(str::to_string),
            usable(op.new_name.as_ref()).map(str::to_string),
        ) else {
            self.schema.closed = false;
            return;
        };
        self.touched_objects.insert(key(&old));
        self.touched_objects.insert(key(&new));
        let slot = self.schema.others.get(&(kind, key(&old))).cloned();
        if op.guarded || op.if_exists {
            let unsure = Slot::Present(Other {
                sure: false,
                created_by: self.rev,
            });
            self.schema.set_other(kind, &old, Some(unsure.clone()));
            self.schema.set_other(kind, &new, Some(unsure));
        } else {
            self.schema.set_other(kind, &old, Some(Slot::Gone));
            self.schema.set_other(kind, &new, slot);
        }
    }

    /// An ALTER TABLE the replay does not model: the table's shape is not known.
    fn alter_unmodelled(&mut self, op: &Operation) {
        if let Some(t) = usable(op.table.as_ref()).map(str::to_string)
            && let Some(table) = self.schema.table_mut(&t)
        {
            table.complete = false;
        }
    }

    /// Views, types and sequences go; dropping one that is absent in a downgrade is an event.
    fn drop_other(&mut self, op: &Operation) {
        let kind = other_kind(op.kind);
        let Some(name) = usable(op.name.as_ref()).map(str::to_string) else {
            return;
        };
        let k = key(&name);
        if self.schema.other_exists(kind, &name) == Existence::Absent
            && self.phase == Phase::Downgrade
            && !self.touched_objects.contains(&k)
        {
            let what = match kind {
                OtherKind::View => What::View,
                OtherKind::Type => What::Type,
                OtherKind::Sequence => What::Sequence,
            };
            self.missing(what, &name, None, op);
        }
        self.touched_objects.insert(k);
        if op.guarded || op.if_exists {
            self.schema.set_other(
                kind,
                &name,
                Some(Slot::Present(Other {
                    sure: false,
                    created_by: self.rev,
                })),
            );
        } else {
            self.schema.set_other(kind, &name, Some(Slot::Gone));
        }
    }

    fn forget_table(&mut self, t: &str) {
        self.opaque = true;
        if let Some(table) = self.schema.table_mut(t) {
            table.complete = false;
        }
    }

    fn create_table(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        let k = key(&t);
        let guarded = op.guarded || op.if_exists;
        // Created only if missing (`try:`, `if not has_table`, `IF NOT EXISTS`) while an earlier
        // revision's table is there: nothing is created, the table stays the earlier one's
        // (privacyidea d2ae8e54b628 repairs installs where the first create failed).
        // An earlier create that ran only if the table was missing left it there either way.
        let earlier = self
            .schema
            .table(&t)
            .filter(|tab| (tab.sure || tab.only_if_missing) && tab.created_by != self.rev);
        if guarded
            && self.phase == Phase::Upgrade
            && earlier.is_some()
            && !self.touched.contains(&k)
        {
            self.events.push(Event::AlreadyThere { range: op.range });
            self.touched.insert(k);
            return;
        }
        if self.schema.table_exists(&t) == Existence::Present
            && !guarded
            && !self.touched.contains(&k)
        {
            let by = self.schema.table(&t).map_or(self.rev, |tab| tab.created_by);
            self.events.push(Event::Exists {
                phase: self.phase,
                what: What::Table,
                name: t.clone(),
                table: None,
                created_by: by,
                range: op.range,
            });
        }
        // Created only if missing (`if has_table(t): return`, `IF NOT EXISTS`) where no
        // revision made it before: on a database the chain built, this create runs.
        let first = op.if_exists
            && !op.guarded
            && op.swallowed.is_none()
            && earlier.is_none()
            && self.schema.table_exists(&t) == Existence::Absent;
        let guarded = guarded && !first;
        self.touched.insert(k);
        let complete = !op.columns.is_empty()
            && op.columns.iter().all(|c| usable(Some(&c.name)).is_some())
            && !guarded;
        let mut table = Table {
            name: t.clone(),
            sure: !guarded,
            complete,
            generated_names: false,
            columns: op.columns.iter().map(|c| column_of(c, true)).collect(),
            objects: Vec::new(),
            created_by: self.rev,
            only_if_missing: (op.swallowed.is_some() || op.if_exists)
                && !op.conditional
                && op.dialects.is_all(),
        };
        for spec in &op.columns {
            table.objects.extend(inline_objects(spec));
        }
        table.objects.extend(op.constraints.iter().map(object_of));
        for pk in op
            .constraints
            .iter()
            .filter(|c| c.kind == ConstraintKind::PrimaryKey)
        {
            for c in &pk.columns {
                if let Some(col) = table.column_mut(c) {
                    col.nullable = Some(false);
                }
            }
        }
        table.generated_names = table
            .objects
            .iter()
            .any(|o| o.name.is_none() && o.kind != ConstraintKind::PrimaryKey);
        self.schema.set_table(&t, Some(Slot::Present(table)));
    }

    /// A unique constraint or index whose columns include a set the rows are already unique
    /// on (a unique object of the table, or one dropped since nothing wrote rows): it cannot
    /// fail on duplicates.
    fn note_implied_unique(&mut self, t: &str, object: &Object, op: &Operation, read: bool) {
        let unique = enforces_unique(object) || (object.kind == ConstraintKind::Index && op.unique);
        let (true, Phase::Upgrade, Some(name)) = (unique, self.phase, object.name.as_ref()) else {
            return;
        };
        let Some(table) = self.schema.table(t) else {
            return;
        };
        let within = |cols: &[String]| {
            !cols.is_empty()
                && cols
                    .iter()
                    .all(|c| object.columns.iter().any(|oc| oc.eq_ignore_ascii_case(c)))
        };
        let implied = table.objects.iter().any(|o| {
            (o.sure || read && o.kind == ConstraintKind::PrimaryKey)
                && enforces_unique(o)
                && within(&o.columns)
        }) || self
            .unique_rows
            .iter()
            .any(|(rt, cols)| *rt == key(t) && within(cols));
        if implied {
            self.events.push(Event::UniqueImplied {
                range: op.range,
                name: name.clone(),
            });
        }
    }

    /// A table known only as read (created behind `has_table()`): a unique constraint over
    /// the primary key it was read with cannot fail either.
    fn note_read_unique(&mut self, t: &str, op: &Operation) {
        if self.schema.table_exists(t) == Existence::Unknown
            && let Some(object) = op.constraints.first().map(object_of)
        {
            self.note_implied_unique(t, &object, op, true);
        }
    }

    fn create_object(&mut self, op: &Operation) {
        let Some(t) = self.target(op) else { return };
        self.note_read_unique(&t, op);
        if !self.existing(&t, op) {
            return;
        }
        let name = usable(op.name.as_ref()).map(str::to_string);
        let what = if op.kind == OpKind::CreateIndex {
            What::Index
        } else {
            What::Constraint
        };
        let guarded = op.guarded || op.if_exists;
        let mut object = op.constraints.first().map_or_else(
            || Object {
                kind: match op.kind {
                    OpKind::CreateIndex => ConstraintKind::Index,
                    OpKind::CreateUniqueConstraint => ConstraintKind::Unique,
                    OpKind::CreateForeignKey => ConstraintKind::ForeignKey,
                    OpKind::CreateCheckConstraint => ConstraintKind::Check,
                    _ => ConstraintKind::PrimaryKey,
                },
                name: name.clone(),
                columns: op.column.iter().cloned().collect(),
                ref_table: None,
                detail: KeyDetail::default(),
                sure: true,
            },
            object_of,
        );
        object.name.clone_from(&name);
        object.sure = !guarded;
        let phase = self.phase;
        self.note_implied_unique(&t, &object, op, false);
        let touched = name
            .as_deref()
            .is_some_and(|n| self.touched_objects.contains(&key(n)));
        let table = self.schema.table_mut(&t).expect("present");
        if object.kind == ConstraintKind::PrimaryKey {
            // A table has one primary key; batch mode replaces it (SQLite recreates the table).
            table
                .objects
                .retain(|o| o.kind != ConstraintKind::PrimaryKey);
            // Its columns become NOT NULL.
            for c in &object.columns {
                if let Some(col) = table.column_mut(c) {
                    col.nullable = Some(false);
                }
            }
            table.objects.push(object);
            return;
        }
        if let Some(n) = &name {
            if phase == Phase::Upgrade && table.object(n).is_some() {
                self.events.push(Event::AlreadyThere { range: op.range });
            }
            // SQLite batch mode restates constraints when it rebuilds the table.
            if let Some(existing) = table.object(n)
                && existing.sure
                && !guarded
                && !touched
                && !self.sqlite
            {
                self.events.push(Event::Exists {
                    phase,
                    what,
                    name: n.clone(),
                    table: Some(t.clone()),
                    created_by: table.created_by,
                    range: op.range,
                });
            }
            table.objects.retain(|o| {
                !o.name
                    .as_deref()
                    .is_some_and(|on| on.eq_ignore_ascii_case(n))
            });
            self.touched_objects.insert(key(n));
        } else if object.kind != ConstraintKind::PrimaryKey {
            table.generated_names = true;
        }
        table.objects.push(object);
        let table = table.clone();
        self.schema.index_fks(&table);
    }

    /// `ALTER INDEX a RENAME TO b` / `RENAME CONSTRAINT`: the object keeps its table.
    fn rename_object(&mut self, op: &Operation) {
        let (Some(old), Some(new)) = (
            usable(op.name.as_ref()).map(str::to_string),
            usable(op.new_name.as_ref()).map(str::to_string),
        ) else {
            self.opaque = true;
            return;
        };
        self.touched_objects.insert(key(&old));
        self.touched_objects.insert(key(&new));
        let owner = match usable(op.table.as_ref()) {
            Some(t) => Some(t.to_string()),
            None => self.schema.tables.values().find_map(|slot| match slot {
                Slot::Present(t) if t.object(&old).is_some() => Some(t.name.clone()),
                _ => None,
            }),
        };
        let Some(owner) = owner else { return };
        if let Some(table) = self.schema.table_mut(&owner) {
            for o in &mut table.objects {
                if o.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&old))
                {
                    o.name = Some(new.clone());
                }
            }
        }
    }

    fn drop_object(&mut self, op: &Operation) {
        let what = if op.kind == OpKind::DropIndex {
            What::Index
        } else {
            What::Constraint
        };
        let Some(name) = usable(op.name.as_ref()).map(str::to_string) else {
            // `drop_constraint(None, ...)` or a name built at run time.
            if let Some(t) = usable(op.table.as_ref()).map(str::to_string) {
                self.forget_table(&t);
            } else {
                self.opaque = true;
            }
            return;
        };
        let k = key(&name);
        let touched = self.touched_objects.contains(&k);
        self.touched_objects.insert(k);
        let table_name = match usable(op.table.as_ref()) {
            Some(t) => t.to_string(),
            None => {
                // `DROP INDEX name` with no table: find it anywhere.
                let owner = self.schema.tables.values().find_map(|slot| match slot {
                    Slot::Present(t) if t.object(&name).is_some() => Some(t.name.clone()),
                    _ => None,
                });
                match owner {
                    Some(o) => o,
                    None => return,
                }
            }
        };
        if !self.existing(&table_name, op) {
            return;
        }
        let table = self.schema.table(&table_name).expect("present");
        if table.object(&name).is_none() {
            let possible = !table.complete
                || table.generated_names
                || pk_like(&name)
                || self.schema.object_anywhere(&name);
            if !possible && self.phase == Phase::Downgrade && !touched {
                self.missing(what, &name, Some(&table_name), op);
            }
            if !possible && self.phase == Phase::Upgrade && (op.if_exists || op.guarded) {
                self.events.push(Event::AbsentNotDropped {
                    range: op.range,
                    name: name.clone(),
                });
            }
            // Whatever it was, an unnamed object of the table may have been the one dropped.
            let table = self.schema.table_mut(&table_name).expect("present");
            for o in &mut table.objects {
                if o.name.is_none() {
                    o.sure = false;
                }
            }
            return;
        }
        if let Some(o) = table.object(&name).filter(|o| o.sure && enforces_unique(o)) {
            // Its rows stay unique on these columns after the drop.
            self.unique_rows.push((key(&table_name), o.columns.clone()));
        }
        self.check_fk_index(&table_name, &name, op);
        // The name it was created under (a naming convention's full name finds it too).
        let created = self.schema.table(&table_name).and_then(|t| t.object(&name));
        let name = created.and_then(|o| o.name.clone()).unwrap_or(name);
        let guarded = op.guarded || op.if_exists;
        let table = self.schema.table_mut(&table_name).expect("present");
        if guarded {
            for o in &mut table.objects {
                if o.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                {
                    o.sure = false;
                }
            }
        } else {
            table.objects.retain(|o| {
                !o.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&name))
            });
        }
    }

    /// An unconditional drop of index (or unique constraint) `name` of `table_name` that is
    /// the last one a foreign key of the table can use ([`Event::ForeignKeyNeedsIt`]).
    fn check_fk_index(&mut self, table_name: &str, name: &str, op: &Operation) {
        if op.guarded || op.if_exists {
            return;
        }
        let Some(table) = self
            .schema
            .table(table_name)
            .filter(|t| t.sure && t.complete)
        else {
            return;
        };
        let Some(index) = table
            .object(name)
            .filter(|o| o.sure && matches!(o.kind, ConstraintKind::Index | ConstraintKind::Unique))
        else {
            return;
        };
        let serves = |o: &Object, fk: &Object| {
            o.columns.len() >= fk.columns.len()
                && o.columns
                    .iter()
                    .zip(&fk.columns)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        let needing = table.objects.iter().find(|fk| {
            fk.kind == ConstraintKind::ForeignKey
                && fk.sure
                && !fk.columns.is_empty()
                && serves(index, fk)
                && !table.objects.iter().any(|o| {
                    !std::ptr::eq(o, index)
                        && matches!(
                            o.kind,
                            ConstraintKind::Index
                                | ConstraintKind::Unique
                                | ConstraintKind::PrimaryKey
                        )
                        && serves(o, fk)
                })
        });
        if let Some(fk) = needing {
            self.events.push(Event::ForeignKeyNeedsIt {
                phase: self.phase,
                range: op.range,
                table: table.name.clone(),
                what: What::Index,
                name: index.name.clone().unwrap_or_else(|| name.to_string()),
                fk: fk.name.clone(),
                columns: fk.columns.clone(),
            });
        }
    }
}

fn other_kind(kind: OpKind) -> OtherKind {
    match kind {
        OpKind::CreateView | OpKind::DropView => OtherKind::View,
        OpKind::CreateType | OpKind::DropType | OpKind::RenameType => OtherKind::Type,
        _ => OtherKind::Sequence,
    }
}

/// A primary key, unique constraint or unique index: no two rows share its columns' values.
fn enforces_unique(o: &Object) -> bool {
    match o.kind {
        ConstraintKind::PrimaryKey | ConstraintKind::Unique => true,
        ConstraintKind::Index => o.detail.unique,
        _ => false,
    }
}

/// `alter_column(..., nullable=False)` or `SET NOT NULL`.
#[must_use]
pub fn sets_not_null(op: &Operation) -> bool {
    op.kind == OpKind::SetNotNull
        || (op.kind == OpKind::AlterColumn
            && op.kwarg_value("nullable") == Some(&Value::Bool(false)))
}

/// The column `add_column` adds: nullable unless it says otherwise.
fn added_column(spec: &ColumnSpec) -> Column {
    let mut col = column_of(spec, false);
    col.nullable = spec.nullable.or(Some(true));
    col
}

/// How `op` changes the known type of `col`, if both are known.
fn type_change(col: &Column, op: &Operation) -> Option<super::type_compare::Change> {
    // `type_=` of `alter_column`, or the type of raw SQL's `MODIFY` / `ALTER COLUMN TYPE`.
    let new_type = op
        .kwarg_value("type_")
        .or_else(|| op.columns.first().and_then(|c| c.type_.as_ref()));
    Some(super::type_compare::compare(
        Some(col.type_.as_ref()?),
        new_type?,
    ))
}

/// Does `op` change `col` to a type that keeps every value the known type holds?
fn not_narrowed(col: &Column, op: &Operation) -> bool {
    use super::type_compare::Change;
    matches!(type_change(col, op), Some(Change::Same | Change::Widening))
}

/// Does `op` leave `col` in its type's family (`TEXT` to `MEDIUMTEXT`)?
fn same_type(col: &Column, op: &Operation) -> bool {
    matches!(
        type_change(col, op),
        Some(super::type_compare::Change::Same)
    )
}

/// `alter_column(...)` / `SET NOT NULL` on a known column.
fn alter(col: &mut Column, op: &Operation, guarded: bool) {
    if guarded {
        // A change that may run leaves a nullable column nullable unless it sets NOT NULL
        // (MySQL restates a column without `existing_nullable=` as NULL, which it was).
        let keeps_null = col.nullable == Some(true)
            && op.kwarg("nullable").is_none()
            && op.kind != OpKind::SetNotNull;
        col.nullable = keeps_null.then_some(true);
        // Whether it ran or not, a change within the type's family leaves it there.
        if !same_type(col, op) {
            col.type_ = None;
        }
        col.default_known = false;
        return;
    }
    match op.kind {
        OpKind::SetNotNull => col.nullable = Some(false),
        OpKind::DropNotNull => col.nullable = Some(true),
        _ => {
            if let Some(n) = op.kwarg_value("nullable") {
                col.nullable = n.as_bool();
            } else if col.nullable.is_none() {
                col.nullable = op.kwarg_value("existing_nullable").and_then(Value::as_bool);
            }
            let new_type = op
                .kwarg_value("type_")
                .cloned()
                .or_else(|| op.columns.first().and_then(|c| c.type_.clone()));
            if let Some(ty) = new_type {
                col.type_ = Some(ty).filter(|t| *t != Value::Unknown);
            } else if col.type_.is_none() {
                col.type_ = op
                    .kwarg_value("existing_type")
                    .cloned()
                    .filter(|t| *t != Value::Unknown);
            }
            if let Some(d) = op.kwarg("server_default") {
                col.default = (d.value != Value::None).then(|| d.text.clone());
                col.default_known = !matches!(d.value, Value::Unknown) || d.value == Value::None;
                if d.value != Value::None {
                    col.default_known = true;
                }
            }
        }
    }
}

/// Does the function only read, with nothing the replay cannot model?
fn ops_of(f: Option<&Function>) -> &[Operation] {
    match f {
        Some(f) if f.body == BodyKind::Active => &f.ops,
        _ => &[],
    }
}

/// Does this base start from an empty database (it creates tables)?
fn creates_tables(m: &MigrationAST) -> bool {
    m.upgrade_ops()
        .iter()
        .any(|o| o.kind == OpKind::CreateTable && !o.guarded)
}

impl Schema {
    /// The empty state the replay of `order` starts from: closed (an object it has not seen is
    /// absent) when every base among them creates its tables.
    fn at_base(g: &Graph<'_>, order: &[usize]) -> Schema {
        let mut bases = order
            .iter()
            .filter(|&&i| g.parents[i].is_empty())
            .peekable();
        let closed = bases.peek().is_some() && bases.all(|&b| creates_tables(g.migs[b]));
        Schema {
            closed,
            ..Schema::default()
        }
    }
}

impl Replay {
    /// Each event of the revisions the replay could read (not `opaque`), with the revision's
    /// graph index, in replay order: what the rules over the replay report on.
    pub fn known_events(&self) -> impl Iterator<Item = (usize, &Event)> {
        self.order
            .iter()
            .filter(|&&i| !self.facts[i].opaque)
            .flat_map(move |&i| self.facts[i].events.iter().map(move |e| (i, e)))
    }

    /// The state just before `target`'s upgrade runs: its ancestors replayed in graph order.
    #[must_use]
    pub fn schema_before(g: &Graph<'_>, target: usize) -> Schema {
        let ancestors: HashSet<usize> = g.ancestors(target).collect();
        let order: Vec<usize> = topo_order(g)
            .into_iter()
            .filter(|i| ancestors.contains(i))
            .collect();
        let mut schema = Schema::at_base(g, &order);
        schema.keep_definitions = true;
        for &i in &order {
            replay_revision(&mut schema, g.migs[i], i);
        }
        schema
    }

    /// Replay every revision of the graph once, in topological order.
    #[must_use]
    pub fn run(g: &Graph<'_>) -> Replay {
        let order = topo_order(g);
        let mut facts = vec![RevisionFacts::default(); g.migs.len()];
        let mut schema = Schema::at_base(g, &order);
        for &i in &order {
            facts[i] = replay_revision(&mut schema, g.migs[i], i);
        }
        Replay { facts, order }
    }
}

fn replay_revision(schema: &mut Schema, m: &MigrationAST, rev: usize) -> RevisionFacts {
    let sqlite = m.dialect == super::model::DialectHint::Sqlite;
    let up_ops = ops_of(m.upgrade.as_ref());
    let created = created_objects(up_ops);
    // A repair is told from an upgrade the replay could not follow only where the replay knows
    // what the upgrade works on: a change to a table or column it does not know leaves nothing
    // to compare (mlflow's base starts on tables no revision creates: widening `params.value`
    // looked like a repair, and its empty downgrade went unreported).
    let tables_known = up_ops.iter().all(|o| {
        o.table.as_deref().is_none_or(|t| {
            let t = key(t);
            // A table created only if absent is known by the columns it was read with.
            schema.table_exists(&t) == Existence::Present
                || schema
                    .table(&t)
                    .is_some_and(|tb| o.column.as_deref().is_some_and(|c| tb.column(c).is_some()))
        })
    });
    schema.start_journal();
    let mut sim = Sim {
        schema,
        rev,
        phase: Phase::Upgrade,
        events: Vec::new(),
        touched: HashSet::new(),
        dropped: HashSet::new(),
        read: Vec::new(),
        unique_rows: Vec::new(),
        touched_objects: HashSet::new(),
        created: &created,
        opaque: false,
        sqlite,
        other_dialect: matches!(
            m.dialect,
            super::model::DialectHint::Postgres | super::model::DialectHint::MySql
        ),
    };
    sim.apply_all(up_ops);
    sim.schema.note_definitions(up_ops, rev);
    // A copy the same upgrade drops after the original does not outlive it: rolling the
    // revision back brings both back empty.
    let schema = &sim.schema;
    sim.events.retain(|e| match e {
        Event::ValuesCopied { into, .. } => schema.may_have_column(into),
        Event::RowsCopied { into, .. } => schema.table_exists(into) != Existence::Absent,
        _ => true,
    });
    let mut events = std::mem::take(&mut sim.events);
    let mut opaque = sim.opaque;
    let up_journal = sim.schema.take_journal();
    let schema_unchanged = !opaque
        && tables_known
        && modelled(up_ops)
        && repair_shaped(up_ops)
        && up_journal.iter().all(|s| match s {
            Saved::Closed(_) => true,
            Saved::Table(name, before) => before.as_ref() == sim.schema.tables.get(name),
            Saved::Other(kind, name, before) => {
                before.as_ref() == sim.schema.others.get(&(*kind, name.clone()))
            }
        });
    let mut drift = Vec::new();
    if let Some(down) = m.downgrade.as_ref().filter(|f| f.body == BodyKind::Active) {
        sim.schema.start_journal();
        sim.phase = Phase::Downgrade;
        sim.touched.clear();
        sim.touched_objects.clear();
        sim.unique_rows.clear();
        sim.opaque = false;
        sim.apply_all(&down.ops);
        events.append(&mut sim.events);
        opaque |= sim.opaque;
        let down_journal = sim.schema.take_journal();
        if !opaque {
            drift = compare(sim.schema, &up_journal, &down_journal);
        }
        sim.schema.rollback(down_journal);
    }
    RevisionFacts {
        events,
        drift,
        opaque,
        schema_unchanged,
    }
}

/// The indexes and constraints an upgrade creates by name: (table, what, name).
fn created_objects(up_ops: &[Operation]) -> Vec<(String, What, String)> {
    up_ops
        .iter()
        .filter_map(|o| {
            let what = match o.kind {
                OpKind::CreateIndex => What::Index,
                OpKind::CreateUniqueConstraint
                | OpKind::CreateForeignKey
                | OpKind::CreateCheckConstraint
                | OpKind::CreatePrimaryKey => What::Constraint,
                _ => return None,
            };
            Some((o.table.clone()?, what, o.name.clone()?))
        })
        .collect()
}

/// Every operation is one the replay models (no triggers, functions, sequences, opaque SQL
/// or calls), so an unchanged state means an unchanged schema.
fn modelled(up_ops: &[Operation]) -> bool {
    up_ops.iter().all(|o| {
        !matches!(
            o.kind,
            OpKind::CreateTrigger
                | OpKind::DropTrigger
                | OpKind::CreateFunction
                | OpKind::DropFunction
                | OpKind::AlterTypeAddValue
                | OpKind::AlterSequence
                | OpKind::SetVal
                | OpKind::Truncate
                | OpKind::Other
                | OpKind::Call
        )
    })
}

/// Shaped like a repair: schema operations (that may find the schema already as they leave
/// it), and no rewrite of whole tables (that is data to restore, not schema).
fn repair_shaped(up_ops: &[Operation]) -> bool {
    let data = |o: &&Operation| {
        matches!(
            o.kind,
            OpKind::Update
                | OpKind::Delete
                | OpKind::Insert
                | OpKind::BulkInsert
                | OpKind::Read
                | OpKind::Execute
        )
    };
    up_ops.iter().any(|o| !data(&o))
        && up_ops
            .iter()
            .filter(data)
            .all(|o| o.has_where || !matches!(o.kind, OpKind::Update | OpKind::Delete))
}

/// The objects either function touched: before the upgrade against after the downgrade.
fn compare(schema: &Schema, up: &[Saved], down: &[Saved]) -> Vec<Drift> {
    let mut before: HashMap<&str, Option<&Slot<Table>>> = HashMap::new();
    for s in down.iter().chain(up) {
        // Upgrade entries win: they hold the state before the upgrade.
        if let Saved::Table(name, slot) = s {
            before.insert(name.as_str(), slot.as_ref());
        }
    }
    let mut names: Vec<&&str> = before.keys().collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let Some(Some(Slot::Present(old))) = before.get(*name) else {
            continue;
        };
        if !old.sure || !old.complete {
            continue;
        }
        let name: &str = name;
        match schema.tables.get(name) {
            Some(Slot::Present(new)) if new.sure => {
                column_drift(old, new, &mut out);
                object_drift(old, new, &mut out);
            }
            Some(Slot::Gone) => out.push(Drift::NotRecreated {
                what: What::Table,
                name: old.name.clone(),
                table: None,
            }),
            _ => {}
        }
    }
    out
}

/// Columns of `old` that `new` lacks, or has nullable, of another type, or without the
/// server default.
fn column_drift(old: &Table, new: &Table, out: &mut Vec<Drift>) {
    for oc in &old.columns {
        let Some(nc) = new.column(&oc.name) else {
            if new.complete {
                out.push(Drift::NotRecreated {
                    what: What::Column,
                    name: format!("{}.{}", old.name, oc.name),
                    table: Some(old.name.clone()),
                });
            }
            continue;
        };
        if let (Some(false), Some(true)) = (oc.nullable, nc.nullable) {
            out.push(Drift::NullableNotRestored {
                table: old.name.clone(),
                column: oc.name.clone(),
                before: false,
            });
        }
        if let (Some(a), Some(b)) = (&oc.type_, &nc.type_)
            && a != b
        {
            out.push(Drift::TypeNotRestored {
                table: old.name.clone(),
                column: oc.name.clone(),
                before: a.clone(),
                after: b.clone(),
            });
        }
        if oc.default_known && nc.default_known && oc.default.is_some() && nc.default.is_none() {
            out.push(Drift::Column {
                table: old.name.clone(),
                column: oc.name.clone(),
                attribute: "server default",
                before: oc.default.clone().unwrap_or_default(),
                after: "none".to_string(),
            });
        }
    }
}

/// Named indexes and constraints of `old` that `new` does not have again.
fn object_drift(old: &Table, new: &Table, out: &mut Vec<Drift>) {
    for o in &old.objects {
        let Some(n) = &o.name else { continue };
        // Recreated without a name: the database names it (`<table>_pkey`, ...).
        let unnamed_twin = new.objects.iter().any(|x| {
            x.name.is_none()
                && x.kind == o.kind
                && (o.kind == ConstraintKind::PrimaryKey
                    || x.columns.len() == o.columns.len()
                        && x.columns
                            .iter()
                            .zip(&o.columns)
                            .all(|(a, b)| a.eq_ignore_ascii_case(b)))
        });
        if let Some(x) = new.object(n)
            && o.kind == ConstraintKind::Index
            && x.kind == ConstraintKind::Index
            && o.sure
            && x.sure
            && o.detail.whole
            && x.detail.whole
            && o.detail.unique != x.detail.unique
        {
            // Both written out in full (`unique=` a literal or absent): the flag is known.
            out.push(Drift::IndexUniqueness {
                table: old.name.clone(),
                name: n.clone(),
                before: o.detail.unique,
            });
        }
        if o.sure && new.object(n).is_none() && !new.generated_names && !unnamed_twin {
            out.push(Drift::NotRecreated {
                what: if o.kind == ConstraintKind::Index {
                    What::Index
                } else {
                    What::Constraint
                },
                name: n.clone(),
                table: Some(old.name.clone()),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_file;

    fn replay(files: &[&str]) -> (Vec<MigrationAST>, Replay) {
        let migs: Vec<MigrationAST> = files
            .iter()
            .enumerate()
            .map(|(i, src)| {
                scan_file(format!("r{i}.py"), 0, src.as_bytes())
                    .migration
                    .expect("a migration")
            })
            .collect();
        let replay = Replay::run(&Graph::new(migs.iter().collect()));
        (migs, replay)
    }

    const BASE: &str = "revision = 'a'\ndown_revision = None\nfrom alembic import op\nimport sqlalchemy as sa\n\ndef upgrade():\n    op.create_table('parent', sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.String(50), nullable=False))\n    op.create_table('child', sa.Column('id', sa.Integer, primary_key=True), sa.Column('parent_id', sa.Integer, sa.ForeignKey('parent.id')))\n    op.create_index('ix_child_parent', 'child', ['id', 'parent_id'])\n\ndef downgrade():\n    op.drop_index('ix_child_parent', table_name='child')\n    op.drop_table('child')\n    op.drop_table('parent')\n";

    #[test]
    fn a_clean_chain_has_no_events() {
        let (_, r) = replay(&[BASE]);
        assert!(r.facts[0].events.is_empty(), "{:?}", r.facts[0].events);
        assert!(r.facts[0].drift.is_empty(), "{:?}", r.facts[0].drift);
        assert!(!r.facts[0].opaque);
    }

    #[test]
    fn dropping_the_parent_first_is_referenced() {
        let src = BASE.replace(
            "    op.drop_table('child')\n    op.drop_table('parent')\n",
            "    op.drop_table('parent')\n    op.drop_table('child')\n",
        );
        let (_, r) = replay(&[&src]);
        assert!(
            matches!(&r.facts[0].events[..], [Event::Referenced { table, by, .. }] if table == "parent" && by == "child"),
            "{:?}",
            r.facts[0].events
        );
    }

    #[test]
    fn a_never_created_index_is_missing_and_columns_take_their_indexes_along() {
        let base = BASE.replace(
            "    op.create_index('ix_child_parent'",
            "    op.create_index('ix_parent_name', 'parent', ['name'])\n    op.create_index('ix_child_parent'",
        );
        let next = "revision = 'b'\ndown_revision = 'a'\nfrom alembic import op\nimport sqlalchemy as sa\n\ndef upgrade():\n    op.drop_column('parent', 'name')\n\ndef downgrade():\n    op.add_column('parent', sa.Column('name', sa.String(50)))\n    op.drop_index('sm_dag', table_name='sla_miss')\n    op.drop_index('ix_parent_name', table_name='parent')\n    op.drop_index('ix_child_other', table_name='child')\n";
        let (_, r) = replay(&[&base, next]);
        let missing: Vec<String> = r.facts[1]
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Missing { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        // `child` has a foreign key with a generated name: its index names are not closed.
        assert_eq!(missing, vec!["sm_dag", "ix_parent_name"]);
    }

    #[test]
    fn renames_carry_foreign_keys_and_downgrade_state_is_rolled_back() {
        let next = "revision = 'b'\ndown_revision = 'a'\nfrom alembic import op\n\ndef upgrade():\n    op.rename_table('parent', 'owner')\n\ndef downgrade():\n    op.rename_table('owner', 'parent')\n";
        let last = "revision = 'c'\ndown_revision = 'b'\nfrom alembic import op\n\ndef upgrade():\n    op.drop_table('owner')\n\ndef downgrade():\n    pass\n";
        let (_, r) = replay(&[BASE, next, last]);
        assert!(r.facts[1].events.is_empty(), "{:?}", r.facts[1].events);
        assert!(
            matches!(&r.facts[2].events[..], [Event::Referenced { table, .. }] if table == "owner"),
            "{:?}",
            r.facts[2].events
        );
    }

    #[test]
    fn an_open_world_never_reports_missing_tables() {
        let src = "revision = 'a'\ndown_revision = None\nfrom alembic import op\n\ndef upgrade():\n    op.add_column('legacy', sa.Column('x', sa.Integer))\n\ndef downgrade():\n    op.drop_index('ix_other', table_name='other')\n    op.drop_column('legacy', 'x')\n";
        let (_, r) = replay(&[src]);
        assert!(r.facts[0].events.is_empty(), "{:?}", r.facts[0].events);
    }

    #[test]
    fn unreadable_code_makes_the_revision_opaque() {
        let next = "revision = 'b'\ndown_revision = 'a'\nfrom alembic import op\nfrom helpers import rebuild\n\ndef upgrade():\n    rebuild()\n\ndef downgrade():\n    op.drop_index('whatever', table_name='nothing')\n";
        let (_, r) = replay(&[BASE, next]);
        assert!(r.facts[1].opaque);
    }

    #[test]
    fn nullability_not_restored_is_drift() {
        let next = "revision = 'b'\ndown_revision = 'a'\nfrom alembic import op\nimport sqlalchemy as sa\n\ndef upgrade():\n    op.alter_column('parent', 'name', nullable=True)\n\ndef downgrade():\n    pass\n";
        let (_, r) = replay(&[BASE, next]);
        assert!(
            r.facts[1].drift.is_empty(),
            "an empty downgrade is another rule's"
        );
        let next = next.replace(
            "    pass\n",
            "    op.alter_column('parent', 'name', type_=sa.String(50))\n",
        );
        let (_, r) = replay(&[BASE, &next]);
        assert!(
            matches!(&r.facts[1].drift[..], [Drift::NullableNotRestored { column, .. }] if column == "name"),
            "{:?}",
            r.facts[1].drift
        );
    }

    #[test]
    fn long_chains_replay_linearly() {
        // 2,000 here (each file is parsed in a debug build); rules::tests runs 10,000.
        let mut files = vec![BASE.to_string()];
        for i in 1..2_000 {
            let parent = if i == 1 {
                "a".to_string()
            } else {
                format!("r{}", i - 1)
            };
            files.push(format!(
                "revision = 'r{i}'\ndown_revision = '{parent}'\nfrom alembic import op\nimport sqlalchemy as sa\n\ndef upgrade():\n    op.create_table('t{i}', sa.Column('id', sa.Integer, primary_key=True), sa.Column('p', sa.Integer, sa.ForeignKey('parent.id')))\n\ndef downgrade():\n    op.drop_table('t{i}')\n"
            ));
        }
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        let (_, r) = replay(&refs);
        assert_eq!(r.order.len(), 2_000);
        assert!(
            r.facts
                .iter()
                .all(|f| f.events.is_empty() && f.drift.is_empty())
        );
    }
}
