//! The syntax and model layers of the static scanner: migration text parsed once
//! ([`source`], [`python`], [`alembic`], [`django`], [`sql`]) into a [`model::MigrationAST`],
//! and what is derived from the models alone ([`models`], [`state`], [`django_state`],
//! [`graph`], [`type_compare`]). Nothing here knows the rules: they build on this layer, and
//! the scan driver ([`crate::scan`]) runs them.

pub mod alembic;
pub mod django;
pub mod django_facts;
pub mod django_flow;
pub mod django_helpers;
pub mod django_state;
pub mod django_unroll;
pub mod graph;
pub mod model;
pub mod models;
pub mod notes;
pub mod project_modules;
pub mod python;
pub mod source;
pub mod sql;
pub mod state;
pub mod string_words;
pub mod type_compare;
