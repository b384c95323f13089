//! The user's settings, in the CLI's words: rule selection (`--select`/`--ignore`), severity
//! overrides and skipped revisions, resolved once into rules so the scanner can ask
//! "is this rule on, and at what severity?".

use std::collections::HashSet;

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
    use super::custom_severity;

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
