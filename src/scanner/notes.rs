//! What a migration says about its own data: a comment or docstring stating that the rows a
//! statement destroys are derived (regenerated, re-populated, a cache, transient), so that a
//! data-loss finding can be a warning that quotes why.
//!
//! Read strictly: a sentence that negates (`cannot be regenerated`, `not a cache`) says
//! nothing, and one at the statement itself keeps the error whatever the function says
//! elsewhere. A sentence elsewhere in the function (a comment, the docstring) only counts when
//! it names the statement's table or column: "the cache is rebuilt" above five drops does not
//! speak for all five.

use ruff_text_size::{TextRange, TextSize};

/// Words that say the data comes back by itself (hyphens removed: `re-generated` matches).
const DERIVED: &[&str] = &[
    "regenerate",
    "regenerated",
    "regenerates",
    "regenerating",
    "repopulate",
    "repopulated",
    "repopulates",
    "refill",
    "refills",
    "refilled",
    "recomputed",
    "recalculated",
    "cache",
    "caches",
    "cached",
    "transient",
    "ephemeral",
];

/// Phrases that say the same in several words.
const DERIVED_PHRASES: &[&str] = &[
    "populated automatically",
    "automatically populated",
    "no need to keep",
];

/// Phrases that say the data was weighed and judged not worth keeping. Their negation is
/// their own, and the sentence around them may negate what it decided against ("we decided to
/// not migrate the data as it wasn't worth it").
const WEIGHED: &[&str] = &[
    "not worth",
    "wasn't worth",
    "wasnt worth",
    "isn't worth",
    "isnt worth",
];

/// Any of these in a sentence turns it around (`cannot be regenerated`, `not a cache`).
const NEGATIONS: &[&str] = &[
    "not",
    "cannot",
    "cant",
    "can't",
    "never",
    "no",
    "none",
    "wont",
    "won't",
    "isnt",
    "isn't",
    "arent",
    "aren't",
    "wasnt",
    "wasn't",
    "dont",
    "don't",
    "doesnt",
    "doesn't",
    "unable",
    "impossible",
    "without",
];

fn words(sentence: &str) -> Vec<String> {
    sentence
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// What one sentence says about the data.
enum Says {
    Nothing,
    /// A derived-data word under a negation (`cannot be regenerated`).
    NotDerived,
    Derived(String),
}

/// Does the sentence say the data is derived (and not negate it)? With `names`, it must also
/// name one of them (the statement's table or column).
fn derived_sentence(sentence: &str, names: Option<&[&str]>) -> Says {
    let lower = sentence.to_ascii_lowercase().replace("re-", "re");
    let mut rest = lower.clone();
    let phrase = DERIVED_PHRASES.iter().any(|p| {
        let found = rest.contains(p);
        rest = rest.replace(p, " ");
        found
    });
    let ws = words(&rest);
    let weighed = WEIGHED.iter().any(|p| lower.contains(p));
    let keyword = phrase || weighed || ws.iter().any(|w| DERIVED.contains(&w.as_str()));
    if !keyword {
        return Says::Nothing;
    }
    if !weighed && ws.iter().any(|w| NEGATIONS.contains(&w.as_str())) {
        return Says::NotDerived;
    }
    if let Some(names) = names
        && !words(&lower)
            .iter()
            .any(|w| names.iter().any(|n| w.eq_ignore_ascii_case(n)))
    {
        return Says::Nothing;
    }
    Says::Derived(quoted(sentence))
}

/// Split prose into sentences (comment blocks are joined first: a sentence may wrap).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['.', '!', '?', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The comment of one line (`# ...` outside string quotes), if any.
fn comment_of(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => return Some(line[i + 1..].trim()),
                _ => {}
            },
        }
    }
    None
}

