//! rust-hdl's own simulator, stepped one clock cycle at a time behind [`crate::RtlSim`].
//!
//! A unit implements [`SimPorts`] (how its input slice drives its ports, how its outputs fill
//! the output slice, in the emitted port order) and gets a [`Stepper`]; the settle loop lives
//! here once.

use rust_hdl::prelude::*;

/// A unit's ports as slices of `u64`, in the emitted port order (`clk` left out).
pub(crate) trait SimPorts: Block {
    fn apply(&mut self, inputs: &[u64]);
    fn set_clock(&mut self, high: bool);
    fn read(&self, outputs: &mut [u64]);
}

/// An input word masked to a port of `N` bits.
pub(crate) fn word<const N: usize>(v: u64) -> Bits<N> {
    let mask = if N >= 64 { u64::MAX } else { (1u64 << N) - 1 };
    bits(v & mask)
}

pub(crate) struct Stepper<B: SimPorts> {
    uut: Box<B>,
}

impl<B: SimPorts> Stepper<B> {
    pub(crate) fn new(uut: B) -> Self {
        Self { uut: Box::new(uut) }
    }
}

fn settle<B: Block>(uut: &mut B) {
    assert!(
        rust_hdl::core::simulate::simulate(uut, 1000),
        "rust-hdl's simulator did not settle: a combinational loop in the description"
    );
}

impl<B: SimPorts> crate::RtlSim for Stepper<B> {
    fn tick(&mut self, inputs: &[u64], outputs: &mut [u64]) {
        let u = &mut *self.uut;
        u.apply(inputs);
        settle(u);
        u.set_clock(true);
        settle(u);
        u.set_clock(false);
        settle(u);
        u.read(outputs);
    }
}
