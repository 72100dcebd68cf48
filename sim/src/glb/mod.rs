//! The global buffer's golden model and co-simulation driver.
pub mod driver;
pub mod model;
