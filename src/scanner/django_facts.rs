//! What one Django migration declares, as the scanner reads it: its dependencies and its
//! operations as [`Step`]s. Plain data below the model (`MigrationAST::django` holds it);
//! [`super::django_state`] replays it.

use ruff_text_size::TextRange;

/// A model option as written: not stated, a literal, or an expression we cannot evaluate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Opt<T> {
    #[default]
    Absent,
    Known(T),
    Unknown,
}

/// The options of `CreateModel(options={...})` / `AlterModelOptions` the state tracks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub managed: Opt<bool>,
    pub proxy: Opt<bool>,
    pub db_table: Opt<String>,
    /// The whole `options=` was not a literal dict: every option is unknown.
    pub opaque: bool,
}

/// A field as a migration declares it (`models.CharField(max_length=10, null=True)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldFacts {
    pub name: String,
    /// The field class (`CharField`).
    pub class: String,
    /// `None`: `null=` is not a literal.
    pub null: Option<bool>,
    pub blank: bool,
    /// Existing rows get a value: `default=`, `db_default=`, `auto_now(_add)`, or `''` for a
    /// `blank=True` string field (Django's effective default).
    pub has_default: bool,
    pub db_column: Opt<String>,
    pub primary_key: bool,
    /// A relation's `on_delete=` (`SET_NULL`, upper-case), when given by name.
    pub on_delete: Option<String>,
    /// Every argument that matters was a literal (the field is not built by a helper).
    pub known: bool,
    /// A `ManyToManyField(through=...)`: its rows are those of a model of their own, which
    /// adding or removing the field leaves alone.
    pub through_model: bool,
}

impl FieldFacts {
    /// A field nothing is known about but its name (built by a helper, or told apart by
    /// branches that disagree).
    #[must_use]
    pub fn unknown(name: &str) -> FieldFacts {
        FieldFacts {
            name: name.to_string(),
            class: String::new(),
            null: None,
            blank: false,
            has_default: false,
            db_column: Opt::Unknown,
            primary_key: false,
            on_delete: None,
            known: false,
            through_model: false,
        }
    }
}

/// A model and a field named by a `RunPython` function: (model, field), model as written
/// (`"wagtailcore.Revision"` or `"Revision"`), both lower-case.
pub type FieldRef = (String, String);

/// What a `RunPython` function does to rows, as far as its code shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataFlow {
    /// Fields written with a value (`Model.objects.update(f=...)`, `bulk_update(objs, ["f"])`,
    /// `obj.f = ...` in a loop over `Model.objects`).
    pub writes: Vec<FieldRef>,
    /// Fields written with a literal constant (`row.f = ""`, `.update(f=0)`), as in `writes`:
    /// such a write fills the column, but brings no value back.
    pub literal_writes: Vec<FieldRef>,
    /// Fields read into those writes (`F("f")` inside the writing call), and fields read off
    /// the rows of a loop over a model (`task_queues = job.task_queues`).
    pub reads: Vec<FieldRef>,
    /// Whole models whose rows were copied into another model: (source, target), as in
    /// [`FieldRef`] (`for flt in Filter.objects.all(): Rendition...update(spec=flt.spec)`,
    /// `Target.objects.create(name=row.name)` over a source's rows).
    pub copies: Vec<(String, String)>,
    /// Fields whose every value was written as it is into another field: (model, from,
    /// into model, to), as in [`FieldRef`]. Into the same row (`row.enc_args = row.args` in a
    /// loop over the model's rows, `.update(new=F("old"))`), or into a new row of another
    /// model that links back to the row (`Assignment(device=device, cluster=device.cluster)`
    /// in a loop over devices). On every row, or on the rows a filter picks only because
    /// `from` is set (`.filter(args__isnull=False)`); not under an `if`.
    pub copied_fields: Vec<(String, String, String, String)>,
    /// Fields whose every value went, computed, into another field of the same row: (model,
    /// from, to), as in [`FieldRef`] (`row.target_group = logic[(row.include_submitters,
    /// row.exclude_unconfirmed)]` in a loop over every row, pretalx person 0024). Not under
    /// an `if`, and on every row as for `copied_fields`.
    pub converted_fields: Vec<(String, String, String)>,
    /// Boolean fields set to one value on every row that held the other
    /// (`Unit.objects.filter(pending=True).update(pending=False)`, weblate trans 0040): each
    /// row holds that one value afterwards. (model, field), as in [`FieldRef`].
    pub reset_fields: Vec<FieldRef>,
    /// Some call may write rows `writes` does not name (`.delete()`, `.create(...)`, raw SQL,
    /// `.update()` on a model not bound by `apps.get_model`, a helper function).
    pub unattributed: bool,
    /// Models some of whose fields are written under names computed at run time
    /// (`setattr(row, name, value)` in a loop over the model's rows): any field may be one.
    pub computed_writes: Vec<String>,
    /// Models every row of which the function deletes, in a statement of its own body that
    /// always runs (`Model.objects.all().delete()`), or whose rows make it raise (`if
    /// Model.objects.exists(): raise ...`): empty past this step, as in [`FieldRef`].
    pub emptied: Vec<String>,
}

