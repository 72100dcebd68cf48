//! Building blocks shared by the units: a register with synchronous reset, a valid/ready FIFO
//! and a single-port-read, single-port-write spad RAM.
//!
//! Every unit uses [`Reg`] instead of rust-hdl's `DFF`, so that `rst` is part of the
//! description (rust-hdl has no reset type): rust-hdl's simulator and the emitted Verilog both
//! clear the register on a rising clock edge with `rst` high. The emission pass inlines each
//! `Reg` into its parent module.

use crate::emit::REG_MARKER;
use rust_hdl::prelude::*;

/// A register: `q` takes `d` on each rising `clock` edge, or zero when `rst` is high.
#[derive(Clone, Debug, LogicBlock, Default)]
pub struct Reg<T: Synth> {
    pub d: Signal<In, T>,
    pub q: Signal<Out, T>,
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
}

impl<T: Synth> Logic for Reg<T> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.q.next = if self.rst.val() { T::default() } else { self.d.val() };
        }
    }
    fn connect(&mut self) {
        self.q.connect();
    }
    fn hdl(&self) -> Verilog {
        // Never written out as is: the emission pass recognises the marker and inlines it.
        Verilog::Custom(format!(
            "// {REG_MARKER}\nalways @(posedge clock) begin\n   if (rst) q <= 0; else q <= d;\nend"
        ))
    }
    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "reg".into(),
            clock: "clock".into(),
            inputs: vec!["d".into(), "rst".into()],
            outputs: vec!["q".into()],
        }]
    }
}

/// An SRAM: synchronous read with read enable (a gated read leaves `rdata` unchanged and
/// costs no energy), synchronous write. Contents are not reset, like an SRAM, and the Verilog
/// is the shape synthesis maps to block RAM. `D` data, `A` address bits, `DEPTH` words.
#[derive(Clone, Debug, LogicBlock)]
pub struct Sram<D: Synth, const A: usize, const DEPTH: usize> {
    pub clk: Signal<In, Clock>,
    pub raddr: Signal<In, Bits<A>>,
    pub re: Signal<In, Bit>,
    pub rdata: Signal<Out, D>,
    pub waddr: Signal<In, Bits<A>>,
    pub we: Signal<In, Bit>,
    pub wdata: Signal<In, D>,
    _mem: Vec<D>,
}

impl<D: Synth, const A: usize, const DEPTH: usize> Default for Sram<D, A, DEPTH> {
    fn default() -> Self {
        assert!(DEPTH <= 1 << A, "Sram depth must fit its address");
        Self {
            clk: Default::default(),
            raddr: Default::default(),
            re: Default::default(),
            rdata: Default::default(),
            waddr: Default::default(),
            we: Default::default(),
            wdata: Default::default(),
            _mem: vec![D::default(); DEPTH],
        }
    }
}

impl<D: Synth, const A: usize, const DEPTH: usize> Logic for Sram<D, A, DEPTH> {
    fn update(&mut self) {
        if self.clk.pos_edge() {
            if self.re.val() {
                self.rdata.next = self._mem.get(self.raddr.val().index()).copied().unwrap_or_default();
            }
            if self.we.val() {
                if let Some(w) = self._mem.get_mut(self.waddr.val().index()) {
                    *w = self.wdata.val();
                }
            }
        }
    }
    fn connect(&mut self) {
        self.rdata.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "reg [{msb}:0] mem [0:{last}];\n\
             always @(posedge clk) begin\n\
             \x20   if (re) rdata <= mem[raddr];\n\
             \x20   if (we) mem[waddr] <= wdata;\n\
             end",
            msb = D::BITS - 1,
            last = DEPTH - 1
        ))
    }
}

/// An SRAM of 64-bit words in four 16-bit lanes, each written only where its `wmask` bit is
/// set (the Verilog is the byte-enable shape synthesis maps to block RAM with lane writes).
/// Otherwise as [`Sram`]: synchronous read with read enable, synchronous write, not reset.
#[derive(Clone, Debug, LogicBlock)]
pub struct LaneSram<const A: usize, const DEPTH: usize> {
    pub clk: Signal<In, Clock>,
    pub raddr: Signal<In, Bits<A>>,
    pub re: Signal<In, Bit>,
    pub rdata: Signal<Out, Bits<64>>,
    pub waddr: Signal<In, Bits<A>>,
    pub we: Signal<In, Bit>,
    pub wmask: Signal<In, Bits<4>>,
    pub wdata: Signal<In, Bits<64>>,
    _mem: Vec<u64>,
}

