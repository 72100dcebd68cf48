//! Navion's vision front-end (issue 13): the frame codec (`navion_codec`) and the streaming
//! corner detector (`navion_detector`).

pub mod codec;
pub mod detector;
pub mod tracker;