impl DataFlow {
    /// The models whose rows the function writes, as its code names them: fields written,
    /// rows copied into, fields written under computed names. With [`DataFlow::unattributed`]
    /// it may write others too.
    pub fn written_models(&self) -> impl Iterator<Item = &str> {
        self.writes
            .iter()
            .map(|(m, _)| m.as_str())
            .chain(self.copies.iter().map(|(_, into)| into.as_str()))
            .chain(self.computed_writes.iter().map(String::as_str))
    }
}

/// One operation's effect on the project state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `fields: None` when the field list is not a literal.
    CreateModel {
        name: String,
        fields: Option<Vec<FieldFacts>>,
        options: Options,
    },
    DeleteModel {
        name: String,
    },
    RenameModel {
        old: String,
        new: String,
    },
    AlterModelOptions {
        name: String,
        options: Options,
    },
    /// `table: Opt::Absent` for `db_table=None` (back to the default name).
    AlterModelTable {
        name: String,
        table: Opt<String>,
    },
    AddField {
        model: String,
        field: FieldFacts,
    },
    AlterField {
        model: String,
        field: FieldFacts,
    },
    RemoveField {
        model: String,
        name: String,
    },
    RenameField {
        model: String,
        old: String,
        new: String,
    },
    RunPython {
        forward: Box<DataFlow>,
        reverse: Box<DataFlow>,
        /// The first write of `forward`, where the per-file finding on it points.
        finding: Option<TextRange>,
    },
    /// Raw SQL: the tables it touches; `None` when the SQL could not be read.
    RunSql {
        tables: Option<Vec<String>>,
    },
    /// An operation the state cannot model (a project's own `Operation` subclass): the
    /// models it names (`"app.Model"` strings, `model_name=`), or none when it names none.
    Custom {
        models: Vec<String>,
    },
    /// Operations the scanner cannot read as fact (built under a `try`, a loop, or from a
    /// list it cannot see): the models they name, every model of the app
    /// when `None`, are unknown from here on.
    Unknown {
        models: Option<Vec<String>>,
    },
    /// An index or constraint operation on a model (`AddIndex`, `AddIndexConcurrently`,
    /// `AddConstraint`, ...): the state tracks nothing of it, but rules ask about its model.
    Index {
        model: String,
    },
    /// A known operation that changes nothing the state tracks (`CreateExtension`, ...).
    Other,
    /// Operations built under an `if` (on the database vendor, a setting): one list of steps
    /// per arm (an empty one for a missing `else`), of which one runs. What the arms leave
    /// alike is known after it; a model or field they leave differently is unknown.
    Branches {
        arms: Vec<Vec<Step>>,
    },
}

/// One operation of a migration, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub change: Change,
    /// The operation's call: where findings on it point.
    pub range: TextRange,
    /// Changes Django's state (false for `database_operations` of `SeparateDatabaseAndState`).
    pub state: bool,
    /// Runs on the database (false for `state_operations`).
    pub db: bool,
}

/// What a Django migration declares, for the replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DjangoFacts {
    /// `dependencies = [("app", "0001_initial"), ...]`.
    pub dependencies: Vec<(String, String)>,
    /// `run_before = [("app", "0006_remove_x"), ...]`: migrations that must wait for this one
    /// (Django orders them as if they depended on it).
    pub run_before: Vec<(String, String)>,
    /// `replaces = [("app", "0001_initial"), ...]` of a squashed migration.
    pub replaces: Vec<(String, String)>,
    pub steps: Vec<Step>,
    /// `class Migration(...)`: where findings on the whole migration point.
    pub header: TextRange,
}
