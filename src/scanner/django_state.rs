//! The Django project state: every app's migrations replayed in dependency order (across files
//! and apps, `dependencies` and squashed `replaces` followed), so that rules can ask what a model
//! and its fields were just before an operation ran.
//!
//! The scanner reads each migration's operations into [`Step`]s ([`DjangoFacts`]); the replay
//! orders the migrations of all apps topologically (Kahn, ties by file order) and applies each
//! step once to one mutable state: the work is linear in the number of steps.
//!
//! Precision before recall: a model or field the replay has seen but cannot model (options or
//! fields that are not literals, a custom operation or raw SQL touching it) is *unknown*, and
//! the rules built on the state never fire on an unknown object. A model the replay has not
//! seen at all (its app was not scanned) is *unseen*: rules fall back to the file alone.

use std::collections::{HashMap, HashSet};

pub use super::django_facts::{
    Change, DataFlow, DjangoFacts, FieldFacts, FieldRef, Opt, Options, Step,
};

/// A field as the state knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub facts: FieldFacts,
    /// A `RunPython` wrote every row's value since the field was last added or made nullable
    /// (the backfill before `AlterField` to NOT NULL).
    pub filled: bool,
    /// Added by `AddField` and written by nothing since: its rows hold only the value the
    /// field was added with.
    pub fresh: bool,
    /// Code we cannot read (a custom operation, raw SQL) may have changed its rows.
    pub data_unknown: bool,
    /// An earlier `RunPython` copied its values into another field of the model, and that
    /// migration's reverse writes them back: (app, migration) of that migration.
    pub moved_by: Option<(String, String)>,
    /// An earlier `RunPython` copied its every value as it was into another field of the same
    /// rows, and its reverse does not write them back: where they live on after a rollback.
    pub copied_into: Option<Box<CopiedInto>>,
    /// The migration (index among the replayed nodes) whose `CreateModel` or `AddField` made
    /// it: at a merge, a field one branch added since the branches parted is that branch's.
    pub born: usize,
    /// The migration that last declared it (`CreateModel`, `AddField`, `AlterField`,
    /// `RenameField`): at a merge, the branch that redeclared it since they parted wins.
    pub declared: usize,
    /// The names `RenameField` gave it before (lower-case, oldest first): at a merge, the
    /// other branch may still hold it under one of them.
    pub former_names: Vec<String>,
}

/// Where a `RunPython` copied a field's values ([`Field::copied_into`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopiedInto {
    /// (app, migration) of the `RunPython`.
    pub by: (String, String),
    /// The model the values went to, as (app, model), lower-case: the same model (the same
    /// rows), or another whose new rows link back to the rows copied.
    pub model: (String, String),
    /// The field the values went to, lower-case, and the migration that made it then
    /// ([`Field::born`]): a field of that name made since is another, empty one.
    pub field: String,
    pub born: usize,
    /// The values went in computed from the field (and maybe others), not as they were.
    pub converted: bool,
}

/// A model as the state knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    pub name: String,
    pub managed: Opt<bool>,
    pub proxy: Opt<bool>,
    pub db_table: Opt<String>,
    /// `None`: its fields are not known (a field list we could not read).
    pub fields: Option<HashMap<String, Field>>,
    /// Code we cannot read touched its rows.
    pub data_unknown: bool,
    /// The migration (of its app) whose `CreateModel` made it.
    pub created_in: String,
    /// An earlier `RunPython` (of any app) copied its rows into another model: that
    /// migration's (app, name) and the target model as written.
    pub copied_by: Option<(String, String, String)>,
    /// An earlier `RunPython` (of any app) deleted every row, and no step since may have
    /// written one: that migration's (app, name).
    pub emptied_by: Option<(String, String)>,
}

impl Model {
    /// Is it known to have no table of its own, so that its operations touch no table:
    /// `managed = False` or a proxy. `None` when not known.
    #[must_use]
    pub fn tableless(&self) -> Option<bool> {
        match (&self.managed, &self.proxy) {
            (Opt::Known(false), _) | (_, Opt::Known(true)) => Some(true),
            (Opt::Unknown, _) | (_, Opt::Unknown) => None,
            _ => Some(false),
        }
    }

    #[must_use]
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.as_ref()?.get(&name.to_ascii_lowercase())
    }

    /// A field by the name a write uses (`content_type_id` for the `content_type` key).
    #[must_use]
    pub fn written_field(&self, name: &str) -> Option<&Field> {
        self.field(name)
            .or_else(|| self.field(name.to_ascii_lowercase().strip_suffix("_id")?))
    }

    /// Code we cannot read may have changed any of its rows.
    fn rows_changed(&mut self) {
        self.emptied_by = None;
        match self.fields.as_mut() {
            Some(fs) => fs.values_mut().for_each(|f| {
                f.data_unknown = true;
                f.fresh = false;
            }),
            None => self.data_unknown = true,
        }
    }

    /// The table name: `db_table`, or Django's default `<app_label>_<model>`.
    fn table(&self, app: &str) -> Option<String> {
        match &self.db_table {
            Opt::Known(t) => Some(t.to_ascii_lowercase()),
            Opt::Absent => Some(format!("{app}_{}", self.name.to_ascii_lowercase())),
            Opt::Unknown => None,
        }
    }
}

/// What the state says about a model just before an operation.
#[derive(Clone, Copy, Debug)]
pub enum Seen<'s> {
    /// The replay never saw it created: the file alone decides.
    Unseen,
    /// Seen, but something about it cannot be modelled.
    Unknown,
    Known(&'s Model),
}

/// One app's models, as the replay knows them just before a step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppState {
    /// Model lower-case → model.
    models: HashMap<String, Model>,
    /// Models touched by an operation the replay could not read in full.
    unknown: HashSet<String>,
    /// Operations we could not read may have created or changed any model of the app.
    all_unknown: bool,
    /// The migration (index among the replayed nodes) that last changed each model: at a
    /// merge, the branch that changed it since the branches parted wins ([`Fork`]).
    changed: HashMap<String, usize>,
}

/// The whole project state: app label (lower-case) → its models.
#[derive(Clone, Debug, Default)]
pub struct State {
    apps: HashMap<String, AppState>,
    /// The migration being applied (its index among the nodes), recorded as the last change
    /// of what it touches.
    now: usize,
    /// App label → the apps its migrations name in their dependencies.
    depends_on: HashMap<String, HashSet<String>>,
    /// Tables and columns the models gave up while the database kept them: a `RemoveField` or
    /// `DeleteModel` in the `state_operations` of a `SeparateDatabaseAndState` (saleor's
    /// two-step removals). Table (lower-case) → what is left of it.
    left_in_db: HashMap<String, Vec<LeftInDb>>,
    /// Models an operation made unknown (the database half of a `SeparateDatabaseAndState`,
    /// code the replay cannot read), as they were known just before: where their table and
    /// columns were, for a later state-only removal ([`LeftInDb`]).
    last_known: HashMap<(String, String), Model>,
}

/// A column (or a whole table: `column` empty) that the state stopped knowing while the
/// database kept it, and the migration that did so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftInDb {
    /// Lower-case; empty for the table itself.
    pub column: String,
    pub app: String,
    pub migration: String,
}

fn key(app: &str, model: &str) -> (String, String) {
    (app.to_ascii_lowercase(), model.to_ascii_lowercase())
}

