//! The Eyeriss accelerator (issue 12), in progress: the building blocks of its controller.
//!
//! The controller runs a layer program (`edgertl_sim::eyeriss::program`): commands to engines
//! that each walk a nest of counted loops and compute addresses, tags and predicates as affine
//! functions of the loop indices. Built so far, each tested in rust-hdl's simulator against
//! the program's semantics and lint clean:
//! - [`walker`]: the loop walker every engine is built on;
//! - [`feed`]: the feed engine (buffer reads, zero padding without reads, skipped iterations,
//!   words in order onto an input bus);
//! - [`drain`]: the drain engine (a psum pointer per PE, psums from the output network into
//!   the GLB);
//! - [`xfer`]: the load and store engines (DRAM beats of four words to and from the buffers,
//!   a load re-using the beat it read last, a store gathering a beat's words into one write);
//! - [`ctrl`]: the sequencer (program words fetched from DRAM, four in flight; each handed to
//!   its engine when that engine is idle; syncs at the pass boundary; end and error);
//! - [`link`]: the DRAM link (the sequencer's and the load engine's reads and the store
//!   engine's writes on one 64-bit port, responses routed back by tag);
//! - [`regs`]: the program word the controller will fetch from DRAM and every engine's
//!   register map (`edgertl_sim::eyeriss::binary` encodes programs to it).
//!
//! Still to build: the unit itself (global buffer + PE array + engines), which is not
//! registered yet.
pub mod ctrl;
pub mod drain;
pub mod feed;
pub mod link;
pub mod regs;
pub mod walker;
pub mod xfer;
