declare_rule! {
    /// ## What it does
    /// Reports a migration file that is not valid Python, at the line of the first error. The
    /// other files are still scanned.
    ///
    /// ## Why is this bad?
    /// Alembic and Django import every migration file: one syntax error breaks every migration
    /// command, and nothing in the file can be checked.
    ///
    /// ## Example
    /// ```python
    /// def upgrade()
    ///     op.drop_column("users", "phone")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.drop_column("users", "phone")
    /// ```
    pub struct SyntaxError;
}
