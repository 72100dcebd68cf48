//! PNG frames (to come).
