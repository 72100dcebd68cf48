//! The board top (`board_top`) seen from the host: the UART protocol's host side, over any
//! byte transport ([`host`]), and the bit-level UART that drives a simulated board
//! ([`uart`]).
pub mod host;
pub mod uart;