impl State {
    #[must_use]
    pub fn model(&self, app: &str, model: &str) -> Seen<'_> {
        let (a, m) = key(app, model);
        let Some(app) = self.apps.get(&a) else {
            return Seen::Unseen;
        };
        if app.unknown.contains(&m) {
            return Seen::Unknown;
        }
        match app.models.get(&m) {
            Some(model) => Seen::Known(model),
            None if app.all_unknown => Seen::Unknown,
            None => Seen::Unseen,
        }
    }

    /// A model of another app, built on `app` (its migrations depend on `app`'s), with the same
    /// name and every field `model` still has beyond its key (same names and classes): where
    /// the model was moved to. Its app and the migration that created it.
    #[must_use]
    pub fn moved_copy(&self, app: &str, model: &Model) -> Option<(&str, &str)> {
        let (app, name) = key(app, &model.name);
        let fields = model.fields.as_ref()?;
        if !fields.values().any(|f| !f.facts.primary_key) {
            return None;
        }
        self.apps
            .iter()
            .filter_map(|(other, state)| {
                let copy = state.models.get(&name)?;
                let theirs = copy.fields.as_ref()?;
                let built_on = self.depends_on.get(other)?.contains(&app);
                let same = fields.iter().all(|(n, f)| {
                    f.facts.primary_key
                        || theirs
                            .get(n)
                            .is_some_and(|t| t.facts.class == f.facts.class)
                });
                (*other != app && built_on && same)
                    .then_some((other.as_str(), copy.created_in.as_str()))
            })
            .min()
    }

    /// A copy to check a squash on: its own app's models as they are, the other apps' only as
    /// far as they are unknown.
    fn scratch_copy(&self, app: &str) -> State {
        State {
            apps: self
                .apps
                .iter()
                .map(|(a, s)| {
                    let kept = if a == app {
                        s.clone()
                    } else {
                        AppState {
                            unknown: s.unknown.clone(),
                            ..AppState::default()
                        }
                    };
                    (a.clone(), kept)
                })
                .collect(),
            now: self.now,
            depends_on: self.depends_on.clone(),
            left_in_db: self.left_in_db.clone(),
            last_known: self.last_known.clone(),
        }
    }

    /// What of `table` a state-only operation took out of the models while the database kept
    /// it (a column, or the table itself: `column` empty), and nothing declared again since.
    #[must_use]
    pub fn left_in_db(&self, table: &str) -> &[LeftInDb] {
        self.left_in_db
            .get(&table.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// A state-only `RemoveField` / `DeleteModel` of `app`'s migration `mig`: record the
    /// columns and tables it leaves in the database (the field's column, an auto-created
    /// many-to-many table; the model's table and its auto-created many-to-many tables).
    fn record_left_in_db(&mut self, app: &str, mig: &str, change: &Change) {
        let mut left: Vec<(String, String)> = Vec::new();
        // Known, or as it was known before an operation made it unknown (the database half of
        // the same `SeparateDatabaseAndState` altered it).
        let known = |model: &str| match self.model(app, model) {
            Seen::Known(m) => Some(m),
            _ => self.last_known.get(&key(app, model)),
        };
        // A model or field the replay cannot read (code it does not follow touched its app, a
        // field list built by a function): Django's default names, `<app>_<model>` and the
        // field's name, `<name>_id` for a relation or `<table>_<name>` for a many-to-many, as
        // they may be.
        let default_table = |model: &str| format!("{app}_{model}").to_ascii_lowercase();
        match change {
            Change::RemoveField { model, name } => {
                let (table, field) = match known(model) {
                    Some(m) => (m.table(app), m.field(name)),
                    None if matches!(self.model(app, model), Seen::Unknown) => {
                        (Some(default_table(model)), None)
                    }
                    None => (None, None),
                };
                match (table, field) {
                    (Some(table), Some(f)) => left.extend(field_place(&table, &f.facts)),
                    (Some(table), None) => {
                        let name = name.to_ascii_lowercase();
                        left.push((format!("{table}_{name}"), String::new()));
                        left.push((table.clone(), format!("{name}_id")));
                        left.push((table, name));
                    }
                    (None, _) => {}
                }
            }
            Change::DeleteModel { name } => match known(name) {
                Some(m) => {
                    if m.tableless() == Some(false)
                        && let Some(table) = m.table(app)
                    {
                        left.push((table.clone(), String::new()));
                        for f in m.fields.iter().flat_map(HashMap::values) {
                            if let Some((t, c)) = field_place(&table, &f.facts)
                                && c.is_empty()
                            {
                                left.push((t, c));
                            }
                        }
                    }
                }
                None if matches!(self.model(app, name), Seen::Unknown) => {
                    left.push((default_table(name), String::new()));
                }
                None => {}
            },
            _ => return,
        }
        for (table, column) in left {
            let entry = self.left_in_db.entry(table).or_default();
            entry.retain(|l| l.column != column);
            entry.push(LeftInDb {
                column,
                app: app.to_string(),
                migration: mig.to_string(),
            });
        }
    }

    /// `CreateModel` / `AddField` declare a table or column again: the state knows it.
    fn redeclared(&mut self, app: &str, change: &Change) {
        let (model, field) = match change {
            Change::CreateModel { name, .. } => (name, None),
            Change::AddField { model, field } => (model, Some(field)),
            _ => return,
        };
        let Seen::Known(m) = self.model(app, model) else {
            return;
        };
        let Some(table) = m.table(app) else { return };
        let (t, c) = match field {
            None => (table, String::new()),
            Some(f) => match field_place(&table, f) {
                Some(place) => place,
                None => return,
            },
        };
        if let Some(entry) = self.left_in_db.get_mut(&t) {
            entry.retain(|l| l.column != c);
        }
    }

    fn app_mut(&mut self, app: &str) -> &mut AppState {
        self.apps.entry(app.to_ascii_lowercase()).or_default()
    }

    /// A model to change: its last change is the migration being applied.
    fn model_mut(&mut self, app: &str, model: &str) -> Option<&mut Model> {
        let now = self.now;
        let (a, m) = key(app, model);
        let app = self.apps.get_mut(&a)?;
        let found = app.models.get_mut(&m)?;
        app.changed.insert(m, now);
        Some(found)
    }

    /// A model named `"app.Model"` or `"Model"` (in `app`), as [`State::model`] answers.
    #[must_use]
    pub fn named(&self, app: &str, name: &str) -> Seen<'_> {
        let (a, m) = Self::resolve(app, name);
        self.model(&a, &m)
    }

    /// `"app.Model"` or `"Model"` (in `app`) → its key.
    fn resolve(app: &str, name: &str) -> (String, String) {
        match name.split_once('.') {
            Some((a, m)) => key(a, m),
            None => key(app, name),
        }
    }

    fn forget(&mut self, (a, m): (String, String)) {
        if let Seen::Known(model) = self.model(&a, &m) {
            self.last_known
                .insert((a.clone(), m.clone()), model.clone());
        }
        let now = self.now;
        let app = self.app_mut(&a);
        app.models.remove(&m);
        app.changed.insert(m.clone(), now);
        app.unknown.insert(m);
    }

    fn insert(&mut self, (a, m): (String, String), model: Model) {
        let now = self.now;
        let app = self.app_mut(&a);
        app.unknown.remove(&m);
        app.changed.insert(m.clone(), now);
        app.models.insert(m, model);
    }

    fn remove(&mut self, (a, m): &(String, String)) -> (Option<Model>, bool) {
        let now = self.now;
        let Some(app) = self.apps.get_mut(a) else {
            return (None, false);
        };
        app.changed.insert(m.clone(), now);
        (app.models.remove(m), app.unknown.remove(m))
    }

    /// Apply one step of a migration of `app` (`mig`: its name).
    pub fn apply(&mut self, app: &str, mig: &str, step: &Step) {
        if step.state && !step.db {
            self.record_left_in_db(app, mig, &step.change);
        }
        self.apply_change(app, mig, step);
        if step.state {
            self.redeclared(app, &step.change);
        }
    }

    fn apply_change(&mut self, app: &str, mig: &str, step: &Step) {
        if !step.state {
            // The database half of `SeparateDatabaseAndState`: the state does not follow it,
            // so what it touches no longer matches the state.
            if let Some(k) = touched_model(app, &step.change) {
                self.forget(k);
            }
            return;
        }
        match &step.change {
            Change::CreateModel {
                name,
                fields,
                options,
            } => self.create_model(app, mig, name, fields.as_deref(), options),
            Change::DeleteModel { name } => {
                self.remove(&key(app, name));
            }
            Change::RenameModel { old, new } => {
                let (ko, kn) = (key(app, old), key(app, new));
                match self.remove(&ko) {
                    (Some(mut m), _) => {
                        m.name.clone_from(new);
                        self.insert(kn, m);
                    }
                    (None, true) => self.forget(kn),
                    (None, false) => {}
                }
            }
            Change::AlterModelOptions { name, options } => {
                if let Some(m) = self.model_mut(app, name) {
                    // Django resets the options it lists (`managed` among them) when they are
                    // not given; `proxy` and `db_table` are not among them.
                    m.managed = if options.opaque {
                        Opt::Unknown
                    } else {
                        options.managed.clone()
                    };
                }
            }
            Change::AlterModelTable { name, table } => {
                if let Some(m) = self.model_mut(app, name) {
                    m.db_table = table.clone();
                }
            }
            Change::AddField { model, field } => self.declare_field(app, model, field, true),
            Change::AlterField { model, field } => self.declare_field(app, model, field, false),
            Change::RemoveField { model, name } => {
                if let Some(m) = self.model_mut(app, model)
                    && let Some(fs) = m.fields.as_mut()
                {
                    fs.remove(&name.to_ascii_lowercase());
                }
            }
            Change::RenameField { model, old, new } => self.rename_field(app, model, old, new),
            Change::RunPython {
                forward, reverse, ..
            } => self.run_python(app, mig, forward, reverse),
            Change::RunSql { tables } => self.run_sql(app, tables.as_deref()),
            Change::Custom { models } => {
                for name in models {
                    let (a, m) = Self::resolve(app, name);
                    if let Some(m) = self.model_mut(&a, &m) {
                        m.rows_changed();
                    }
                }
            }
            Change::Unknown { models } => self.unknown(app, models.as_deref()),
            Change::Branches { arms } => self.branches(app, mig, arms, &mut |_, _| {}),
            Change::Index { .. } | Change::Other => {}
        }
    }

    fn create_model(
        &mut self,
        app: &str,
        mig: &str,
        name: &str,
        fields: Option<&[FieldFacts]>,
        options: &Options,
    ) {
        let fields = fields.map(|fs| {
            fs.iter()
                .map(|f| (f.name.to_ascii_lowercase(), new_field(f.clone(), self.now)))
                .collect()
        });
        let unknown = |o: Opt<bool>| if options.opaque { Opt::Unknown } else { o };
        self.insert(
            key(app, name),
            Model {
                name: name.to_string(),
                managed: unknown(options.managed.clone()),
                proxy: unknown(options.proxy.clone()),
                db_table: if options.opaque {
                    Opt::Unknown
                } else {
                    options.db_table.clone()
                },
                fields,
                data_unknown: false,
                created_in: mig.to_string(),
                copied_by: None,
                emptied_by: None,
            },
        );
    }

    /// `AddField` (`added`) or `AlterField`.
    fn declare_field(&mut self, app: &str, model: &str, field: &FieldFacts, added: bool) {
        let now = self.now;
        let Some(m) = self.model_mut(app, model) else {
            return;
        };
        let Some(fs) = m.fields.as_mut() else { return };
        let was = fs.remove(&field.name.to_ascii_lowercase());
        let mut f = new_field(field.clone(), now);
        // Altering a field keeps its rows: a fill stays valid while it stays NOT NULL or was
        // filled; making it nullable again opens it to NULLs.
        match (added, was) {
            (false, Some(old)) => {
                f.data_unknown = old.data_unknown;
                f.moved_by = old.moved_by;
                f.copied_into = old.copied_into;
                f.filled = old.filled && field.null != Some(true);
                f.fresh = old.fresh;
                f.born = old.born;
                f.former_names = old.former_names;
            }
            (true, _) => f.fresh = true,
            _ => {}
        }
        fs.insert(field.name.to_ascii_lowercase(), f);
    }

    fn rename_field(&mut self, app: &str, model: &str, old: &str, new: &str) {
        let now = self.now;
        if let Some(m) = self.model_mut(app, model)
            && let Some(fs) = m.fields.as_mut()
            && let Some(mut f) = fs.remove(&old.to_ascii_lowercase())
        {
            f.facts.name = new.to_string();
            f.declared = now;
            f.former_names.push(old.to_ascii_lowercase());
            fs.insert(new.to_ascii_lowercase(), f);
        }
    }

    fn run_python(&mut self, app: &str, mig: &str, forward: &DataFlow, reverse: &DataFlow) {
        self.track_emptied(app, mig, forward);
        for (model, field) in &forward.writes {
            if let Some(f) = self.field_mut(app, model, field) {
                f.filled = true;
                f.fresh = false;
                // New values: an older copy no longer holds them all.
                f.copied_into = None;
            }
        }
        // Values copied as they were into another field (of the same rows, or of rows linked
        // to them), or computed into another field of the same rows, and not written back by
        // the reverse: that field keeps them when this migration is rolled back. A verbatim
        // copy outranks a conversion.
        let copies = forward
            .copied_fields
            .iter()
            .map(|(model, from, into, to)| (model, from, into, to, false));
        let conversions = forward
            .converted_fields
            .iter()
            .map(|(model, from, to)| (model, from, model, to, true));
        for (model, from, into, to, converted) in copies.chain(conversions) {
            let written_back = reverse.writes.iter().any(|(m, f)| m == model && f == from);
            let into = Self::resolve(app, into);
            let Seen::Known(target) = self.model(&into.0, &into.1) else {
                continue;
            };
            let Some(born) = target.field(to).map(|t| t.born) else {
                continue;
            };
            if !written_back
                && let Some(f) = self.field_mut(app, model, from)
                && !(converted && f.copied_into.is_some())
            {
                f.copied_into = Some(Box::new(CopiedInto {
                    by: (app.to_string(), mig.to_string()),
                    model: into,
                    field: to.clone(),
                    born,
                    converted,
                }));
            }
        }
        // Whole models whose rows were copied into another model.
        for (from, into) in &forward.copies {
            let (a, m) = Self::resolve(app, from);
            if let Some(model) = self.model_mut(&a, &m) {
                model.copied_by = Some((app.to_string(), mig.to_string(), into.clone()));
            }
        }
        // A boolean reset to one value on every row, and written again by the reverse: the
        // field holds nothing else afterwards, and rolling back past this migration sets it
        // back (weblate trans 0040 clears `unit.pending` once the changes are moved).
        for (model, field) in &forward.reset_fields {
            let written_back = reverse.writes.iter().any(|(m, f)| m == model && f == field);
            if written_back && let Some(f) = self.field_mut(app, model, field) {
                f.moved_by = Some((app.to_string(), mig.to_string()));
            }
        }
        // Values read into another field, and written back by the reverse (with a value, not
        // a constant): moved.
        for (model, field) in &forward.reads {
            let read = (model.clone(), field.clone());
            let count = |writes: &[FieldRef]| writes.iter().filter(|w| **w == read).count();
            let moved = forward.writes.iter().any(|(m, f)| m == model && f != field)
                && count(&reverse.writes) > count(&reverse.literal_writes);
            if moved && let Some(f) = self.field_mut(app, model, field) {
                f.moved_by = Some((app.to_string(), mig.to_string()));
            }
        }
    }

    /// Which models a `RunPython` leaves without rows ([`Model::emptied_by`]): those its
    /// forward function deletes every row of; a model it may write rows of is no longer known
    /// to be empty, nor is any model when it writes through code the replay cannot attribute.
    fn track_emptied(&mut self, app: &str, mig: &str, forward: &DataFlow) {
        if forward.unattributed {
            for state in self.apps.values_mut() {
                state.models.values_mut().for_each(|m| m.emptied_by = None);
            }
        } else {
            for name in forward.written_models() {
                let (a, m) = Self::resolve(app, name);
                if let Some(model) = self.model_mut(&a, &m) {
                    model.emptied_by = None;
                }
            }
        }
        for name in &forward.emptied {
            let (a, m) = Self::resolve(app, name);
            if let Some(model) = self.model_mut(&a, &m) {
                model.emptied_by = Some((app.to_string(), mig.to_string()));
            }
        }
    }

    /// Raw SQL touching `tables` (`None`: SQL we cannot read, which may touch any model of
    /// its app): the rows of what it touches may have changed.
    fn run_sql(&mut self, app: &str, tables: Option<&[String]>) {
        let app_l = app.to_ascii_lowercase();
        let now = self.now;
        for (a, state) in &mut self.apps {
            for (name, m) in &mut state.models {
                let hit = match tables {
                    None => *a == app_l,
                    Some(ts) => m.table(a).is_none_or(|t| ts.contains(&t)),
                };
                if hit {
                    m.rows_changed();
                    state.changed.insert(name.clone(), now);
                }
            }
        }
    }

    /// Operations we cannot read, naming `models` (every model of the app when `None`).
    fn unknown(&mut self, app: &str, models: Option<&[String]>) {
        if let Some(names) = models {
            for name in names {
                let k = Self::resolve(app, name);
                self.forget(k);
            }
            return;
        }
        let now = self.now;
        let state = self.app_mut(app);
        let names: Vec<String> = state.models.drain().map(|(k, _)| k).collect();
        for name in names {
            state.changed.insert(name.clone(), now);
            state.unknown.insert(name);
        }
        state.all_unknown = true;
    }

    /// [`State::apply`], calling `before` ahead of each step nested in `step` (the operations
    /// under an `if`) with the state its arm has reached, so that rules see them as they see
    /// the migration's other operations.
    pub fn apply_seen(
        &mut self,
        app: &str,
        mig: &str,
        step: &Step,
        before: &mut dyn FnMut(&Step, &State),
    ) {
        match &step.change {
            Change::Branches { arms } if step.state => self.branches(app, mig, arms, before),
            _ => self.apply(app, mig, step),
        }
    }

    /// The arms of an `if`, each applied to its own copy, then merged as alternatives.
    fn branches(
        &mut self,
        app: &str,
        mig: &str,
        arms: &[Vec<Step>],
        before: &mut dyn FnMut(&Step, &State),
    ) {
        let base = self.clone();
        let mut ends = Vec::with_capacity(arms.len());
        for arm in arms {
            let mut end = base.clone();
            for step in arm {
                before(step, &end);
                end.apply_seen(app, mig, step, before);
            }
            ends.push(end);
        }
        let mut ends = ends.into_iter();
        if let Some(first) = ends.next() {
            *self = first;
            for other in ends {
                self.merge_alternative(other);
            }
        }
    }

    /// Take in the state another arm of an `if` left: models either arm changed are merged
    /// field by field ([`merge_model`]).
    fn merge_alternative(&mut self, other: State) {
        let now = self.now;
        for (a, theirs) in other.apps {
            let mine = self.apps.entry(a).or_default();
            let keys: HashSet<String> = mine
                .models
                .keys()
                .chain(&mine.unknown)
                .chain(theirs.models.keys())
                .chain(&theirs.unknown)
                .cloned()
                .collect();
            for k in keys {
                let (m, t) = (
                    (mine.models.get(&k), mine.unknown.contains(&k)),
                    (theirs.models.get(&k), theirs.unknown.contains(&k)),
                );
                if m == t {
                    continue;
                }
                let merged = settled(m, t);
                mine.changed.insert(k.clone(), now);
                put(mine, k, merged);
            }
            mine.all_unknown |= theirs.all_unknown;
        }
    }

    fn field_mut(&mut self, app: &str, model: &str, field: &str) -> Option<&mut Field> {
        let (a, m) = Self::resolve(app, model);
        let fs = self.model_mut(&a, &m)?.fields.as_mut()?;
        let field = field.to_ascii_lowercase();
        if fs.contains_key(&field) {
            return fs.get_mut(&field);
        }
        // `content_type_id=` writes the `content_type` foreign key.
        fs.get_mut(field.strip_suffix("_id")?)
    }
}