impl<const A: usize, const DEPTH: usize> Default for LaneSram<A, DEPTH> {
    fn default() -> Self {
        assert!(DEPTH <= 1 << A, "LaneSram depth must fit its address");
        Self {
            clk: Default::default(),
            raddr: Default::default(),
            re: Default::default(),
            rdata: Default::default(),
            waddr: Default::default(),
            we: Default::default(),
            wmask: Default::default(),
            wdata: Default::default(),
            _mem: vec![0; DEPTH],
        }
    }
}

impl<const A: usize, const DEPTH: usize> Logic for LaneSram<A, DEPTH> {
    fn update(&mut self) {
        if self.clk.pos_edge() {
            if self.re.val() {
                let v = self._mem.get(self.raddr.val().index()).copied().unwrap_or_default();
                self.rdata.next = bits(v);
            }
            if self.we.val() {
                let (m, d) = (self.wmask.val().to_u64(), self.wdata.val().to_u64());
                if let Some(w) = self._mem.get_mut(self.waddr.val().index()) {
                    for k in 0..4 {
                        if m >> k & 1 != 0 {
                            let lane = 0xffffu64 << (16 * k);
                            *w = (*w & !lane) | (d & lane);
                        }
                    }
                }
            }
        }
    }
    fn connect(&mut self) {
        self.rdata.connect();
    }
    fn hdl(&self) -> Verilog {
        let lanes: String = (0..4)
            .map(|k| format!("\x20   if (we & wmask[{k}]) mem[waddr][{hi}:{lo}] <= wdata[{hi}:{lo}];\n", hi = 16 * k + 15, lo = 16 * k))
            .collect();
        Verilog::Custom(format!(
            "reg [63:0] mem [0:{last}];\n\
             always @(posedge clk) begin\n\
             \x20   if (re) rdata <= mem[raddr];\n\
             {lanes}\
             end",
            last = DEPTH - 1
        ))
    }
}

/// A register file: `N` words of flip-flops, one combinational read port, one
/// synchronous write port, all words cleared by `rst`. Written as an indexed array, so that
/// the Verilog (and its simulation) reads and writes by index instead of through N-way muxes.
#[derive(Clone, Debug, LogicBlock)]
pub struct RegFile<D: Synth, const A: usize, const N: usize> {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub raddr: Signal<In, Bits<A>>,
    pub rdata: Signal<Out, D>,
    pub waddr: Signal<In, Bits<A>>,
    pub we: Signal<In, Bit>,
    pub wdata: Signal<In, D>,
    _mem: Vec<D>,
}

impl<D: Synth, const A: usize, const N: usize> Default for RegFile<D, A, N> {
    fn default() -> Self {
        assert!(N <= 1 << A, "RegFile depth must fit its address");
        Self {
            clk: Default::default(),
            rst: Default::default(),
            raddr: Default::default(),
            rdata: Default::default(),
            waddr: Default::default(),
            we: Default::default(),
            wdata: Default::default(),
            _mem: vec![D::default(); N],
        }
    }
}

impl<D: Synth, const A: usize, const N: usize> Logic for RegFile<D, A, N> {
    fn update(&mut self) {
        if self.clk.pos_edge() {
            if self.rst.val() {
                self._mem.iter_mut().for_each(|w| *w = D::default());
            } else if self.we.val() {
                if let Some(w) = self._mem.get_mut(self.waddr.val().index()) {
                    *w = self.wdata.val();
                }
            }
        }
        self.rdata.next = self._mem.get(self.raddr.val().index()).copied().unwrap_or_default();
    }
    fn connect(&mut self) {
        self.rdata.connect();
    }
    fn hdl(&self) -> Verilog {
        let w = D::BITS;
        let range = if N == 1 << A { String::new() } else { format!("\n    if (raddr > {A}'d{}) rdata = {w}'h0;", N - 1) };
        Verilog::Custom(format!(
            "reg [{msb}:0] mem [0:{last}];\n\
             integer i;\n\
             always @(*) begin\n\
             \x20   rdata = mem[raddr];{range}\n\
             end\n\
             always @(posedge clk) begin\n\
             \x20   if (rst) begin\n\
             \x20       for (i = 0; i < {N}; i = i + 1) mem[i] <= {w}'h0;\n\
             \x20   end else if (we) begin\n\
             \x20       mem[waddr] <= wdata;\n\
             \x20   end\n\
             end",
            msb = w - 1,
            last = N - 1
        ))
    }
}

