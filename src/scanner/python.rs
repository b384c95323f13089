//! Small helpers over ruff's Python AST shared by the Alembic and Django extractors:
//! literal evaluation, dotted names, argument lookup and string (SQL) resolution.

use std::collections::HashMap;

use ruff_python_ast::{
    Expr, ExprCall, FStringPart, InterpolatedStringElement, Keyword, Number, Operator,
    StmtImportFrom,
};
use ruff_text_size::Ranged;

use super::model::{ColumnSpec, Kwarg, Value};
use super::sql::hole;

/// What an absolute `from module import name [as alias]` binds, for following the project's
/// own functions and models: (alias or name, module, name) per name; nothing for a relative
/// import (`from .utils import f`).
pub fn absolute_imports(i: &StmtImportFrom) -> impl Iterator<Item = (String, &str, &str)> {
    let module = i.module.as_ref().map_or("", |m| m.as_str());
    let names = if i.level == 0 {
        i.names.as_slice()
    } else {
        &[]
    };
    names.iter().map(move |a| {
        let bound = a.asname.as_ref().unwrap_or(&a.name).to_string();
        (bound, module, a.name.as_str())
    })
}

/// The last part of a dotted callee or name: `sa.Column` → `Column`.
#[must_use]
pub fn last_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.as_str()),
        Expr::Call(c) => last_name(&c.func),
        _ => None,
    }
}

/// Evaluate the literal parts of an expression.
#[must_use]
pub fn eval(expr: &Expr) -> Value {
    match expr {
        Expr::StringLiteral(s) => Value::Str(s.value.to_str().to_string()),
        Expr::BooleanLiteral(b) => Value::Bool(b.value),
        Expr::NoneLiteral(_) => Value::None,
        Expr::NumberLiteral(n) => match &n.value {
            Number::Int(i) => i.as_i64().map_or(Value::Unknown, Value::Int),
            _ => Value::Unknown,
        },
        Expr::Call(c) => Value::Call {
            name: last_name(&c.func).unwrap_or("").to_string(),
            args: c.arguments.args.iter().map(eval).collect(),
        },
        Expr::Name(_) | Expr::Attribute(_) => {
            Value::Name(last_name(expr).unwrap_or("").to_string())
        }
        Expr::List(l) => Value::List(l.elts.iter().map(eval).collect()),
        Expr::Tuple(t) => Value::List(t.elts.iter().map(eval).collect()),
        _ => Value::Unknown,
    }
}

/// Positional argument `pos`, or the keyword `name` when given by keyword.
#[must_use]
pub fn arg<'a>(call: &'a ExprCall, pos: Option<usize>, name: &str) -> Option<&'a Expr> {
    if let Some(kw) = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
    {
        return Some(&kw.value);
    }
    pos.and_then(|p| call.arguments.args.get(p))
}

/// A string argument (`"x"`, or `op.f("x")`); `Err(())` when it is the literal `None`.
#[allow(clippy::result_unit_err)]
pub fn str_arg(call: &ExprCall, pos: Option<usize>, name: &str) -> Result<Option<String>, ()> {
    match arg(call, pos, name) {
        Some(Expr::NoneLiteral(_)) => Err(()),
        Some(expr) => Ok(literal_str(expr).or_else(|| dotted(expr))),
        None => Ok(None),
    }
}

/// `Model.__tablename__`, `TABLE`: a name written as a dotted expression. Upgrade and
/// downgrade usually spell it the same way, so it still identifies the object.
#[must_use]
pub fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.as_str().to_string()),
        Expr::Attribute(a) => dotted(&a.value).map(|base| format!("{base}.{}", a.attr.as_str())),
        _ => None,
    }
}

/// An expression whose value is only known at run time, written as a name: `{expr}`.
/// Rules never match it against a real name ([`super::model::is_unresolved`]).
#[must_use]
pub fn unresolved(expr_text: &str) -> String {
    format!("{{{expr_text}}}")
}

/// A plain string, looking through `op.f(...)` / `conv(...)` naming wrappers.
#[must_use]
pub fn literal_str(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        Expr::Call(c) if matches!(last_name(&c.func), Some("f" | "conv")) => {
            c.arguments.args.first().and_then(literal_str)
        }
        _ => None,
    }
}

/// Every keyword argument with its source text.
#[must_use]
pub fn kwargs(call: &ExprCall, source: &str) -> Vec<Kwarg> {
    call.arguments
        .keywords
        .iter()
        .filter_map(|k: &Keyword| {
            k.arg.as_ref().map(|a| Kwarg {
                name: a.as_str().to_string(),
                text: source[k.value.range()].to_string(),
                value: eval(&k.value),
            })
        })
        .collect()
}

