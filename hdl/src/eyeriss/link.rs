//! The DRAM link: the sequencer's and the load engine's beat reads and the store engine's beat
//! writes on the accelerator's one 64-bit memory port.
//!
//! # The memory port (the `eyeriss` unit's own)
//! - `dram_req_valid` / `dram_req_ready`, `dram_req_write`, `dram_req_beat` (30 bits: the
//!   beat holding 16-bit words `4b .. 4b+3`), `dram_req_data` (64) and `dram_req_mask` (4, a
//!   bit per 16-bit lane; writes only);
//! - `dram_resp_valid` / `dram_resp_ready`, `dram_resp_data` (64): one response per read, in
//!   request order, after any latency. Writes have no response.
//!
//! # Arbitration
//! One request a cycle. The sequencer goes first (it keeps at most 4 reads in flight, so it
//! cannot starve the others); between the load and the store engines the one that did not go
//! last time goes. A read is accepted only while its tag (who asked) fits a 4-word FIFO, which
//! also routes each response back to its reader; at most 4 reads are in flight.
//!
//! `rd_beats` / `wr_beats` count the beats read and written (32 bits, wrap, cleared by `rst`).
//! The requests out are functions of the clients' requests and of registers; the responses are
//! routed by the tag FIFO's head (a register).

use crate::widgets::{Fifo, Reg};
use rust_hdl::prelude::*;

/// The DRAM link (see the module docs).
#[derive(LogicBlock, Default)]
pub struct DramLink {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub seq_rd_valid: Signal<In, Bit>,
    pub seq_rd_ready: Signal<Out, Bit>,
    pub seq_rd_beat: Signal<In, Bits<30>>,
    pub seq_resp_valid: Signal<Out, Bit>,
    pub seq_resp_ready: Signal<In, Bit>,
    pub ld_rd_valid: Signal<In, Bit>,
    pub ld_rd_ready: Signal<Out, Bit>,
    pub ld_rd_beat: Signal<In, Bits<30>>,
    pub ld_resp_valid: Signal<Out, Bit>,
    pub ld_resp_ready: Signal<In, Bit>,
    /// The response data, for whichever reader `*_resp_valid` names.
    pub resp_data: Signal<Out, Bits<64>>,
    pub st_wr_valid: Signal<In, Bit>,
    pub st_wr_ready: Signal<Out, Bit>,
    pub st_wr_beat: Signal<In, Bits<30>>,
    pub st_wr_data: Signal<In, Bits<64>>,
    pub st_wr_mask: Signal<In, Bits<4>>,
    pub dram_req_valid: Signal<Out, Bit>,
    pub dram_req_ready: Signal<In, Bit>,
    pub dram_req_write: Signal<Out, Bit>,
    pub dram_req_beat: Signal<Out, Bits<30>>,
    pub dram_req_data: Signal<Out, Bits<64>>,
    pub dram_req_mask: Signal<Out, Bits<4>>,
    pub dram_resp_valid: Signal<In, Bit>,
    pub dram_resp_ready: Signal<Out, Bit>,
    pub dram_resp_data: Signal<In, Bits<64>>,
    pub rd_beats: Signal<Out, Bits<32>>,
    pub wr_beats: Signal<Out, Bits<32>>,
    /// Who asked for each read in flight: 1 the load engine, 0 the sequencer.
    tags: Fifo<Bit>,
    /// The store went last (between load and store).
    store_last: Reg<Bit>,
    n_rd: Reg<Bits<32>>,
    n_wr: Reg<Bits<32>>,
    grant_seq: Signal<Local, Bit>,
    grant_ld: Signal<Local, Bit>,
    grant_st: Signal<Local, Bit>,
    moves: Signal<Local, Bit>,
    head_ld: Signal<Local, Bit>,
}

