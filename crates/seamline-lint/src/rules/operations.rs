//! Rules about HTTP operations as a client generator sees them.

pub(crate) mod operation_id_duplicate;
pub(crate) mod operation_id_missing;
