//! Navion's vision front-end (issue 13): the streaming corner detector (`navion_detector`).
pub mod detector;
