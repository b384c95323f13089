//! Per-file timing of the scanner on a real folder (ignored; run with
//! `MRT_PROF_DIR=<folder> cargo test --release --lib profile_ -- --ignored --nocapture`).

#[test]
#[ignore]
fn profile_files() {
    let dir = std::env::var("MRT_PROF_DIR").unwrap();
    let mut rows = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "py") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let src = String::from_utf8_lossy(&bytes).into_owned();
        let t = std::time::Instant::now();
        for _ in 0..5 {
            let _ = ruff_python_parser::parse_unchecked_source(
                &src,
                ruff_python_ast::PySourceType::Python,
            );
        }
        let parse = t.elapsed() / 5;
        let t = std::time::Instant::now();
        for _ in 0..5 {
            let _ = super::scan_file(p.display().to_string(), 0, &bytes);
        }
        let all = t.elapsed() / 5;
        rows.push((
            all,
            parse,
            p.file_name().unwrap().to_string_lossy().into_owned(),
        ));
    }
    rows.sort();
    rows.reverse();
    let total: std::time::Duration = rows.iter().map(|r| r.0).sum();
    let parse: std::time::Duration = rows.iter().map(|r| r.1).sum();
    eprintln!("total {total:?} parse {parse:?} files {}", rows.len());
    for r in rows.iter().take(6) {
        eprintln!("{:?} {:?} {}", r.0, r.1, r.2);
    }
}

#[test]
#[ignore]
fn profile_sql() {
    let sql = "\n        CREATE PROCEDURE create_foreign_key_if_not_exists()\n        BEGIN\n            IF EXISTS (\n                SELECT 1\n                FROM information_schema.TABLE_CONSTRAINTS\n                WHERE CONSTRAINT_SCHEMA = DATABASE()\n            ) THEN\n                SELECT 1;\n            ELSE\n                ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES r(b) ON DELETE CASCADE;\n            END IF;\n        END;\n        CALL create_foreign_key_if_not_exists();\n        DROP PROCEDURE create_foreign_key_if_not_exists;\n    ";
    let t = std::time::Instant::now();
    for _ in 0..100 {
        let _ = super::sql::analyse(
            sql,
            &[],
            super::sql::DialectHint::Unknown,
            Default::default(),
        );
    }
    eprintln!("analyse {:?}", t.elapsed() / 100);
    let t = std::time::Instant::now();
    for _ in 0..100 {
        let _ =
            sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql);
    }
    eprintln!("one parse {:?}", t.elapsed() / 100);
    let t = std::time::Instant::now();
    for _ in 0..100 {
        let _ =
            sqlparser::tokenizer::Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, sql)
                .tokenize();
    }
    eprintln!("tokenize {:?}", t.elapsed() / 100);
}
