//! Assistant context: what a service's repository tells an AI assistant about its integrations
//! (`seam context`), and the MCP server that answers questions about them live (`seam mcp`).
//!
//! Facts come from local files ([`facts`]); rendering is pure ([`render`]); writing touches only the marked
//! blocks of each file ([`blocks`]).

pub mod blocks;
pub mod facts;
pub mod mcp;
pub mod render;
mod write;

pub use blocks::BlockError;
pub use facts::{Facts, FactsError, gather};
pub use render::{Generated, OverBudget, Settings, Target, generate};
pub use write::{Change, final_path, plan};
