declare_rule! {
    /// ## What it does
    /// Reports a migration file that cannot be read as text: not UTF-8 and no PEP 263 coding
    /// declaration (`# -*- coding: latin-1 -*-`) naming its encoding, or an encoding the scanner
    /// does not support, or a read error.
    ///
    /// ## Why is this bad?
    /// Python itself refuses to import such a file, so every migration command fails.
    ///
    /// ## Example
    /// ```python
    /// # a Latin-1 file with "café" in a comment and no coding line
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # save the file as UTF-8, or declare its encoding on line 1 or 2:
    /// # -*- coding: latin-1 -*-
    /// ```
    pub struct UnreadableFile;
}