/// A field declared by migration `at`.
fn new_field(facts: FieldFacts, at: usize) -> Field {
    Field {
        facts,
        filled: false,
        fresh: false,
        data_unknown: false,
        moved_by: None,
        copied_into: None,
        born: at,
        declared: at,
        former_names: Vec::new(),
    }
}

/// The model a database-only operation touches.
/// Where a field keeps its values: (table, column), or (its auto-created table, "") for a
/// `ManyToManyField` without `through`. `None` for a `through` many-to-many (its rows are
/// another model's) or a column name that is not a literal.
fn field_place(table: &str, f: &FieldFacts) -> Option<(String, String)> {
    let name = f.name.to_ascii_lowercase();
    if f.class == "ManyToManyField" {
        return (!f.through_model).then(|| (format!("{table}_{name}"), String::new()));
    }
    let column = match &f.db_column {
        Opt::Known(c) => c.to_ascii_lowercase(),
        Opt::Unknown => return None,
        Opt::Absent if matches!(f.class.as_str(), "ForeignKey" | "OneToOneField") => {
            format!("{name}_id")
        }
        Opt::Absent => name,
    };
    Some((table.to_string(), column))
}

fn touched_model(app: &str, change: &Change) -> Option<(String, String)> {
    match change {
        Change::CreateModel { name, .. }
        | Change::DeleteModel { name }
        | Change::AlterModelOptions { name, .. }
        | Change::AlterModelTable { name, .. }
        | Change::RenameModel { old: name, .. } => Some(key(app, name)),
        Change::AddField { model, .. }
        | Change::AlterField { model, .. }
        | Change::RemoveField { model, .. }
        | Change::RenameField { model, .. } => Some(key(app, model)),
        _ => None,
    }
}

