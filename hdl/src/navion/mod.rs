//! Navion's vision front-end (issue 13): the frame codec.

pub mod codec;
