//! What the database looks like (schema) and holds (data), and the plain-English difference
//! between two such states.

pub mod data;
pub mod diff;
pub mod error_table;
pub mod outcome;
pub mod schema;

pub use data::{Fingerprint, TableData};
pub use schema::{Column, ForeignKey, Index, Schema, Table};