/// `sa.Column("name", sa.String(50), sa.ForeignKey(..., ondelete=...), nullable=False, ...)`.
#[must_use]
pub fn column_spec(call: &ExprCall, source: &str) -> Option<ColumnSpec> {
    if last_name(&call.func) != Some("Column") {
        return None;
    }
    let mut spec = ColumnSpec {
        range: call.range(),
        ..ColumnSpec::default()
    };
    for (i, a) in call.arguments.args.iter().enumerate() {
        match a {
            Expr::StringLiteral(s) if i == 0 => spec.name = s.value.to_str().to_string(),
            // `sa.Column(name_variable, sa.Integer)`: the first of several is still the name.
            Expr::Name(_) | Expr::Attribute(_) if i == 0 && call.arguments.args.len() > 1 => {
                spec.name = dotted(a).unwrap_or_default();
            }
            // `sa.Column(item["name"], item["type"])`: a name looked up at run time (jupyterhub
            // 3c2384c5aae1 loops over a list of dicts), not a type; unknown, so no rule fires.
            Expr::Subscript(_) if i == 0 => spec.name = format!("{{{}}}", &source[a.range()]),
            Expr::Call(c) if last_name(&c.func) == Some("ForeignKey") => {
                spec.fk_ondelete = fk_ondelete(c);
                spec.fk_table = c
                    .arguments
                    .args
                    .first()
                    .and_then(literal_str)
                    .and_then(|target| target.rsplit_once('.').map(|(t, _)| t.to_string()));
            }
            Expr::Call(c) if last_name(&c.func) == Some("Computed") => spec.generated = true,
            _ if spec.type_.is_none() => {
                spec.type_ = Some(eval(a));
                read_type_call(a, source, &mut spec);
            }
            _ => {}
        }
    }
    for kw in &call.arguments.keywords {
        let Some(name) = kw.arg.as_ref().map(ruff_python_ast::Identifier::as_str) else {
            continue;
        };
        match name {
            "name" => spec.name = literal_str(&kw.value).unwrap_or_default(),
            "type_" => {
                spec.type_ = Some(eval(&kw.value));
                read_type_call(&kw.value, source, &mut spec);
            }
            "nullable" => spec.nullable = eval(&kw.value).as_bool(),
            "primary_key" => spec.primary_key = eval(&kw.value).as_bool() == Some(true),
            "unique" => spec.unique = eval(&kw.value).as_bool() == Some(true),
            "index" => spec.index = eval(&kw.value).as_bool() == Some(true),
            "server_default" if !matches!(kw.value, Expr::NoneLiteral(_)) => {
                spec.server_default = Some(source[kw.value.range()].to_string());
            }
            "default" => spec.has_default = !matches!(kw.value, Expr::NoneLiteral(_)),
            _ => {}
        }
    }
    Some(spec)
}

/// What a column's type call tells beyond its value: the enum type PostgreSQL creates for it,
/// and arguments a generic SQLAlchemy type does not take.
fn read_type_call(expr: &Expr, source: &str, spec: &mut ColumnSpec) {
    let Expr::Call(call) = expr else { return };
    match last_name(&call.func) {
        Some("Enum" | "ENUM") => {
            let off = |k: &str| {
                arg(call, None, k).is_some_and(|v| matches!(v, Expr::BooleanLiteral(b) if !b.value))
            };
            if !off("create_type") && !off("native_enum") {
                spec.pg_enum = arg(call, None, "name").and_then(literal_str);
            }
        }
        // Generic types that take no arguments (`sa.Integer(display_width=1)` is MySQL's
        // `INTEGER`'s argument); only `sa.`/`sqlalchemy.` ones, as a dialect's may take them.
        Some("Integer" | "SmallInteger" | "BigInteger" | "Date")
            if (!call.arguments.args.is_empty() || !call.arguments.keywords.is_empty())
                && matches!(
                    call.func.as_ref(),
                    Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == "sa" || n.id.as_str() == "sqlalchemy")
                ) =>
        {
            spec.rejected_type = Some(source[call.range()].to_string());
        }
        _ => {}
    }
}

fn fk_ondelete(call: &ExprCall) -> Option<String> {
    arg(call, None, "ondelete")
        .and_then(literal_str)
        .map(|s| s.to_ascii_uppercase())
}

/// Resolve an expression to SQL text: literals, implicit and `+` concatenation, f-strings
/// (holes become placeholders), `"...".format(...)`, `text(...)`/`sa.text(...)`,
/// `textwrap.dedent(...)`, and names bound to such strings.
pub fn resolve_string(
    expr: &Expr,
    source: &str,
    names: &dyn Fn(&Expr) -> Option<String>,
    holes: &mut Vec<String>,
    depth: usize,
) -> Option<String> {
    if depth > 16 {
        return None;
    }
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        Expr::FString(f) => Some(fstring_text(f, source, names, holes)),
        Expr::BinOp(b) if b.op == Operator::Add => {
            let left = resolve_string(&b.left, source, names, holes, depth + 1)?;
            let right = resolve_string(&b.right, source, names, holes, depth + 1)?;
            Some(left + &right)
        }
        Expr::BinOp(b) if b.op == Operator::Mod => {
            let left = resolve_string(&b.left, source, names, holes, depth + 1)?;
            Some(percent_format(&left, &b.right, source, names, holes))
        }
        Expr::Call(c) => {
            let callee = last_name(&c.func)?;
            match callee {
                "text" | "dedent" | "strip" | "literal_column" => {
                    if let (Expr::Attribute(a), "strip") = (c.func.as_ref(), callee) {
                        return resolve_string(&a.value, source, names, holes, depth + 1);
                    }
                    resolve_string(c.arguments.args.first()?, source, names, holes, depth + 1)
                }
                "format" => {
                    let Expr::Attribute(a) = c.func.as_ref() else {
                        return None;
                    };
                    let template = resolve_string(&a.value, source, names, holes, depth + 1)?;
                    Some(format_holes(&template, c, source, names, holes))
                }
                _ => None,
            }
        }
        Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) => names(expr),
        _ => None,
    }
}

