//! The Eyeriss accelerator (issue 12), in progress: the building blocks of its controller.
//!
//! The controller runs a layer program (`edgertl_sim::eyeriss::program`): commands to engines
//! that each walk a nest of counted loops and compute addresses, tags and predicates as affine
//! functions of the loop indices. [`walker`] is that loop walker. The unit itself (global
//! buffer + PE array + engines + DRAM link) is not registered yet.
pub mod walker;