/// One Django migration for the replay: its app label, name and facts.
pub struct Node<'a> {
    pub app: String,
    pub name: String,
    pub facts: &'a DjangoFacts,
}

/// Labels of migration folders: the `label = "..."` of the app's `AppConfig` in `apps.py` next
/// to `migrations/` (`wagtail/images/apps.py` says `wagtailimages`), else the one its own
/// migrations name in their dependencies (`("wagtailcore", "0001_initial")` in
/// `wagtail/migrations/0002_*.py`), else the app folder's name (the parent of `migrations/`).
#[must_use]
pub fn app_labels(folders: &[(String, Vec<(String, &DjangoFacts)>)]) -> Vec<String> {
    folders
        .iter()
        .map(|(dir, migs)| {
            if let Some(label) = config_label(std::path::Path::new(dir)) {
                return label;
            }
            let names: HashSet<&str> = migs.iter().map(|(n, _)| n.as_str()).collect();
            let mut votes: HashMap<&str, usize> = HashMap::new();
            for (_, f) in migs {
                for (app, name) in f.dependencies.iter().chain(&f.replaces) {
                    if names.contains(name.as_str()) {
                        *votes.entry(app.as_str()).or_default() += 1;
                    }
                }
            }
            let mut best: Vec<(&str, usize)> = votes.into_iter().collect();
            best.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            best.first().map_or_else(
                || {
                    let path = std::path::Path::new(dir);
                    let app = if path.file_name().is_some_and(|n| n == "migrations") {
                        path.parent()
                    } else {
                        Some(path)
                    };
                    app.and_then(|p| p.file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                },
                |(label, _)| (*label).to_string(),
            )
        })
        .collect()
}

/// The label the app's `AppConfig` declares (`label = "wagtailimages"` in `apps.py` next to
/// the `migrations/` folder `dir`). With several configs, the one marked `default = True`.
fn config_label(dir: &std::path::Path) -> Option<String> {
    use ruff_python_ast::{Expr, PySourceType, Stmt};
    let app = if dir.file_name().is_some_and(|n| n == "migrations") {
        dir.parent()?
    } else {
        dir
    };
    let file = app.join("apps.py");
    let bytes = super::source::read_file(&file).ok()?;
    let source = String::from_utf8(bytes).ok()?;
    if super::source::too_deep(&source).is_some() {
        return None;
    }
    let parsed = ruff_python_parser::parse_unchecked_source(&source, PySourceType::Python);
    let mut labels: Vec<(bool, String)> = Vec::new();
    for stmt in &parsed.syntax().body {
        let Stmt::ClassDef(class) = stmt else {
            continue;
        };
        let is_config = class.arguments.as_ref().is_some_and(|a| {
            a.args
                .iter()
                .any(|b| super::python::last_name(b).is_some_and(|n| n.ends_with("Config")))
        });
        if !is_config {
            continue;
        }
        let (mut label, mut default) = (None, false);
        for item in &class.body {
            let Stmt::Assign(a) = item else { continue };
            let [Expr::Name(target)] = a.targets.as_slice() else {
                continue;
            };
            match (target.id.as_str(), a.value.as_ref()) {
                ("label", Expr::StringLiteral(s)) => label = Some(s.value.to_str().to_string()),
                ("default", Expr::BooleanLiteral(b)) => default = b.value,
                _ => {}
            }
        }
        if let Some(label) = label {
            labels.push((default, label));
        }
    }
    match labels.as_slice() {
        [(_, only)] => Some(only.clone()),
        _ => labels.into_iter().find(|(d, _)| *d).map(|(_, l)| l),
    }
}

/// What the replay shows a check: the state just before each step.
pub trait Visit {
    /// Called before `step` (the `k`-th step of migration `node`) is applied.
    fn before(&mut self, node: usize, nodes: &[Node<'_>], step: &Step, state: &State);
}

/// Replay every migration in dependency order, calling `visit` before each step.
///
/// Squashed migrations: when every migration a squash replaces is present, the originals are
/// replayed and the squash is checked against the state of its dependencies on a scratch copy
/// of its app's models (Django applies one or the other, never both); otherwise the squash
/// stands for them, dependencies on the replaced names lead to it, and the originals that are
/// present are left out (each copy of the state is made once per squash: linear).
pub fn replay(nodes: &[Node<'_>], visit: &mut dyn Visit) {
    let plan = Plan::new(nodes);
    let mut forks = Forks::new(&plan);
    let mut state = State::default();
    for node in nodes {
        let deps = state
            .depends_on
            .entry(node.app.to_ascii_lowercase())
            .or_default();
        deps.extend(
            node.facts
                .dependencies
                .iter()
                .map(|(a, _)| a.to_ascii_lowercase()),
        );
    }
    for &i in &plan.order {
        let node = &nodes[i];
        if plan.skipped[i] {
            // An original whose squash stands in for it: Django does not apply it, the file
            // alone is judged.
            continue;
        }
        state.now = i;
        if plan.scratch[i] {
            // Checked on a copy of its app's models; the state goes on without it.
            let mut copy = state.scratch_copy(&plan.apps[i]);
            for step in &node.facts.steps {
                visit.before(i, nodes, step, &copy);
                copy.apply_seen(&node.app, &node.name, step, &mut |s, st| {
                    visit.before(i, nodes, s, st);
                });
            }
            continue;
        }
        forks.enter(i, &plan, &mut state);
        for step in &node.facts.steps {
            visit.before(i, nodes, step, &state);
            state.apply_seen(&node.app, &node.name, step, &mut |s, st| {
                visit.before(i, nodes, s, st);
            });
        }
        forks.leave(i, &plan);
    }
}

/// Where each migration of the replay is found by (app, name), `__first__` and `__latest__`
/// included.
struct Names<'n> {
    index: HashMap<(String, &'n str), usize>,
    /// First and last migration of each app.
    ends: HashMap<String, (usize, usize)>,
}

impl<'n> Names<'n> {
    fn new(nodes: &'n [Node<'_>]) -> Self {
        let mut index = HashMap::with_capacity(nodes.len());
        let mut ends: HashMap<String, (usize, usize)> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            let app = node.app.to_ascii_lowercase();
            ends.entry(app.clone()).or_insert((i, i)).1 = i;
            index.entry((app, node.name.as_str())).or_insert(i);
        }
        Names { index, ends }
    }

    fn find(&self, app: &str, name: &str) -> Option<usize> {
        let app = app.to_ascii_lowercase();
        match name {
            "__first__" => self.ends.get(&app).map(|e| e.0),
            "__latest__" => self.ends.get(&app).map(|e| e.1),
            _ => self.index.get(&(app, name)).copied(),
        }
    }
}

/// The graph the replay follows and the order it applies the migrations in.
struct Plan {
    /// App label of each node, lower-case.
    apps: Vec<String>,
    /// Each node's dependencies (a squash standing in for what it replaces; a scratch squash
    /// before its originals).
    parents: Vec<Vec<usize>>,
    /// Each node's dependencies in its own app that change the state, sorted.
    own_parents: Vec<Vec<usize>>,
    /// Squashes checked on a scratch copy (their originals are all present).
    scratch: Vec<bool>,
    /// Originals a squash stands in for.
    skipped: Vec<bool>,
    /// Dependency order.
    order: Vec<usize>,
}

impl Plan {
    fn new(nodes: &[Node<'_>]) -> Self {
        let n = nodes.len();
        let names = Names::new(nodes);
        let mut plan = Plan {
            apps: nodes.iter().map(|n| n.app.to_ascii_lowercase()).collect(),
            parents: vec![Vec::new(); n],
            own_parents: Vec::new(),
            scratch: vec![false; n],
            skipped: vec![false; n],
            order: Vec::new(),
        };
        let (replaced_by, mut extra) = plan.squashes(nodes, &names);
        for (i, node) in nodes.iter().enumerate() {
            for (a, m) in &node.facts.dependencies {
                if let Some(mut p) = names.find(a, m) {
                    if let Some(&s) = replaced_by.get(&p) {
                        p = s;
                    }
                    if p != i {
                        plan.parents[i].push(p);
                    }
                }
            }
            plan.parents[i].append(&mut extra[i]);
        }
        // `run_before`: the named migration waits for this one, as if it depended on it
        // (mayan-edms ocr 0003 copies a field documents 0006 then removes).
        for (i, node) in nodes.iter().enumerate() {
            for (a, m) in &node.facts.run_before {
                if let Some(mut later) = names.find(a, m) {
                    if let Some(&s) = replaced_by.get(&later) {
                        later = s;
                    }
                    if later != i && !plan.parents[later].contains(&i) {
                        plan.parents[later].push(i);
                    }
                }
            }
        }
        plan.order = topological_order(&plan.parents);
        plan.own_parents = (0..n)
            .map(|i| {
                let mut ps: Vec<usize> = plan.parents[i]
                    .iter()
                    .copied()
                    .filter(|&p| plan.apps[p] == plan.apps[i] && plan.on_state(p))
                    .collect();
                ps.sort_unstable();
                ps.dedup();
                ps
            })
            .collect();
        plan
    }

    /// Mark squashes as scratch (originals all present) or standing in for what they replace;
    /// returns the squash standing in for each original, and the extra parents of each node
    /// (a scratch squash is checked before any original changes the state).
    fn squashes(
        &mut self,
        nodes: &[Node<'_>],
        names: &Names<'_>,
    ) -> (HashMap<usize, usize>, Vec<Vec<usize>>) {
        let mut replaced_by = HashMap::new();
        let mut extra: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (s, node) in nodes.iter().enumerate() {
            if node.facts.replaces.is_empty() {
                continue;
            }
            let found: Vec<Option<usize>> = node
                .facts
                .replaces
                .iter()
                .map(|(a, m)| names.find(a, m))
                .collect();
            if found.iter().all(Option::is_some) {
                self.scratch[s] = true;
                for r in found.into_iter().flatten() {
                    extra[r].push(s);
                }
            } else {
                for r in found.into_iter().flatten() {
                    self.skipped[r] = true;
                    replaced_by.insert(r, s);
                }
            }
        }
        (replaced_by, extra)
    }

    /// Is the node applied to the state (not a scratch squash, not an original left out)?
    fn on_state(&self, node: usize) -> bool {
        !self.skipped[node] && !self.scratch[node]
    }
}

/// Kahn's algorithm, smallest index first (file order within an app); what a cycle leaves is
/// replayed afterwards in file order.
fn topological_order(parents: &[Vec<usize>]) -> Vec<usize> {
    let n = parents.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting = vec![0usize; n];
    for (i, ps) in parents.iter().enumerate() {
        waiting[i] = ps.len();
        for &p in ps {
            children[p].push(i);
        }
    }
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
        .filter(|&i| waiting[i] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        done[i] = true;
        order.push(i);
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(std::cmp::Reverse(c));
            }
        }
    }
    order.extend((0..n).filter(|&i| !done[i]));
    order
}

/// Branches of one app's migrations: each migration starts from the state its own app's
/// parents left, so that two leaves with the same parent do not see each other's changes; a
/// merge takes both. The state at a fork is kept until its last child has started.
struct Forks<'p> {
    /// The last migration applied, per app.
    tip: HashMap<&'p str, usize>,
    /// App states kept for the children still to come.
    saved: HashMap<usize, AppState>,
    children_left: Vec<usize>,
    applied: Vec<bool>,
}

impl<'p> Forks<'p> {
    fn new(plan: &Plan) -> Self {
        let mut children_left = vec![0usize; plan.apps.len()];
        for ps in &plan.own_parents {
            for &p in ps {
                children_left[p] += 1;
            }
        }
        Forks {
            tip: HashMap::new(),
            saved: HashMap::new(),
            children_left,
            applied: vec![false; plan.apps.len()],
        }
    }

    /// Set up the state migration `i` starts from: the tip's, a parent's on another branch, or
    /// the merge of its parents'.
    fn enter(&mut self, i: usize, plan: &'p Plan, state: &mut State) {
        let app = plan.apps[i].as_str();
        let ps: Vec<usize> = plan.own_parents[i]
            .iter()
            .copied()
            .filter(|&p| self.applied[p])
            .collect();
        let t = self.tip.get(app).copied();
        let live = |state: &State| state.apps.get(app).cloned().unwrap_or_default();
        if !ps.is_empty() && ps != [t.unwrap_or(usize::MAX)] {
            // Another branch, or a merge: keep the tip's state for its children still to
            // come, then start from the parents' states.
            if let Some(t) = t
                && self.children_left[t] > 0
            {
                self.saved.entry(t).or_insert_with(|| live(state));
            }
            let mut from = ps.iter().map(|&p| {
                let s = match self.saved.get(&p) {
                    Some(s) => s.clone(),
                    None => live(state),
                };
                (s, ancestors(p, &plan.parents))
            });
            let (mut merged, mut mine) = from.next().unwrap_or_default();
            for (other, theirs) in from {
                let fork = Fork { mine, theirs };
                merge(&mut merged, other, i, &fork);
                mine = fork.mine;
                mine.extend(fork.theirs);
            }
            state.apps.insert(app.to_string(), merged);
        } else if let Some(t) = t
            && self.children_left[t] > 1
        {
            // A fork: the other branches start from here too.
            self.saved.entry(t).or_insert_with(|| live(state));
        }
    }

    /// Migration `i` is applied: it is its app's tip, and its parents' saved states go once
    /// their last child has started.
    fn leave(&mut self, i: usize, plan: &'p Plan) {
        self.applied[i] = true;
        self.tip.insert(plan.apps[i].as_str(), i);
        for &p in &plan.own_parents[i] {
            self.children_left[p] = self.children_left[p].saturating_sub(1);
            if self.children_left[p] == 0 {
                self.saved.remove(&p);
            }
        }
    }
}

/// The two sides of a merge, each as the migrations it descends from (itself included). A
/// change recorded at a migration both sides descend from was made before they parted (at or
/// before their common ancestors); one the other side does not descend from was made since,
/// on this side only.
struct Fork {
    mine: HashSet<usize>,
    theirs: HashSet<usize>,
}

impl Fork {
    /// Did my side make the change recorded at `at` since the sides parted?
    fn mine_since(&self, at: usize) -> bool {
        !self.theirs.contains(&at)
    }

    /// Did their side make the change recorded at `at` since the sides parted?
    fn theirs_since(&self, at: usize) -> bool {
        !self.mine.contains(&at)
    }
}

/// Migration `from` and every migration it depends on, directly or not: linear in their
/// number, once per side of a merge.
fn ancestors(from: usize, parents: &[Vec<usize>]) -> HashSet<usize> {
    let mut seen = HashSet::from([from]);
    let mut stack = vec![from];
    while let Some(x) = stack.pop() {
        for &p in &parents[x] {
            if seen.insert(p) {
                stack.push(p);
            }
        }
    }
    seen
}

/// Merge a branch's app state into another at migration `at`, against their common ancestry
/// ([`Fork`]): a model only one branch changed since they parted is taken from it; one both
/// changed is merged field by field, each field from the branch that changed it; what both
/// changed and disagree on is unknown.
fn merge(into: &mut AppState, other: AppState, at: usize, fork: &Fork) {
    let keys: HashSet<String> = into
        .changed
        .keys()
        .chain(other.changed.keys())
        .cloned()
        .collect();
    for k in keys {
        let mine = (into.models.get(&k), into.unknown.contains(&k));
        let theirs = (other.models.get(&k), other.unknown.contains(&k));
        if mine == theirs {
            continue;
        }
        let (a, b) = (
            into.changed.get(&k).copied(),
            other.changed.get(&k).copied(),
        );
        let mine_since = a.is_some_and(|a| fork.mine_since(a));
        let theirs_since = b.is_some_and(|b| fork.theirs_since(b));
        match (mine_since, theirs_since) {
            (true, false) => {}
            (_, false) if b.is_none() => {}
            (false, true) => {
                match theirs.0 {
                    Some(m) => into.models.insert(k.clone(), m.clone()),
                    None => into.models.remove(&k),
                };
                if theirs.1 {
                    into.unknown.insert(k.clone());
                } else {
                    into.unknown.remove(&k);
                }
                if let Some(b) = b {
                    into.changed.insert(k, b);
                }
            }
            _ => {
                let merged = match (mine, theirs) {
                    ((Some(x), false), (Some(y), false)) => merge_model(x, y, Some(fork), at),
                    _ => None,
                };
                into.changed.insert(k.clone(), at);
                put(into, k, merged);
            }
        }
    }
    into.all_unknown |= other.all_unknown;
}

/// A model two paths leave differently (the branches of a merge, the arms of an `if`): merged
/// field by field when both paths know it ([`merge_model`]), else unknown.
fn settled(mine: (Option<&Model>, bool), theirs: (Option<&Model>, bool)) -> Option<Model> {
    match (mine, theirs) {
        ((Some(a), false), (Some(b), false)) => merge_model(a, b, None, usize::MAX),
        _ => None,
    }
}

/// Record a settled model (`None`: unknown).
fn put(into: &mut AppState, k: String, merged: Option<Model>) {
    match merged {
        Some(m) => {
            into.unknown.remove(&k);
            into.models.insert(k, m);
        }
        None => {
            into.models.remove(&k);
            into.unknown.insert(k);
        }
    }
}

/// One model as two paths left it: what they agree on is kept. A field they leave
/// differently (declared otherwise, or present on one path only) is unknown, unless the paths
/// are the sides of a merge and only one of them changed it since they parted ([`pick`]).
/// `None` when the model itself differs (its options or table, where it was created, a field
/// list one cannot read).
fn merge_model(a: &Model, b: &Model, fork: Option<&Fork>, at: usize) -> Option<Model> {
    let same = a.name.eq_ignore_ascii_case(&b.name)
        && a.managed == b.managed
        && a.proxy == b.proxy
        && a.db_table == b.db_table
        && a.created_in == b.created_in;
    let (fa, fb) = (a.fields.as_ref()?, b.fields.as_ref()?);
    if !same {
        return None;
    }
    let mut fields = HashMap::new();
    for k in fa.keys().chain(fb.keys()) {
        let (x, y) = (fa.get(k), fb.get(k));
        // A field one side of a merge renamed since they parted, which the other side holds
        // under its old name: the same field on both sides.
        let (x, y) = match (x, y, fork) {
            (Some(x), None, Some(f)) if f.mine_since(x.declared) => (Some(x), former(x, fa, fb)),
            (None, Some(y), Some(f)) if f.theirs_since(y.declared) => (former(y, fb, fa), Some(y)),
            other => (other.0, other.1),
        };
        let f = match (x, y) {
            (Some(x), Some(y)) if x.facts == y.facts => merge_field(x, y),
            _ => match fork.and_then(|fork| pick(x, y, fork)) {
                Some(Picked::Kept(f)) => *f,
                Some(Picked::Removed) => continue,
                None => unknown_field(x.or(y).map_or(k.as_str(), |f| f.facts.name.as_str()), at),
            },
        };
        fields.insert(k.clone(), f);
    }
    Some(Model {
        fields: Some(fields),
        data_unknown: a.data_unknown || b.data_unknown,
        copied_by: a.copied_by.clone().or_else(|| b.copied_by.clone()),
        // Empty only if empty whichever arm ran.
        emptied_by: a
            .emptied_by
            .clone()
            .filter(|_| a.emptied_by == b.emptied_by),
        ..a.clone()
    })
}

/// The field `renamed` (of `mine`) as `theirs` holds it under one of its former names, where
/// `mine` has nothing by that name any more.
fn former<'m>(
    renamed: &Field,
    mine: &HashMap<String, Field>,
    theirs: &'m HashMap<String, Field>,
) -> Option<&'m Field> {
    renamed
        .former_names
        .iter()
        .rev()
        .filter(|n| !mine.contains_key(*n))
        .find_map(|n| theirs.get(n))
}

