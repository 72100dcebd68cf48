//! The drain engine: runs the `Drain` command of the layer program
//! (`edgertl_sim::eyeriss::program`) and writes the psums that leave the array into the GLB.
//!
//! It keeps one 16-bit GLB word address per PE of the array (the PE's *pointer*). A psum that
//! leaves PE (row, col) on the array's output network is written to the GLB at that PE's
//! pointer, and the pointer moves to the next word, so each output PE fills its own run of the
//! psum region (the compiler lays psums out chain-major so that this is all a pass needs).
//!
//! # Ports
//! - `ptr_we`, `ptr_row`, `ptr_col`, `ptr_addr`: sets PE (row, col)'s pointer (one entry of
//!   the `Drain` command). A set pointer wins over a psum moving at the same edge (the
//!   controller sets pointers between passes only).
//! - `in_valid` / `in_ready`, `in_row`, `in_col`, `in_data`: the array's output network.
//! - `wr_valid` / `wr_ready`, `wr_addr` (16 bits, in 16-bit words), `wr_data`: GLB writes.
//!   A psum moves straight through (`wr_valid = in_valid`, `in_ready = wr_ready`): no cycle
//!   and no register on the way, the pointer being a register per PE read through a mux.
//! - `bad_pe`: sticky until `rst`: a psum came from a PE outside the array (never, from a
//!   working array; it is dropped).

use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// The drain engine for an array of `rows` x `cols` PEs (see the module docs).
#[derive(LogicBlock)]
pub struct DrainEngine {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub ptr_we: Signal<In, Bit>,
    pub ptr_row: Signal<In, Bits<4>>,
    pub ptr_col: Signal<In, Bits<4>>,
    pub ptr_addr: Signal<In, Bits<16>>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_row: Signal<In, Bits<4>>,
    pub in_col: Signal<In, Bits<4>>,
    pub in_data: Signal<In, Bits<16>>,
    pub wr_valid: Signal<Out, Bit>,
    pub wr_ready: Signal<In, Bit>,
    pub wr_addr: Signal<Out, Bits<16>>,
    pub wr_data: Signal<Out, Bits<16>>,
    pub bad_pe: Signal<Out, Bit>,
    /// Per PE (row-major): its pointer, and its (row, col) as one 8-bit key.
    ptr: Vec<Reg<Bits<16>>>,
    key: Vec<Constant<Bits<8>>>,
    in_key: Signal<Local, Bits<8>>,
    set_key: Signal<Local, Bits<8>>,
    /// The psum's PE exists (a key matched).
    known: Signal<Local, Bit>,
    moves: Signal<Local, Bit>,
    bad: Reg<Bit>,
}

impl DrainEngine {
    pub fn new(rows: usize, cols: usize) -> Self {
        assert!(
            (1..=16).contains(&rows) && (1..=16).contains(&cols),
            "an array has 1 to 16 rows and columns"
        );
        let keys = (0..rows).flat_map(|r| (0..cols).map(move |c| ((r << 4) | c) as u64));
        Self {
            clk: Default::default(),
            rst: Default::default(),
            ptr_we: Default::default(),
            ptr_row: Default::default(),
            ptr_col: Default::default(),
            ptr_addr: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_row: Default::default(),
            in_col: Default::default(),
            in_data: Default::default(),
            wr_valid: Default::default(),
            wr_ready: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            bad_pe: Default::default(),
            ptr: (0..rows * cols).map(|_| Default::default()).collect(),
            key: keys.map(|k| Constant::new(bits(k))).collect(),
            in_key: Default::default(),
            set_key: Default::default(),
            known: Default::default(),
            moves: Default::default(),
            bad: Default::default(),
        }
    }
}

