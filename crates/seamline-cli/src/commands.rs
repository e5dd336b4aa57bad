pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod diff;
pub(crate) mod init;
pub(crate) mod lint;
pub(crate) mod rules;
pub(crate) mod trace;
pub(crate) mod trace_fetch;
