declare_rule! {
    /// ## What it does
    /// Reports `# mrt: ignore[...]` / `# noqa: MRT...` comments that suppress nothing: no
    /// finding of the named rules starts on a line of that statement, or a code is unknown.
    ///
    /// ## Why is this bad?
    /// A stale suppression hides nothing today but will silently hide a real problem once the
    /// code around it changes.
    ///
    /// ## Example
    /// ```python
    /// op.add_column("users", sa.Column("age", sa.Integer))  # mrt: ignore[MRT001]
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// op.add_column("users", sa.Column("age", sa.Integer))
    /// ```
    pub struct UnusedSuppression;
}