impl Logic for DrainEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, bad);
        self.bad.rst.next = self.rst.val();
        self.in_key.next =
            (bit_cast::<8, 4>(self.in_row.val()) << 4) | bit_cast::<8, 4>(self.in_col.val());
        self.set_key.next =
            (bit_cast::<8, 4>(self.ptr_row.val()) << 4) | bit_cast::<8, 4>(self.ptr_col.val());
        self.in_ready.next = self.wr_ready.val();
        self.wr_data.next = self.in_data.val();
        self.moves.next = self.in_valid.val() & self.wr_ready.val();
        self.wr_addr.next = 0.into();
        self.known.next = false;
        for p in 0..self.ptr.len() {
            self.ptr[p].clock.next = self.clk.val();
            self.ptr[p].rst.next = self.rst.val();
            self.ptr[p].d.next = self.ptr[p].q.val();
            if self.in_key.val() == self.key[p].val() {
                self.wr_addr.next = self.ptr[p].q.val();
                self.known.next = true;
                if self.moves.val() {
                    self.ptr[p].d.next = self.ptr[p].q.val() + 1;
                }
            }
            if self.ptr_we.val() & (self.set_key.val() == self.key[p].val()) {
                self.ptr[p].d.next = self.ptr_addr.val();
            }
        }
        self.wr_valid.next = self.in_valid.val() & self.known.val();
        if self.moves.val() & !self.known.val() {
            self.bad.d.next = true;
        }
        self.bad_pe.next = self.bad.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::HashMap;

    use crate::sim::settle;

    fn tick(uut: &mut DrainEngine) {
        crate::sim::clock_edge(uut, |u| &mut u.clk);
    }

    // Passes of random psum streams from random PEs of a 3 x 5 array (and, once, from a PE
    // outside it), with random back-pressure from the GLB: every psum lands at its PE's
    // pointer, the pointers advance per PE, and only the outsider raises `bad_pe`.
    #[test]
    fn drains_like_the_program() {
        let (rows, cols) = (3, 5);
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut uut = DrainEngine::new(rows, cols);
        uut.connect_all();
        uut.rst.next = true;
        tick(&mut uut);
        uut.rst.next = false;
        let mut written = 0;
        for pass in 0..8 {
            // The Drain command: a pointer for some PEs.
            let mut ptr: HashMap<(u64, u64), u64> = HashMap::new();
            for r in 0..rows as u64 {
                for c in 0..cols as u64 {
                    if rng.gen_bool(0.6) {
                        let a = rng.gen_range(0..60_000);
                        ptr.insert((r, c), a);
                        uut.ptr_we.next = true;
                        uut.ptr_row.next = bits(r);
                        uut.ptr_col.next = bits(c);
                        uut.ptr_addr.next = bits(a);
                        tick(&mut uut);
                    }
                }
            }
            uut.ptr_we.next = false;
            let pes: Vec<(u64, u64)> = ptr.keys().copied().collect();
            let outsider = pass == 5;
            let mut psums: Vec<(u64, u64, u64)> = (0..40)
                .map(|_| {
                    let (r, c) = pes[rng.gen_range(0..pes.len())];
                    (r, c, rng.gen_range(0..65536))
                })
                .collect();
            if outsider {
                psums.insert(17, (rows as u64, 2, 7));
            }
            let mut want = Vec::new();
            for &(r, c, d) in &psums {
                if let Some(a) = ptr.get_mut(&(r, c)) {
                    want.push((*a, d));
                    *a += 1;
                }
            }
            let mut got = Vec::new();
            let mut next = 0;
            while next < psums.len() {
                let (r, c, d) = psums[next];
                let ready = rng.gen_bool(0.7);
                uut.in_valid.next = true;
                uut.in_row.next = bits(r);
                uut.in_col.next = bits(c);
                uut.in_data.next = bits(d);
                uut.wr_ready.next = ready;
                settle(&mut uut);
                if uut.wr_valid.val() && ready {
                    got.push((uut.wr_addr.val().to_u64(), uut.wr_data.val().to_u64()));
                }
                if uut.in_ready.val() {
                    next += 1;
                }
                tick(&mut uut);
            }
            uut.in_valid.next = false;
            tick(&mut uut);
            assert_eq!(got, want, "pass {pass}");
            assert_eq!(uut.bad_pe.val(), pass >= 5, "pass {pass}: bad_pe");
            written += got.len();
        }
        assert!(written >= 300, "{written} psums written");
    }

    #[test]
    fn emits() {
        let mut uut = DrainEngine::new(3, 5);
        uut.connect_all();
        crate::emit::emit_block_for_test(&uut, "drain_engine", &[]);
    }
}
