//! The frame codec (next commit).
