//! Strings that match a CHECK's pattern: regular expressions through `rand_regex` (read with
//! `regex-syntax`, classes narrowed to printable characters, repetitions kept short, anchors
//! dropped and re-checked with `regex`), and SQL `LIKE` matching.

use rand::SeedableRng;
use rand::rngs::StdRng;
use regex_syntax::ParserBuilder;
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Repetition,
};

use super::checks::Pattern;

/// PostgreSQL word-boundary escapes (`\m`, `\M`, `\y`) have no `regex-syntax` spelling; `\b`
/// is close enough for generating and checking.
fn portable(p: &str) -> String {
    p.replace("\\m", "\\b")
        .replace("\\M", "\\b")
        .replace("\\y", "\\b")
}

fn narrow_unicode(class: &ClassUnicode) -> ClassUnicode {
    for nice in [
        ClassUnicode::new([ClassUnicodeRange::new('a', 'z')]),
        ClassUnicode::new([
            ClassUnicodeRange::new('0', '9'),
            ClassUnicodeRange::new('A', 'Z'),
        ]),
        ClassUnicode::new([ClassUnicodeRange::new(' ', '~')]),
        ClassUnicode::new([ClassUnicodeRange::new('\u{a0}', '\u{17f}')]),
    ] {
        let mut c = class.clone();
        c.intersect(&nice);
        if !c.ranges().is_empty() {
            return c;
        }
    }
    class.clone()
}

fn narrow_bytes(class: &ClassBytes) -> ClassBytes {
    for (lo, hi) in [(b'a', b'z'), (b' ', b'~')] {
        let mut c = class.clone();
        c.intersect(&ClassBytes::new([ClassBytesRange::new(lo, hi)]));
        if !c.ranges().is_empty() {
            return c;
        }
    }
    class.clone()
}

/// The same language, minus anchors, with readable characters and short repetitions.
fn tame(hir: Hir, max_repeat: u32) -> Hir {
    match hir.into_kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Class(Class::Unicode(c)) => Hir::class(Class::Unicode(narrow_unicode(&c))),
        HirKind::Class(Class::Bytes(c)) => Hir::class(Class::Bytes(narrow_bytes(&c))),
        HirKind::Repetition(r) => {
            let max = r
                .max
                .map_or(r.min + max_repeat, |m| m.min(r.min + max_repeat));
            Hir::repetition(Repetition {
                min: r.min,
                max: Some(max),
                greedy: r.greedy,
                sub: Box::new(tame(*r.sub, max_repeat)),
            })
        }
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name,
            sub: Box::new(tame(*c.sub, max_repeat)),
        }),
        HirKind::Concat(subs) => {
            Hir::concat(subs.into_iter().map(|h| tame(h, max_repeat)).collect())
        }
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.into_iter().map(|h| tame(h, max_repeat)).collect())
        }
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Empty => Hir::empty(),
    }
}

/// A compiled pattern: a generator and a checker.
pub struct Generator {
    sampler: rand_regex::Regex,
    checker: Option<regex::Regex>,
}

impl Generator {
    /// `None` when the pattern cannot be read or matches nothing we can write.
    #[must_use]
    pub fn new(p: &Pattern, max_repeat: u32) -> Option<Generator> {
        let text = portable(&p.text);
        let hir = ParserBuilder::new()
            .case_insensitive(p.case_insensitive)
            .build()
            .parse(&text)
            .ok()?;
        let sampler = rand_regex::Regex::with_hir(tame(hir, max_repeat), max_repeat).ok()?;
        let checker = regex::RegexBuilder::new(&text)
            .case_insensitive(p.case_insensitive)
            .build()
            .ok();
        Some(Generator { sampler, checker })
    }