/// What a merge keeps of a field the sides leave differently.
enum Picked {
    Kept(Box<Field>),
    /// Removed by the side that changed it.
    Removed,
}

/// A field the sides of a merge leave differently (`mine`, `theirs`: as each has it, `None`
/// when it has none): the side that changed it since they parted wins. `None` when both
/// changed it, or when it cannot tell.
fn pick(mine: Option<&Field>, theirs: Option<&Field>, fork: &Fork) -> Option<Picked> {
    // What the rows went through on either side may have happened to them.
    let taken = |new: &Field, old: &Field| Field {
        data_unknown: new.data_unknown || old.data_unknown,
        fresh: new.fresh && old.fresh,
        ..new.clone()
    };
    match (mine, theirs) {
        (Some(x), Some(y)) => match (fork.mine_since(x.declared), fork.theirs_since(y.declared)) {
            (true, false) => Some(Picked::Kept(Box::new(taken(x, y)))),
            (false, true) => Some(Picked::Kept(Box::new(taken(y, x)))),
            _ => None,
        },
        // Added by that side since the sides parted, or there before and removed by the
        // other side (which this side left as it was).
        (Some(x), None) if fork.mine_since(x.born) => Some(Picked::Kept(Box::new(x.clone()))),
        (Some(x), None) if !fork.mine_since(x.declared) => Some(Picked::Removed),
        (None, Some(y)) if fork.theirs_since(y.born) => Some(Picked::Kept(Box::new(y.clone()))),
        (None, Some(y)) if !fork.theirs_since(y.declared) => Some(Picked::Removed),
        _ => None,
    }
}