/// A 4-word valid/ready FIFO of `D`. `in_ready` and `out_valid` depend on state only.
///
/// The pointers carry one bit more than the address: equal, the FIFO is empty; equal but for
/// that bit, it is full. Two registers a cycle and no separate count (less logic to simulate).
/// The flags are computed straight from the pointers, with no intermediate variable, so that
/// Verilator can split them from the `push` that reads `in_valid` (a parent whose `in_valid`
/// depends on `in_ready` is not a combinational loop).
#[derive(LogicBlock, Default)]
pub struct Fifo<D: Synth> {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_data: Signal<In, D>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_data: Signal<Out, D>,
    slot: RegFile<D, 2, 4>,
    wptr: Reg<Bits<3>>,
    rptr: Reg<Bits<3>>,
    push: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
}

impl<D: Synth> Logic for Fifo<D> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, wptr, rptr);
        self.wptr.rst.next = self.rst.val();
        self.rptr.rst.next = self.rst.val();
        self.slot.clk.next = self.clk.val();
        self.slot.rst.next = self.rst.val();
        self.in_ready.next = !((self.wptr.q.val().get_bit(2) ^ self.rptr.q.val().get_bit(2))
            & (self.wptr.q.val().get_bits::<2>(0) == self.rptr.q.val().get_bits::<2>(0)));
        self.out_valid.next = self.wptr.q.val() != self.rptr.q.val();
        self.push.next = self.in_valid.val()
            & !((self.wptr.q.val().get_bit(2) ^ self.rptr.q.val().get_bit(2))
                & (self.wptr.q.val().get_bits::<2>(0) == self.rptr.q.val().get_bits::<2>(0)));
        self.pop.next = self.out_ready.val() & (self.wptr.q.val() != self.rptr.q.val());
        self.slot.raddr.next = self.rptr.q.val().get_bits::<2>(0);
        self.out_data.next = self.slot.rdata.val();
        self.slot.waddr.next = self.wptr.q.val().get_bits::<2>(0);
        self.slot.wdata.next = self.in_data.val();
        self.slot.we.next = self.push.val();
        if self.push.val() {
            self.wptr.d.next = self.wptr.q.val() + 1;
        }
        if self.pop.val() {
            self.rptr.d.next = self.rptr.q.val() + 1;
        }
    }
}

/// A simulation-only check that two flags are equal on every rising `clk` edge out of reset:
/// for twin FIFOs (pushed and popped together, same depth) whose second set of flags the
/// parent drops. rust-hdl's simulator panics on a mismatch; the Verilog reports `$error`
/// (Verilator stops there) inside `ifndef SYNTHESIS`, so synthesis sees an empty module.
#[derive(Clone, Debug, LogicBlock, Default)]
pub struct StepCheck {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// The flag the parent uses.
    pub a: Signal<In, Bit>,
    /// Its twin, which must equal it.
    pub b: Signal<In, Bit>,
}

impl Logic for StepCheck {
    fn update(&mut self) {
        if self.clk.pos_edge() && !self.rst.val() {
            assert_eq!(self.a.val(), self.b.val(), "twin FIFO flags out of step");
        }
    }
    fn connect(&mut self) {}
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "`ifndef SYNTHESIS\n\
             always @(posedge clk) begin\n\
             \x20   if (!rst && a != b) $error(\"%m: twin FIFO flags out of step (%b, %b)\", a, b);\n\
             end\n\
             `endif"
                .into(),
        )
    }
}