    /// Up to `count` distinct matching strings, deterministic for `seed`.
    #[must_use]
    pub fn samples(&self, seed: u64, count: usize) -> Vec<String> {
        use rand::RngExt;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut out: Vec<String> = Vec::new();
        for _ in 0..count * 8 {
            let s: String = rng.sample(&self.sampler);
            if self.matches(&s) && !out.contains(&s) {
                out.push(s);
                if out.len() == count {
                    break;
                }
            }
        }
        out
    }

    #[must_use]
    pub fn matches(&self, s: &str) -> bool {
        self.checker.as_ref().is_none_or(|c| c.is_match(s))
    }
}

/// Whether `s` matches the regular expression `p` (true when the pattern cannot be read: the
/// database is the judge then).
#[must_use]
pub fn regex_matches(p: &Pattern, s: &str) -> bool {
    regex::RegexBuilder::new(&portable(&p.text))
        .case_insensitive(p.case_insensitive)
        .build()
        .map_or(true, |r| r.is_match(s))
}

/// SQL `LIKE`: `%` any run, `_` one character, `\` escapes.
#[must_use]
pub fn like_matches(p: &Pattern, s: &str) -> bool {
    let fold = |t: &str| {
        if p.case_insensitive {
            t.to_lowercase()
        } else {
            t.to_string()
        }
    };
    let pat: Vec<char> = fold(&p.text).chars().collect();
    let s: Vec<char> = fold(s).chars().collect();
    like_at(&pat, &s)
}

fn like_at(p: &[char], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some('%') => (0..=s.len()).any(|i| like_at(&p[1..], &s[i..])),
        Some('_') => !s.is_empty() && like_at(&p[1..], &s[1..]),
        Some('\\') if p.len() > 1 => s.first() == Some(&p[1]) && like_at(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && like_at(&p[1..], &s[1..]),
    }
}

/// Fill a `LIKE` pattern: the first `%` takes `body`, other `%` nothing, `_` an `x`.
#[must_use]
pub fn fill_like(p: &str, body: &str) -> String {
    let mut out = String::new();
    let mut used = false;
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' if !used => {
                out.push_str(body);
                used = true;
            }
            '%' => {}
            '_' => out.push('x'),
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters of a `LIKE` pattern that are fixed (everything but `%`).
#[must_use]
pub fn like_fixed_len(p: &str) -> usize {
    fill_like(p, "").chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(text: &str, ci: bool) -> Pattern {
        Pattern {
            text: text.into(),
            case_insensitive: ci,
        }
    }

    #[test]
    fn samples_match_and_are_short_and_printable() {
        for (p, ci) in [
            ("^[a-z0-9-]+$", false),
            ("^[A-Z]{3}-[0-9]{4}$", false),
            (r"^\w+@\w+\.[a-z]{2,}$", false),
            ("^(draft|live|gone)$", true),
            ("^.+$", false),
            (r"^[[:alpha:]]+$", false),
            (r"\d{5}", false),
        ] {
            let g = Generator::new(&pat(p, ci), 6).unwrap_or_else(|| panic!("{p}"));
            let s = g.samples(42, 3);
            assert_eq!(s.len(), 3, "{p}: {s:?}");
            for x in &s {
                assert!(regex_matches(&pat(p, ci), x), "{p}: {x}");
                assert!(x.chars().count() <= 40, "{p}: {x}");
                assert!(x.chars().all(|c| !c.is_control()), "{p}: {x:?}");
            }
            assert_eq!(g.samples(42, 3), s, "deterministic");
        }
        assert!(Generator::new(&pat("[a&&b]", false), 6).is_none());
    }

    #[test]
    fn like_patterns() {
        let p = pat("%@%.com", false);
        assert!(like_matches(&p, "a@b.com"));
        assert!(!like_matches(&p, "a@b.org"));
        assert!(like_matches(&pat("A_c%", true), "abcdef"));
        assert_eq!(fill_like("%@%.com", "Zoë"), "Zoë@.com");
        assert_eq!(like_fixed_len("%@%.com"), 5);
        assert!(like_matches(&pat("100\\%", false), "100%"));
    }
}