/// Comment blocks (consecutive comment lines joined into one text) of `lines`.
fn comment_blocks<'s>(lines: impl Iterator<Item = &'s str>) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in lines {
        let whole_line = line.trim_start().starts_with('#');
        match comment_of(line) {
            Some(c) if whole_line => {
                // A comment line that starts with a capital starts a sentence; otherwise it
                // continues the line above (a wrapped sentence keeps its negation).
                if c.starts_with(char::is_uppercase) {
                    current.push('\n');
                } else {
                    current.push(' ');
                }
                current.push_str(c);
            }
            other => {
                if !current.is_empty() {
                    blocks.push(std::mem::take(&mut current));
                }
                if let Some(c) = other {
                    blocks.push(c.to_string());
                }
            }
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

fn line_start(source: &str, at: TextSize) -> usize {
    let at = usize::from(at).min(source.len());
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(source: &str, at: TextSize) -> usize {
    let at = usize::from(at).min(source.len());
    source[at..].find('\n').map_or(source.len(), |i| at + i)
}

/// The comments at a statement: on its own lines, and the comment lines right above it.
fn statement_comments(source: &str, stmt: TextRange) -> Vec<String> {
    let start = line_start(source, stmt.start());
    let end = line_end(source, stmt.end());
    let mut blocks: Vec<String> = source[start..end]
        .lines()
        .filter_map(comment_of)
        .map(str::to_string)
        .collect();
    let above: Vec<&str> = source[..start]
        .lines()
        .rev()
        .take_while(|l| l.trim_start().starts_with('#'))
        .collect();
    blocks.extend(comment_blocks(above.into_iter().rev()));
    blocks
}

/// The prose of a function: its comment blocks, then its `docstring`.
fn function_texts(source: &str, function: TextRange, docstring: Option<&str>) -> Vec<String> {
    let start = line_start(source, function.start());
    let end = line_end(source, function.end());
    let mut texts = comment_blocks(source[start..end].lines());
    if let Some(doc) = docstring {
        texts.push(doc.to_string());
    }
    texts
}

/// The sentences of a function (its comments and its `docstring`) that say data is derived,
/// without naming what: read once per function, matched per statement by
/// [`derived_note`].
#[must_use]
pub fn function_claims(source: &str, function: TextRange, docstring: Option<&str>) -> Vec<String> {
    function_texts(source, function, docstring)
        .iter()
        .flat_map(|t| {
            sentences(t)
                .filter_map(|s| match derived_sentence(s, None) {
                    Says::Derived(_) => Some(s.to_string()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Why the data `stmt` destroys is derived, in the migration's own words: a comment at the
/// statement, or one of the function's `claims` ([`function_claims`]) that names `names`
/// (the statement's table or column). `None` when the code says nothing of the kind, or when
/// the statement's own comment negates it.
#[must_use]
pub fn derived_note(
    source: &str,
    stmt: TextRange,
    claims: &[String],
    names: &[&str],
) -> Option<String> {
    let mut found = None;
    for block in statement_comments(source, stmt) {
        for sentence in sentences(&block) {
            match derived_sentence(sentence, None) {
                Says::NotDerived => return None,
                Says::Derived(s) if found.is_none() => found = Some(s),
                _ => {}
            }
        }
    }
    if found.is_some() {
        return found;
    }
    claims
        .iter()
        .find_map(|s| match derived_sentence(s, Some(names)) {
            Says::Derived(s) => Some(s),
            _ => None,
        })
}

/// Words that say an upgrade repairs something: a bug, or a schema out of step with the
/// models. An empty `downgrade()` that says so has nothing to put back.
const REPAIR: &[&str] = &[
    "bug",
    "bugs",
    "bugfix",
    "inconsistency",
    "inconsistencies",
    "inconsistent",
    "consistent",
    "sync",
];

/// Words that say the rollback is impossible or unfinished, not needless: such a sentence
/// gives no repair as the reason, whatever else it says.
const NOT_NEEDLESS: &[&str] = &[
    "cannot",
    "can't",
    "cant",
    "unable",
    "impossible",
    "unsupported",
    "todo",
    "fixme",
];

/// Why a function that does nothing has nothing to undo, in its own words (a comment or its
/// `docstring`): a sentence saying the upgrade repairs a bug or makes the database consistent
/// with the models (airflow 686269002441: "NO downgrade because this is to make ORM consistent
/// with the database"; manila 829a09b0ddd4: "no need to implement old behaviour as it was
/// bug"). "Cannot be downgraded" or a TODO gives no such reason and yields `None`.
#[must_use]
pub fn repair_note(source: &str, function: TextRange, docstring: Option<&str>) -> Option<String> {
    function_texts(source, function, docstring)
        .iter()
        .find_map(|t| {
            sentences(t)
                .find(|s| {
                    let ws = words(s);
                    ws.iter().any(|w| REPAIR.contains(&w.as_str()))
                        && !ws.iter().any(|w| NOT_NEEDLESS.contains(&w.as_str()))
                })
                .map(quoted)
        })
}

/// Does a revision's message say it stores `column` as a computed copy: a word that starts
/// with "materializ"/"denormaliz" (or the British "-is"), beside the column's name, singular or
/// plural ("materialize perms" for `perm`)?
#[must_use]
pub fn materializes(message: &str, column: &str) -> bool {
    let ws = words(message);
    let claims = ws.iter().any(|w| {
        ["materializ", "materialis", "denormaliz", "denormalis"]
            .iter()
            .any(|p| w.starts_with(p))
    });
    let column = column.to_ascii_lowercase();
    claims
        && ws.iter().any(|w| {
            *w == column
                || w.strip_suffix('s')
                    .is_some_and(|w| w == column || w.strip_suffix('e') == Some(&column))
        })
}

/// A sentence as a message quotes it: one line, no closing punctuation, at most 160 characters.
fn quoted(sentence: &str) -> String {
    let text = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.trim_end_matches(['.', ',', ';', ':']).to_string();
    if text.chars().count() > 160 {
        format!("{}...", text.chars().take(157).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(source: &str, marker: &str) -> Option<String> {
        let at = source.find(marker).unwrap();
        let stmt = TextRange::new(
            TextSize::try_from(at).unwrap(),
            TextSize::try_from(at + marker.len()).unwrap(),
        );
        let whole = TextRange::new(0.into(), TextSize::try_from(source.len()).unwrap());
        let claims = function_claims(source, whole, None);
        derived_note(source, stmt, &claims, &["t", "dag", "c"])
    }

    #[test]
    fn a_comment_that_says_the_data_is_regenerated_is_quoted() {
        let src = "def upgrade():\n    # The asset_watcher table will be populated automatically by the DAG parsing process\n    op.drop_table(\"asset_trigger\")\n";
        assert_eq!(
            note(src, "op.drop_table").as_deref(),
            Some(
                "The asset_watcher table will be populated automatically by the DAG parsing process"
            )
        );
        let src = "def upgrade():\n    op.drop_column(\"dag\", \"code\")  # a cache: re-generated on parse\n";
        assert_eq!(
            note(src, "op.drop_column").as_deref(),
            Some("a cache: re-generated on parse")
        );
        // Separate sentences of one block: the negation of the first is not the second's.
        let src = "def upgrade():\n    # Drop the old table - it's no longer used by the new code\n    # The new table will be populated automatically by the DAG parsing process\n    op.drop_table(\"t\")\n";
        assert!(note(src, "op.drop_table").is_some());
        // quay 13411de1c0ff drops a mapping table to rebuild its index.
        let src = "def upgrade():\n    # we cannot simply alter the index, so instead we simply drop the table entirely and\n    # recreate it with the modified index. The backfill will re-fill this in.\n    op.drop_table(\"t\")\n";
        assert_eq!(
            note(src, "op.drop_table").as_deref(),
            Some("The backfill will re-fill this in")
        );
        // airflow 29ce7909c52b weighs the data of task_reschedule and drops try_number.
        let src = "def upgrade():\n    # We decided to not migrate the data for t as the time to do it wasn't worth it\n    x = 1\n\n    op.drop_column(\"t\", \"c\")\n";
        assert!(note(src, "op.drop_column").is_some_and(|n| n.contains("wasn't worth it")));
        let src = "def upgrade():\n    # It's just easier to delete all the rows from the table\n    # No need to keep any records that may be in there during a major upgrade\n    op.execute(\"DELETE FROM q\")\n";
        assert!(note(src, "op.execute").is_some());
    }

    #[test]
    fn negations_keep_the_error() {
        for comment in [
            "# this data cannot\n    # be regenerated",
            "# this data cannot be regenerated",
            "# not a cache: users typed these values",
            "# the rows are never repopulated",
            "# it can't be re-generated from the table",
        ] {
            let src = format!("def upgrade():\n    {comment}\n    op.drop_column(\"t\", \"c\")\n");
            assert_eq!(note(&src, "op.drop_column"), None, "{comment}");
        }
    }

    #[test]
    fn function_level_sentences_must_name_the_object() {
        // Far from the statement and naming nothing it drops: says nothing about it.
        let src = "def upgrade():\n    # invalidate the cache\n    x = 1\n\n    op.drop_column(\"t\", \"c\")\n";
        assert_eq!(note(src, "op.drop_column"), None);
        let src = "def upgrade():\n    # the rows of dag are a cache\n    x = 1\n\n    op.drop_column(\"dag\", \"code\")\n";
        assert!(note(src, "op.drop_column").is_some());
        // The statement's own comment wins over the function's.
        let src = "def upgrade():\n    # the rows of dag are a cache\n    x = 1\n\n    # not a cache: typed by users\n    op.drop_column(\"dag\", \"code\")\n";
        assert_eq!(note(src, "op.drop_column"), None);
        // Unrelated words that contain a keyword are not the keyword.
        let src =
            "def upgrade():\n    op.drop_column(\"t\", \"cache_timeout\")  # drop cache_timeout\n";
        assert_eq!(note(src, "op.drop_column"), None);
        // A `#` inside a string is not a comment.
        let src = "def upgrade():\n    op.execute(\"DELETE FROM t WHERE x = '# a cache'\")\n";
        assert_eq!(
            derived_note(src, TextRange::new(19.into(), 60.into()), &[], &["t"]),
            None
        );
    }

    #[test]
    fn a_repair_is_the_reason_only_when_the_rollback_is_needless() {
        let whole = |src: &str| TextRange::new(0.into(), TextSize::try_from(src.len()).unwrap());
        let src = "def downgrade():\n    # NOTE: no need to implement old behaviour as it was bug.\n    pass\n";
        assert_eq!(
            repair_note(src, whole(src), None).as_deref(),
            Some("NOTE: no need to implement old behaviour as it was bug")
        );
        let doc = "NO downgrade because this is to make ORM consistent with the database.";
        let src = "def downgrade():\n    pass\n";
        assert!(repair_note(src, whole(src), Some(doc)).is_some());
        for comment in [
            "# This cannot safely be downgraded: the bug would come back",
            "# TODO: fix the inconsistency on downgrade",
            "# the downgrade is not implemented",
            "# debug output only",
        ] {
            let src = format!("def downgrade():\n    {comment}\n    pass\n");
            assert_eq!(repair_note(&src, whole(&src), None), None, "{comment}");
        }
    }

    #[test]
    fn a_materialized_column_is_named_by_the_message() {
        assert!(materializes("materialize perms", "perm"));
        assert!(materializes("Denormalise the address boxes", "boxes"));
        assert!(materializes("denormalized counts of children", "count"));
        assert!(!materializes("Materializing permission", "perm"));
        assert!(!materializes("add perms", "perm"));
        assert!(!materializes("materialize views", "perm"));
    }
}