/// The text of an f-string: a hole bound to a known string is inlined, any other becomes a
/// placeholder (its source pushed to `holes`).
fn fstring_text(
    f: &ruff_python_ast::ExprFString,
    source: &str,
    names: &dyn Fn(&Expr) -> Option<String>,
    holes: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    for part in &f.value {
        match part {
            FStringPart::Literal(lit) => out.push_str(&lit.value),
            FStringPart::FString(fs) => {
                for element in &fs.elements {
                    match element {
                        InterpolatedStringElement::Literal(l) => out.push_str(&l.value),
                        InterpolatedStringElement::Interpolation(i)
                            if i.format_spec.is_none()
                                && i.conversion == ruff_python_ast::ConversionFlag::None
                                && let Some(known) = names(&i.expression) =>
                        {
                            // `{TABLE}` bound to a literal (a constant, a loop variable,
                            // a helper's parameter): the text is known.
                            out.push_str(&known);
                        }
                        InterpolatedStringElement::Interpolation(i) => {
                            out.push_str(&hole(holes.len()));
                            holes.push(source[i.expression.range()].to_string());
                        }
                    }
                }
            }
        }
    }
    out
}

/// `"... %s ..." % value` (or a tuple of values) with the template `left` resolved: each
/// known value is inlined, the others become holes.
fn percent_format(
    left: &str,
    right: &Expr,
    source: &str,
    names: &dyn Fn(&Expr) -> Option<String>,
    holes: &mut Vec<String>,
) -> String {
    let values: Vec<&Expr> = match right {
        Expr::Tuple(t) => t.elts.iter().collect(),
        other => vec![other],
    };
    let mut out = String::new();
    let mut rest = left;
    let mut i = 0;
    while let Some(pos) = rest.find("%s") {
        out.push_str(&rest[..pos]);
        let value = values
            .get(i)
            .copied()
            .filter(|_| values.len() > 1 || i == 0);
        match value.and_then(|v| known_text(v, names)) {
            Some(text) => out.push_str(&text),
            None => {
                out.push_str(&hole(holes.len()));
                let src = value.unwrap_or(right);
                holes.push(source[src.range()].to_string());
            }
        }
        i += 1;
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    out
}

/// A string literal, a name bound to one, or a `+` of those.
fn known_text(expr: &Expr, names: &dyn Fn(&Expr) -> Option<String>) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        Expr::Name(_) | Expr::Attribute(_) => names(expr),
        Expr::BinOp(b) if b.op == Operator::Add => {
            Some(known_text(&b.left, names)? + &known_text(&b.right, names)?)
        }
        _ => None,
    }
}

/// `"DROP TABLE {}".format(x)`: each `{...}` is the argument it names when that is known,
/// else a placeholder.
fn format_holes(
    template: &str,
    call: &ExprCall,
    source: &str,
    names: &dyn Fn(&Expr) -> Option<String>,
    holes: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    let mut auto = 0;
    while let Some(c) = chars.next() {
        if c == '{' {
            if chars.peek() == Some(&'{') {
                chars.next();
                out.push('{');
                continue;
            }
            let mut inner = String::new();
            for d in chars.by_ref() {
                if d == '}' {
                    break;
                }
                inner.push(d);
            }
            let key = inner.split([':', '!']).next().unwrap_or("");
            let value = if key.is_empty() {
                auto += 1;
                call.arguments.args.get(auto - 1)
            } else if let Ok(i) = key.parse::<usize>() {
                call.arguments.args.get(i)
            } else {
                arg(call, None, key)
            };
            match value.map(|v| (v, known_text(v, names))) {
                Some((_, Some(text))) => out.push_str(&text),
                Some((v, None)) => {
                    out.push_str(&hole(holes.len()));
                    holes.push(source[v.range()].to_string());
                }
                None => {
                    out.push_str(&hole(holes.len()));
                    holes.push(inner);
                }
            }
        } else if c == '}' && chars.peek() == Some(&'}') {
            chars.next();
            out.push('}');
        } else {
            out.push(c);
        }
    }
    out
}

/// Module-level `NAME = "..."` string constants, for `op.execute(NAME)`.
pub type Constants = HashMap<String, String>;