impl Logic for DramLink {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, store_last, n_rd, n_wr);
        self.store_last.rst.next = self.rst.val();
        self.n_rd.rst.next = self.rst.val();
        self.n_wr.rst.next = self.rst.val();
        self.tags.clk.next = self.clk.val();
        self.tags.rst.next = self.rst.val();
        self.rd_beats.next = self.n_rd.q.val();
        self.wr_beats.next = self.n_wr.q.val();
        // Grants: the sequencer, then load and store by turns; a read needs a tag slot.
        self.grant_seq.next = self.seq_rd_valid.val() & self.tags.in_ready.val();
        self.grant_ld.next = !self.seq_rd_valid.val()
            & self.ld_rd_valid.val()
            & self.tags.in_ready.val()
            & (self.store_last.q.val() | !self.st_wr_valid.val());
        self.grant_st.next = !self.seq_rd_valid.val()
            & self.st_wr_valid.val()
            & (!self.store_last.q.val() | !self.ld_rd_valid.val() | !self.tags.in_ready.val());
        self.dram_req_valid.next = self.grant_seq.val() | self.grant_ld.val() | self.grant_st.val();
        self.dram_req_write.next = self.grant_st.val();
        self.dram_req_beat.next = self.st_wr_beat.val();
        if self.grant_seq.val() {
            self.dram_req_beat.next = self.seq_rd_beat.val();
        }
        if self.grant_ld.val() {
            self.dram_req_beat.next = self.ld_rd_beat.val();
        }
        self.dram_req_data.next = self.st_wr_data.val();
        self.dram_req_mask.next = self.st_wr_mask.val();
        self.moves.next = self.dram_req_valid.val() & self.dram_req_ready.val();
        self.seq_rd_ready.next = self.grant_seq.val() & self.dram_req_ready.val();
        self.ld_rd_ready.next = self.grant_ld.val() & self.dram_req_ready.val();
        self.st_wr_ready.next = self.grant_st.val() & self.dram_req_ready.val();
        self.tags.in_valid.next = self.moves.val() & !self.grant_st.val();
        self.tags.in_data.next = self.grant_ld.val();
        if self.moves.val() & (self.grant_ld.val() | self.grant_st.val()) {
            self.store_last.d.next = self.grant_st.val();
        }
        if self.moves.val() & self.grant_st.val() {
            self.n_wr.d.next = self.n_wr.q.val() + 1;
        }
        if self.moves.val() & !self.grant_st.val() {
            self.n_rd.d.next = self.n_rd.q.val() + 1;
        }
        // Responses go to the reader at the tag FIFO's head.
        self.head_ld.next = self.tags.out_data.val();
        self.seq_resp_valid.next = self.dram_resp_valid.val() & self.tags.out_valid.val() & !self.head_ld.val();
        self.ld_resp_valid.next = self.dram_resp_valid.val() & self.tags.out_valid.val() & self.head_ld.val();
        self.resp_data.next = self.dram_resp_data.val();
        self.dram_resp_ready.next = self.tags.out_valid.val()
            & ((self.head_ld.val() & self.ld_resp_ready.val()) | (!self.head_ld.val() & self.seq_resp_ready.val()));
        self.tags.out_ready.next = self.dram_resp_ready.val() & self.dram_resp_valid.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    use crate::sim::settle;

    fn tick(uut: &mut DramLink) {
        crate::sim::clock_edge(uut, |u| &mut u.clk);
    }

    // Three clients asking at random (reads of random beats, writes of random lanes), DRAM
    // answering reads in order after 1 to 8 cycles with random back-pressure on requests and
    // on the readers: every read answered to its own reader with its beat's data, in order;
    // every write applied with its mask; the beat counters; neither load nor store starves.
    #[test]
    fn shares_the_port() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let mut uut = DramLink::default();
        uut.connect_all();
        uut.rst.next = true;
        tick(&mut uut);
        uut.rst.next = false;
        let mut mem: Vec<u64> = (0..256).map(|_| rng.gen()).collect();
        let mut want = mem.clone();
        // Per client: the pending request (beat, data, mask) and the expected responses.
        let (mut seq_req, mut ld_req): (Option<u64>, Option<u64>) = (None, None);
        let mut st_req: Option<(u64, u64, u64)> = None;
        let (mut seq_want, mut ld_want) = (VecDeque::new(), VecDeque::new());
        let mut flight: VecDeque<(u64, u64)> = VecDeque::new();
        let (mut reads, mut writes, mut ld_served, mut st_served) = (0, 0, 0, 0);
        for cycle in 0..6000u64 {
            settle(&mut uut);
            if seq_req.is_none() && rng.gen_bool(0.2) {
                seq_req = Some(rng.gen_range(0..256));
            }
            if ld_req.is_none() && rng.gen_bool(0.6) {
                ld_req = Some(rng.gen_range(0..256));
            }
            if st_req.is_none() && rng.gen_bool(0.6) {
                st_req = Some((rng.gen_range(0..256), rng.gen(), rng.gen_range(1..16)));
            }
            uut.seq_rd_valid.next = seq_req.is_some();
            uut.seq_rd_beat.next = bits(seq_req.unwrap_or(0));
            uut.ld_rd_valid.next = ld_req.is_some();
            uut.ld_rd_beat.next = bits(ld_req.unwrap_or(0));
            uut.st_wr_valid.next = st_req.is_some();
            let (b, d, m) = st_req.unwrap_or((0, 0, 0));
            uut.st_wr_beat.next = bits(b);
            uut.st_wr_data.next = bits(d);
            uut.st_wr_mask.next = bits(m);
            let req_ready = rng.gen_bool(0.8);
            uut.dram_req_ready.next = req_ready;
            let resp = flight.front().filter(|(t, _)| *t <= cycle).map(|&(_, d)| d);
            uut.dram_resp_valid.next = resp.is_some();
            uut.dram_resp_data.next = bits(resp.unwrap_or(0));
            let (seq_ready, ld_ready) = (rng.gen_bool(0.7), rng.gen_bool(0.7));
            uut.seq_resp_ready.next = seq_ready;
            uut.ld_resp_ready.next = ld_ready;
            settle(&mut uut);
            if uut.dram_req_valid.val() && req_ready {
                let beat = uut.dram_req_beat.val().to_u64() as usize;
                if uut.dram_req_write.val() {
                    let (data, mask) = (uut.dram_req_data.val().to_u64(), uut.dram_req_mask.val().to_u64());
                    for k in 0..4 {
                        if mask >> k & 1 != 0 {
                            let lane = 0xffffu64 << (16 * k);
                            mem[beat] = (mem[beat] & !lane) | (data & lane);
                        }
                    }
                } else {
                    let t = flight.back().map_or(0, |f| f.0).max(cycle + rng.gen_range(1..=8));
                    flight.push_back((t, mem[beat]));
                }
            }
            if uut.dram_resp_ready.val() && resp.is_some() {
                flight.pop_front();
            }
            // What each client saw accepted this cycle.
            if uut.seq_rd_ready.val() {
                seq_want.push_back(want[seq_req.take().unwrap() as usize]);
                reads += 1;
            }
            if uut.ld_rd_ready.val() {
                ld_want.push_back(want[ld_req.take().unwrap() as usize]);
                reads += 1;
                ld_served += 1;
            }
            if uut.st_wr_ready.val() {
                let (b, d, m) = st_req.take().unwrap();
                for k in 0..4 {
                    if m >> k & 1 != 0 {
                        let lane = 0xffffu64 << (16 * k);
                        want[b as usize] = (want[b as usize] & !lane) | (d & lane);
                    }
                }
                writes += 1;
                st_served += 1;
            }
            if uut.seq_resp_valid.val() && seq_ready {
                assert_eq!(Some(uut.resp_data.val().to_u64()), seq_want.pop_front(), "cycle {cycle}: sequencer response");
            }
            if uut.ld_resp_valid.val() && ld_ready {
                assert_eq!(Some(uut.resp_data.val().to_u64()), ld_want.pop_front(), "cycle {cycle}: load response");
            }
            assert!(!(uut.seq_resp_valid.val() && uut.ld_resp_valid.val()));
            tick(&mut uut);
        }
        settle(&mut uut);
        assert!(mem == want, "DRAM differs");
        assert!(seq_want.len() + ld_want.len() <= 4, "responses lost");
        assert_eq!(uut.rd_beats.val().to_u64(), reads);
        assert_eq!(uut.wr_beats.val().to_u64(), writes);
        assert!(ld_served > 800 && st_served > 800, "starved: {ld_served} loads, {st_served} stores");
    }

    #[test]
    fn emits() {
        let mut uut = DramLink::default();
        uut.connect_all();
        crate::emit::emit_block_for_test(&uut, "dram_link", &[]);
    }
}
