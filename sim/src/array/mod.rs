//! The PE array's transaction-level golden model, its cycle driver and row-stationary passes.
pub mod driver;
pub mod model;
pub mod rs;