/// One field both paths declare alike: what is known of its rows holds only if it holds on
/// both (a fill, a move), what may have changed them on either may have.
fn merge_field(a: &Field, b: &Field) -> Field {
    Field {
        facts: a.facts.clone(),
        filled: a.filled && b.filled,
        fresh: a.fresh && b.fresh,
        data_unknown: a.data_unknown || b.data_unknown,
        moved_by: if a.moved_by == b.moved_by {
            a.moved_by.clone()
        } else {
            None
        },
        copied_into: if a.copied_into == b.copied_into {
            a.copied_into.clone()
        } else {
            None
        },
        // Declared alike on both: the later declaration stands for both.
        born: a.born.max(b.born),
        declared: a.declared.max(b.declared),
        former_names: a.former_names.clone(),
    }
}

/// A field the state cannot tell (settled at migration `at`): nothing about it or its rows is
/// known.
fn unknown_field(name: &str, at: usize) -> Field {
    Field {
        data_unknown: true,
        ..new_field(FieldFacts::unknown(name), at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_text_size::TextRange;

    fn field(name: &str, null: bool) -> FieldFacts {
        FieldFacts {
            name: name.into(),
            class: "CharField".into(),
            null: Some(null),
            blank: false,
            has_default: false,
            db_column: Opt::Absent,
            primary_key: false,
            on_delete: None,
            known: true,
            through_model: false,
        }
    }

    fn step(change: Change) -> Step {
        Step {
            change,
            range: TextRange::default(),
            state: true,
            db: true,
        }
    }

    struct Record(Vec<(usize, Option<bool>)>);
    impl Visit for Record {
        fn before(&mut self, node: usize, nodes: &[Node<'_>], s: &Step, state: &State) {
            if let Change::AlterField { model, field } = &s.change
                && let Seen::Known(m) = state.model(&nodes[node].app, model)
            {
                self.0
                    .push((node, m.field(&field.name).and_then(|f| f.facts.null)));
            }
        }
    }

    /// Replay the migrations `all` (name, facts) of one app, `core`, in that order.
    fn replay_core(all: &[(&str, DjangoFacts)]) -> Record {
        let nodes: Vec<Node<'_>> = all
            .iter()
            .map(|(name, f)| Node {
                app: "core".into(),
                name: (*name).into(),
                facts: f,
            })
            .collect();
        let mut seen = Record(Vec::new());
        replay(&nodes, &mut seen);
        seen
    }

    /// Dependencies, not file order, decide; an app's model is seen from another app's node.
    /// `run_before` orders the named migration after the one that says it, though the named
    /// one does not depend on it (mayan-edms ocr 0003 runs before documents 0006).
    #[test]
    fn run_before_orders_the_named_migration_later() {
        struct Order(Vec<usize>);
        impl Visit for Order {
            fn before(&mut self, node: usize, _: &[Node<'_>], _: &Step, _: &State) {
                self.0.push(node);
            }
        }
        let facts = |deps: Vec<(String, String)>, run_before: Vec<(String, String)>| DjangoFacts {
            run_before,
            dependencies: deps,
            replaces: vec![],
            header: TextRange::default(),
            steps: vec![step(Change::Other)],
        };
        let remove = facts(vec![], vec![]);
        let order = |copy: &DjangoFacts| {
            let nodes = vec![
                Node {
                    app: "documents".into(),
                    name: "0006_remove".into(),
                    facts: &remove,
                },
                Node {
                    app: "ocr".into(),
                    name: "0003_copy".into(),
                    facts: copy,
                },
            ];
            let mut seen = Order(Vec::new());
            replay(&nodes, &mut seen);
            seen.0
        };
        let copy = facts(vec![], vec![("documents".into(), "0006_remove".into())]);
        assert_eq!(order(&copy), vec![1, 0]);
        // Without it, the listed order stands.
        assert_eq!(order(&facts(vec![], vec![])), vec![0, 1]);
    }

    #[test]
    fn replays_in_dependency_order_across_apps() {
        let create = DjangoFacts {
            run_before: vec![],
            dependencies: vec![],
            replaces: vec![],
            header: TextRange::default(),
            steps: vec![step(Change::CreateModel {
                name: "Page".into(),
                fields: Some(vec![field("title", true)]),
                options: Options::default(),
            })],
        };
        let alter = DjangoFacts {
            run_before: vec![],
            dependencies: vec![("core".into(), "0002_b".into())],
            replaces: vec![],
            header: TextRange::default(),
            steps: vec![step(Change::AlterField {
                model: "page".into(),
                field: field("title", false),
            })],
        };
        let tighten = DjangoFacts {
            run_before: vec![],
            dependencies: vec![("core".into(), "0001_a".into())],
            replaces: vec![],
            header: TextRange::default(),
            steps: vec![step(Change::AlterField {
                model: "page".into(),
                field: field("title", false),
            })],
        };
        // Listed out of order on purpose: 0003 first.
        let nodes = vec![
            Node {
                app: "core".into(),
                name: "0003_c".into(),
                facts: &alter,
            },
            Node {
                app: "core".into(),
                name: "0001_a".into(),
                facts: &create,
            },
            Node {
                app: "core".into(),
                name: "0002_b".into(),
                facts: &tighten,
            },
        ];
        let mut seen = Record(Vec::new());
        replay(&nodes, &mut seen);
        assert_eq!(seen.0, vec![(2, Some(true)), (0, Some(false))]);
    }

    /// Two branches that make the same change agree: after their merge the field is known
    /// (and nullable, so tightening it is seen); a change on one branch only is taken as is.
    #[test]
    fn merge_keeps_what_the_branches_agree_on() {
        let facts = |deps: &[&str], steps: Vec<Step>| DjangoFacts {
            run_before: vec![],
            dependencies: deps.iter().map(|d| ("core".into(), (*d).into())).collect(),
            replaces: vec![],
            header: TextRange::default(),
            steps,
        };
        let alter = |model: &str, null: bool| {
            step(Change::AlterField {
                model: model.into(),
                field: field("title", null),
            })
        };
        let create = |name: &str| {
            step(Change::CreateModel {
                name: name.into(),
                fields: Some(vec![field("title", false)]),
                options: Options::default(),
            })
        };
        let all = [
            ("0001", facts(&[], vec![create("Page"), create("Tag")])),
            ("0002_a", facts(&["0001"], vec![alter("page", true)])),
            (
                "0002_b",
                facts(&["0001"], vec![alter("page", true), alter("tag", true)]),
            ),
            ("0003", facts(&["0002_a", "0002_b"], vec![])),
            (
                "0004",
                facts(&["0003"], vec![alter("page", false), alter("tag", false)]),
            ),
        ];
        let seen = replay_core(&all);
        // 0002_a and 0002_b each see title NOT NULL as 0001 left it; 0004 sees both nullable.
        assert_eq!(
            seen.0,
            vec![
                (1, Some(false)),
                (2, Some(false)),
                (2, Some(false)),
                (4, Some(true)),
                (4, Some(true)),
            ]
        );
    }

    /// Two branches that change different fields of one model: after their merge the fields
    /// they leave alike are known, the ones they disagree on unknown (not the whole model).
    #[test]
    fn merge_is_field_by_field() {
        let facts = |deps: &[&str], steps: Vec<Step>| DjangoFacts {
            run_before: vec![],
            dependencies: deps.iter().map(|d| ("core".into(), (*d).into())).collect(),
            replaces: vec![],
            header: TextRange::default(),
            steps,
        };
        let alter = |name: &str, null: bool| {
            step(Change::AlterField {
                model: "page".into(),
                field: field(name, null),
            })
        };
        let create = step(Change::CreateModel {
            name: "Page".into(),
            fields: Some(vec![
                field("title", true),
                field("body", true),
                field("summary", true),
            ]),
            options: Options::default(),
        });
        let all = [
            ("0001", facts(&[], vec![create])),
            ("0002_a", facts(&["0001"], vec![alter("title", false)])),
            ("0002_b", facts(&["0001"], vec![alter("body", false)])),
            ("0003", facts(&["0002_a", "0002_b"], vec![])),
            (
                "0004",
                facts(
                    &["0003"],
                    vec![alter("title", false), alter("summary", false)],
                ),
            ),
        ];
        let seen = replay_core(&all);
        // 0004: title was changed by one branch only since their common ancestor 0001, so it
        // is that branch's (NOT NULL); summary by neither (nullable).
        assert_eq!(
            seen.0,
            vec![
                (1, Some(true)),
                (2, Some(true)),
                (4, Some(false)),
                (4, Some(true))
            ]
        );
    }

    /// A field renamed on one side of a merge and left under its old name on the other is the
    /// renamed field after the merge, whichever side the merge names first; renamed on one
    /// side and altered on the other, it is unknown.
    #[test]
    fn merge_carries_a_rename() {
        let facts = |deps: &[&str], steps: Vec<Step>| DjangoFacts {
            run_before: vec![],
            dependencies: deps.iter().map(|d| ("core".into(), (*d).into())).collect(),
            replaces: vec![],
            header: TextRange::default(),
            steps,
        };
        let alter = |name: &str, null: bool| {
            step(Change::AlterField {
                model: "page".into(),
                field: field(name, null),
            })
        };
        let rename = || {
            step(Change::RenameField {
                model: "page".into(),
                old: "title".into(),
                new: "headline".into(),
            })
        };
        let create = || {
            step(Change::CreateModel {
                name: "Page".into(),
                fields: Some(vec![field("title", true), field("body", true)]),
                options: Options::default(),
            })
        };
        // (what the other side does, the merge's dependencies, headline's nullability at 0004)
        for (other, merge, want) in [
            (alter("body", false), ["0002_a", "0002_b"], Some(true)),
            (alter("body", false), ["0002_b", "0002_a"], Some(true)),
            (alter("title", false), ["0002_a", "0002_b"], None),
        ] {
            let all = [
                ("0001", facts(&[], vec![create()])),
                ("0002_a", facts(&["0001"], vec![rename()])),
                ("0002_b", facts(&["0001"], vec![other])),
                ("0003", facts(&merge, vec![])),
                (
                    "0004",
                    facts(
                        &["0003"],
                        vec![alter("headline", false), alter("title", false)],
                    ),
                ),
            ];
            let seen = replay_core(&all);
            let at_0004: Vec<_> = seen.0.iter().filter(|(n, _)| *n == 4).collect();
            // The old name is gone either way.
            assert_eq!(at_0004, vec![&(4, want), &(4, None)], "merge {merge:?}");
        }
    }

    /// The arms of an `if`: what they leave alike stays known, the rest is unknown; a model
    /// one arm creates and the other not is unknown.
    #[test]
    fn if_arms_are_alternatives() {
        let add = |name: &str, null: bool| {
            step(Change::AddField {
                model: "entry".into(),
                field: field(name, null),
            })
        };
        let create = |name: &str| {
            step(Change::CreateModel {
                name: name.into(),
                fields: Some(vec![field("title", true)]),
                options: Options::default(),
            })
        };
        let mut state = State::default();
        state.apply("search", "0001", &create("Entry"));
        let branches = step(Change::Branches {
            arms: vec![
                vec![add("body", true), add("vector", true), create("Fts")],
                vec![add("body", true), add("vector", false)],
            ],
        });
        state.apply("search", "0002", &branches);
        let Seen::Known(entry) = state.model("search", "entry") else {
            panic!("entry should stay known");
        };
        assert_eq!(entry.field("title").and_then(|f| f.facts.null), Some(true));
        assert_eq!(entry.field("body").and_then(|f| f.facts.null), Some(true));
        assert!(entry.field("vector").is_some_and(|f| !f.facts.known));
        assert!(matches!(state.model("search", "fts"), Seen::Unknown));
    }

    /// A long linear chain replays in linear time without recursion.
    #[test]
    fn ten_thousand_migrations() {
        let facts: Vec<DjangoFacts> = (0..10_000)
            .map(|i| DjangoFacts {
                run_before: vec![],
                dependencies: if i == 0 {
                    vec![]
                } else {
                    vec![("core".into(), format!("{:04}", i - 1))]
                },
                replaces: vec![],
                header: TextRange::default(),
                steps: vec![step(if i == 0 {
                    Change::CreateModel {
                        name: "Page".into(),
                        fields: Some(vec![field("title", true)]),
                        options: Options::default(),
                    }
                } else {
                    Change::AlterField {
                        model: "page".into(),
                        field: field("title", i % 2 == 0),
                    }
                })],
            })
            .collect();
        let nodes: Vec<Node<'_>> = facts
            .iter()
            .enumerate()
            .rev()
            .map(|(i, f)| Node {
                app: "core".into(),
                name: format!("{i:04}"),
                facts: f,
            })
            .collect();
        let mut seen = Record(Vec::new());
        replay(&nodes, &mut seen);
        assert_eq!(seen.0.len(), 9_999);
        assert_eq!(seen.0[0].1, Some(true));
        assert_eq!(seen.0[1].1, Some(false));
    }
}
