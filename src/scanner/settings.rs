//! The user's settings, in the CLI's words: rule selection (`--select`/`--ignore`), severity
//! overrides and skipped revisions, resolved once into rules so the scanner can ask
//! "is this rule on, and at what severity?".

use std::collections::HashSet;

use crate::Error;
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
        let resolve = |keys: &[String], option: &str| -> Result<HashSet<Rule>, Error> {
            let mut out = HashSet::new();
            for key in keys
                .iter()
                .flat_map(|k| k.split(','))
                .map(str::trim)
                .filter(|k| !k.is_empty())
            {
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
        let select = if select.is_empty() {
            None
        } else {
            Some(resolve(select, "--select")?)
        };
        let ignore = resolve(ignore, "--ignore")?;
        let mut unknown = Vec::new();
        let mut resolved = Vec::new();
        for (key, severity) in overrides {
            let sev = match severity.to_ascii_lowercase().as_str() {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "off" => None,
                other => {
                    return Err(Error::Usage(format!(
                        "severity_overrides['{key}']: severity must be 'error', 'warning' or 'off', got '{other}'"
                    )));
                }
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
