//! The user's settings, in the CLI's words: rule selection (`--select`/`--ignore`), severity
//! overrides and skipped revisions, resolved once into rules so the scanner can ask
//! "is this rule on, and at what severity?".

use std::collections::{HashMap, HashSet};

use crate::Error;
use crate::config;
use crate::diagnostic::Severity;
use crate::rules::Rule;

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Only these rules (None: all).
    pub select: Option<HashSet<Rule>>,
    pub ignore: HashSet<Rule>,
    /// Applied in order; `None` severity means "off".
    pub overrides: Vec<(Rule, Option<Severity>)>,
    /// Revision ids whose findings are dropped (documented as skipped in the config).
    pub skip: HashSet<String>,
}

impl Settings {
    /// Build settings from user keys (codes, kebab names or pattern names). Unknown keys in
    /// select/ignore are a usage error; unknown override keys are returned (they may name a
    /// custom check's pattern).
    pub fn from_keys(
        select: &[String],
        ignore: &[String],
        overrides: &[(String, String)],
        skip: &[String],
    ) -> Result<(Settings, Vec<String>), Error> {
        let resolve = |keys: &[&str], option: &str| -> Result<HashSet<Rule>, Error> {
            let mut out = HashSet::new();
            for &key in keys {
                let found = Rule::lookup(key);
                if found.is_empty() {
                    return Err(Error::Usage(format!(
                        "{option}: unknown rule '{key}' (see 'mrt rules')"
                    )));
                }
                out.extend(found);
            }
            Ok(out)
        };
        let select = config::split_keys(select);
        let select = if select.is_empty() {
            None
        } else {
            Some(resolve(&select, "--select")?)
        };
        let ignore = resolve(&config::split_keys(ignore), "--ignore")?;
        let mut unknown = Vec::new();
        let mut resolved = Vec::new();
        for (key, severity) in overrides {
            let Some(sev) = config::parse_severity(severity) else {
                return Err(config::severity_error(
                    "severity_overrides",
                    &format!("'{key}'"),
                    &format!("'{severity}'"),
                ));
            };
            let rules = Rule::lookup(key);
            if rules.is_empty() {
                unknown.push(key.clone());
            }
            resolved.extend(rules.into_iter().map(|r| (r, sev)));
        }
        Ok((
            Settings {
                select,
                ignore,
                overrides: resolved,
                skip: skip.iter().cloned().collect(),
            },
            unknown,
        ))
    }

    #[must_use]
    pub fn enabled(&self, rule: Rule) -> bool {
        !self.ignore.contains(&rule) && self.select.as_ref().is_none_or(|s| s.contains(&rule))
    }

    /// The severity after overrides; None when turned off.
    #[must_use]
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        self.severity_of_case(rule, None)
    }

    /// The severity of one finding after overrides: `case` is the rule's own severity for
    /// that case (see [`crate::diagnostic::Diagnostic::severity`]); an override of the rule
    /// wins over both.
    #[must_use]
    pub fn severity_of_case(&self, rule: Rule, case: Option<Severity>) -> Option<Severity> {
        let mut sev = Some(case.unwrap_or(rule.default_severity()));
        for (r, s) in &self.overrides {
            if *r == rule {
                sev = *s;
            }
        }
        sev
    }
}

/// Which revisions the `skip` keys name, as `revision id → key`. The one rule, the same for
/// the scanner and the rollback checks: a key names the revision whose id it is, or else the
/// one revision whose id begins with it (a unique prefix, as `alembic` accepts on its command
/// line). A key that begins several ids, or none, names nothing.
#[must_use]
pub fn skipped_revisions<'k, S: AsRef<str>>(
    keys: impl IntoIterator<Item = &'k String>,
    revisions: &[S],
) -> HashMap<String, String> {
    let ids: HashSet<&str> = revisions.iter().map(AsRef::as_ref).collect();
    let mut out = HashMap::new();
    for key in keys {
        if ids.contains(key.as_str()) {
            out.insert(key.clone(), key.clone());
            continue;
        }
        if key.is_empty() {
            continue;
        }
        let mut starting = ids.iter().filter(|id| id.starts_with(key.as_str()));
        if let (Some(id), None) = (starting.next(), starting.next()) {
            out.entry((*id).to_string()).or_insert_with(|| key.clone());
        }
    }
    out
}

/// The severity a `severity_overrides` entry gives a finding of the user's own custom check:
/// the value of the last entry whose key names the finding's pattern, compared as rule keys
/// are compared (case, spaces, hyphens and punctuation do not matter); None when no entry
/// names it. Built-in rules are looked up by [`Rule::lookup`] instead.
#[must_use]
pub fn custom_severity<'a>(overrides: &'a [(String, String)], pattern: &str) -> Option<&'a str> {
    let wanted = crate::rules::normalize(pattern);
    overrides
        .iter()
        .rev()
        .find(|(key, _)| crate::rules::normalize(key) == wanted)
        .map(|(_, severity)| severity.as_str())
}

#[cfg(test)]
mod tests {
    use super::{custom_severity, skipped_revisions};

    #[test]
    fn a_skip_key_names_an_exact_revision_id_or_a_unique_prefix() {
        let revisions = [
            "ae1027a6acf",
            "ae10",
            "27c6a30d7c24",
            "3c20a7b6d8e1",
            "3c2f0b9a1c3d",
        ];
        let keys: Vec<String> = ["ae10", "27c6", "3c2", "ffff", ""]
            .iter()
            .map(ToString::to_string)
            .collect();
        let skipped = skipped_revisions(&keys, &revisions);
        let mut found: Vec<(&str, &str)> = skipped
            .iter()
            .map(|(r, k)| (r.as_str(), k.as_str()))
            .collect();
        found.sort_unstable();
        // "ae10" is an id (its longer sibling is not skipped); "27c6" begins one id; "3c2"
        // begins two (ambiguous), "ffff" none, "" is no key.
        assert_eq!(found, [("27c6a30d7c24", "27c6"), ("ae10", "ae10")]);
    }

    #[test]
    fn a_custom_pattern_is_named_as_rule_keys_are_the_last_entry_winning() {
        let overrides = vec![
            ("my house-rule".to_string(), "error".to_string()),
            ("MY_HOUSE  RULE".to_string(), "off".to_string()),
            ("MRT001".to_string(), "warning".to_string()),
        ];
        assert_eq!(custom_severity(&overrides, "My House Rule"), Some("off"));
        assert_eq!(custom_severity(&overrides, "other"), None);
    }
}
