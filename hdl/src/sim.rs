//! rust-hdl's own simulator, stepped one clock cycle at a time behind [`crate::RtlSim`].
//!
//! A unit implements [`SimPorts`] (how its input slice drives its ports, how its outputs fill
//! the output slice, in the emitted port order) and gets a [`Stepper`]; the settle loop lives
//! here once.

use rust_hdl::prelude::*;

/// A unit's ports as slices of `u64`, in the emitted port order (`clk` left out). Written by
/// [`sim_ports!`], never by hand.
pub(crate) trait SimPorts: Block {
    const INPUTS: &'static [&'static str];
    const OUTPUTS: &'static [&'static str];
    fn apply(&mut self, inputs: &[u64]);
    fn set_clock(&mut self, high: bool);
    fn read(&self, outputs: &mut [u64]);
}

/// A port value as a `u64` slot, masked to the port's width on the way in.
pub(crate) trait PortWord: Sized {
    fn from_word(v: u64) -> Self;
    fn to_word(&self) -> u64;
}

impl PortWord for bool {
    fn from_word(v: u64) -> Self {
        v & 1 != 0
    }
    fn to_word(&self) -> u64 {
        *self as u64
    }
}

impl<const N: usize> PortWord for Bits<N> {
    fn from_word(v: u64) -> Self {
        let mask = if N >= 64 { u64::MAX } else { (1u64 << N) - 1 };
        bits(v & mask)
    }
    fn to_word(&self) -> u64 {
        self.to_u64()
    }
}

/// Implements [`SimPorts`] for a unit from its port names, in the order the emitted Verilog
/// declares them (a test holds every unit to that order).
macro_rules! sim_ports {
    ([$($gen:tt)*] $ty:ty, clock: $clk:ident, inputs: [$($i:ident),* $(,)?], outputs: [$($o:ident),* $(,)?]) => {
        impl<$($gen)*> $crate::sim::SimPorts for $ty {
            const INPUTS: &'static [&'static str] = &[$(stringify!($i)),*];
            const OUTPUTS: &'static [&'static str] = &[$(stringify!($o)),*];
            fn apply(&mut self, v: &[u64]) {
                let mut it = v.iter();
                $(self.$i.next = $crate::sim::PortWord::from_word(*it.next().expect("an input per port"));)*
            }
            fn set_clock(&mut self, high: bool) {
                self.$clk.next = rust_hdl::prelude::Clock::from(high);
            }
            fn read(&self, o: &mut [u64]) {
                let mut it = o.iter_mut();
                $(*it.next().expect("an output per port") = $crate::sim::PortWord::to_word(&self.$o.val());)*
            }
        }
    };
    ($ty:ty, clock: $clk:ident, inputs: [$($i:ident),* $(,)?], outputs: [$($o:ident),* $(,)?]) => {
        $crate::sim::sim_ports!([] $ty, clock: $clk, inputs: [$($i),*], outputs: [$($o),*]);
    }
}
pub(crate) use sim_ports;

pub(crate) struct Stepper<B: SimPorts> {
    uut: Box<B>,
}

impl<B: SimPorts> Stepper<B> {
    pub(crate) fn new(uut: B) -> Self {
        Self { uut: Box::new(uut) }
    }
}

pub(crate) fn settle<B: Block>(uut: &mut B) {
    assert!(
        rust_hdl::core::simulate::simulate(uut, 1000),
        "rust-hdl's simulator did not settle: a combinational loop in the description"
    );
}

/// One rising and falling edge of the clock `clk` picks out, settling around each (for a
/// block's own tests that drive its fields directly).
#[cfg(test)]
pub(crate) fn clock_edge<B: Block>(uut: &mut B, clk: fn(&mut B) -> &mut Signal<In, Clock>) {
    settle(uut);
    clk(uut).next = Clock::from(true);
    settle(uut);
    clk(uut).next = Clock::from(false);
    settle(uut);
}

impl<B: SimPorts> crate::RtlSim for Stepper<B> {
    fn inputs(&self) -> &'static [&'static str] {
        B::INPUTS
    }

    fn outputs(&self) -> &'static [&'static str] {
        B::OUTPUTS
    }

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
