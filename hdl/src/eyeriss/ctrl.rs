//! The sequencer: fetches the layer program's words ([`super::regs`]) from DRAM and hands
//! each to its engine, in order, with no host between passes.
//!
//! - **Fetch.** `go` starts a run at beat `prog_beat` (one 64-bit program word a beat). Up to
//!   4 beats are in flight or waiting at once (a 4-word FIFO and a credit count): one word a
//!   cycle while DRAM answers within 4 cycles, 4 words per round trip when it is slower.
//! - **Dispatch.** The word at the FIFO's head executes when its target can take it:
//!   - *write* (op 0) and *start* (op 1): when `idle[target]` is high (an engine takes
//!     registers and starts only while idle); for one cycle `act_valid` is high with
//!     `act_start` (1: start), `act_target`, `act_addr` (16), `act_data` (32);
//!   - *sync* (op 2): waits until every bit of `idle` is high (every engine done and the
//!     array idle: the pass boundary), then goes on;
//!   - *end* (op 3): the run stops fetching, waits for the beats still in flight (they are
//!     dropped), and raises `done` (held until the next `go`).
//! - **Errors.** A word with an unknown op or target (target > 8, a sync or end for a target
//!   other than CTRL, or reserved bits 39-32 set), or `abort` (the top's malformed-stream
//!   fault), stops the run with `error` held until the next `go`; `done` is not raised.
//! - `starved`, `blocked`, `syncing`: while running, no word at hand, the head word waiting
//!   for its engine, or at a sync (the unit's performance counters count them).
//! - `busy`: a run is under way (between `go` and `done` or `error`); `go` while busy is
//!   ignored. `words`: program words executed in this run (32 bits).
//!
//! Every output is a register or a function of registers and of `idle` and `mem_resp_valid`.
//! Targets and ops are those of [`super::regs`] (written here as numbers: 0 CTRL, 8 PASS;
//! ops 0 write, 1 start, 2 sync, 3 end).

use crate::widgets::{Fifo, Reg};
use rust_hdl::prelude::*;

/// The sequencer (see the module docs).
#[derive(LogicBlock, Default)]
pub struct Sequencer {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub go: Signal<In, Bit>,
    pub prog_beat: Signal<In, Bits<30>>,
    /// Stop the run with `error` (a malformed coded stream): as a bad word does.
    pub abort: Signal<In, Bit>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub error: Signal<Out, Bit>,
    pub words: Signal<Out, Bits<32>>,
    pub mem_rd_valid: Signal<Out, Bit>,
    pub mem_rd_ready: Signal<In, Bit>,
    pub mem_rd_beat: Signal<Out, Bits<30>>,
    pub mem_resp_valid: Signal<In, Bit>,
    pub mem_resp_ready: Signal<Out, Bit>,
    pub mem_resp_data: Signal<In, Bits<64>>,
    /// A bit per target (CTRL's bit: the array is idle).
    pub idle: Signal<In, Bits<9>>,
    pub act_valid: Signal<Out, Bit>,
    pub act_start: Signal<Out, Bit>,
    pub act_target: Signal<Out, Bits<4>>,
    pub act_addr: Signal<Out, Bits<16>>,
    pub act_data: Signal<Out, Bits<32>>,
    /// Where the cycles go (for the unit's performance counters), each high for one cycle at
    /// a time while running: no program word at hand (`starved`), the head word waits for its
    /// engine (`blocked`) or at a sync (`syncing`).
    pub starved: Signal<Out, Bit>,
    pub blocked: Signal<Out, Bit>,
    pub syncing: Signal<Out, Bit>,
    words_fifo: Fifo<Bits<64>>,
    running: Reg<Bit>,
    /// Fetching (cleared by `end` or an error).
    fetching: Reg<Bit>,
    next_beat: Reg<Bits<30>>,
    /// Beats asked for and not yet taken out of the FIFO (at most 4).
    credit: Reg<Bits<3>>,
    done_q: Reg<Bit>,
    error_q: Reg<Bit>,
    count: Reg<Bits<32>>,
    head: Signal<Local, Bits<64>>,
    op: Signal<Local, Bits<4>>,
    target: Signal<Local, Bits<4>>,
    target_idle: Signal<Local, Bit>,
    bad: Signal<Local, Bit>,
    /// Bits 39-32 of a word: reserved, 0.
    reserved: Signal<Local, Bits<8>>,
    exec: Signal<Local, Bit>,
    ask: Signal<Local, Bit>,
    drop: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    go_now: Signal<Local, Bit>,
    all_idle: Signal<Local, Bit>,
}

impl Logic for Sequencer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, running, fetching, next_beat, credit, done_q, error_q, count);
        self.running.rst.next = self.rst.val();
        self.fetching.rst.next = self.rst.val();
        self.next_beat.rst.next = self.rst.val();
        self.credit.rst.next = self.rst.val();
        self.done_q.rst.next = self.rst.val();
        self.error_q.rst.next = self.rst.val();
        self.count.rst.next = self.rst.val();
        self.words_fifo.clk.next = self.clk.val();
        self.words_fifo.rst.next = self.rst.val();
        self.busy.next = self.running.q.val();
        self.done.next = self.done_q.q.val();
        self.error.next = self.error_q.q.val();
        self.words.next = self.count.q.val();
        // Fetch: a read while fewer than 4 beats are in flight or waiting.
        self.ask.next = self.fetching.q.val() & !self.credit.q.val().get_bit(2);
        self.mem_rd_valid.next = self.ask.val();
        self.mem_rd_beat.next = self.next_beat.q.val();
        // Responses fill the FIFO while fetching; after `end` or an error the FIFO is emptied
        // first, then the responses still in flight are dropped (one credit back a cycle).
        self.drop.next = self.mem_resp_valid.val() & !self.fetching.q.val() & !self.words_fifo.out_valid.val();
        self.words_fifo.in_valid.next = self.mem_resp_valid.val() & self.fetching.q.val();
        self.words_fifo.in_data.next = self.mem_resp_data.val();
        self.mem_resp_ready.next = self.words_fifo.in_ready.val();
        if !self.fetching.q.val() {
            self.mem_resp_ready.next = !self.words_fifo.out_valid.val();
        }
        // The head word.
        self.head.next = self.words_fifo.out_data.val();
        self.op.next = self.head.val().get_bits::<4>(56);
        self.target.next = self.head.val().get_bits::<4>(60);
        self.target_idle.next = false;
        for t in 0..9 {
            if self.target.val().index() == t {
                self.target_idle.next = self.idle.val().get_bit(t);
            }
        }
        self.all_idle.next = self.idle.val().all();
        self.reserved.next = self.head.val().get_bits::<8>(32);
        self.bad.next = (self.target.val() > 8)
            | (self.reserved.val() != 0)
            | (self.op.val() > 3)
            | ((self.op.val() >= 2) & (self.target.val() != 0));
        self.exec.next = self.running.q.val()
            & self.fetching.q.val()
            & self.words_fifo.out_valid.val()
            & !self.bad.val()
            & (((self.op.val() < 2) & self.target_idle.val())
                | ((self.op.val() == 2) & self.all_idle.val())
                | (self.op.val() == 3));
        self.act_valid.next = self.exec.val() & (self.op.val() < 2);
        self.starved.next = self.running.q.val() & self.fetching.q.val() & !self.words_fifo.out_valid.val();
        self.blocked.next = self.running.q.val()
            & self.fetching.q.val()
            & self.words_fifo.out_valid.val()
            & (self.op.val() < 2)
            & !self.target_idle.val();
        self.syncing.next = self.running.q.val()
            & self.fetching.q.val()
            & self.words_fifo.out_valid.val()
            & (self.op.val() == 2)
            & !self.all_idle.val();
        self.act_start.next = false;
        if self.op.val() == 1 {
            self.act_start.next = true;
        }
        self.act_target.next = self.target.val();
        self.act_addr.next = self.head.val().get_bits::<16>(40);
        self.act_data.next = self.head.val().get_bits::<32>(0);
        // A word leaves the FIFO when it executes, and every word is thrown away once the run
        // has stopped fetching.
        self.take.next = self.exec.val() | (self.words_fifo.out_valid.val() & !self.fetching.q.val());
        self.words_fifo.out_ready.next = self.take.val();
        // Credits: +1 a read asked for, -1 a word taken or a response dropped.
        if (self.ask.val() & self.mem_rd_ready.val()) & !(self.take.val() | self.drop.val()) {
            self.credit.d.next = self.credit.q.val() + 1;
        }
        if !(self.ask.val() & self.mem_rd_ready.val()) & (self.take.val() | self.drop.val()) {
            self.credit.d.next = self.credit.q.val() - 1;
        }
        if self.ask.val() & self.mem_rd_ready.val() {
            self.next_beat.d.next = self.next_beat.q.val() + 1;
        }
        if self.exec.val() {
            self.count.d.next = self.count.q.val() + 1;
        }
        if self.exec.val() & (self.op.val() == 3) {
            self.fetching.d.next = false;
        }
        if self.running.q.val() & self.fetching.q.val() & ((self.words_fifo.out_valid.val() & self.bad.val()) | self.abort.val()) {
            self.fetching.d.next = false;
            self.error_q.d.next = true;
        }
        // The run ends once nothing is in flight after `end` or an error.
        if self.running.q.val() & !self.fetching.q.val() & (self.credit.q.val() == 0) {
            self.running.d.next = false;
            if !self.error_q.q.val() {
                self.done_q.d.next = true;
            }
        }
        self.go_now.next = self.go.val() & !self.running.q.val();
        if self.go_now.val() {
            self.running.d.next = true;
            self.fetching.d.next = true;
            self.next_beat.d.next = self.prog_beat.val();
            self.done_q.d.next = false;
            self.error_q.d.next = false;
            self.count.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eyeriss::regs::*;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    use crate::sim::settle;

    fn tick(uut: &mut Sequencer) {
        crate::sim::clock_edge(uut, |u| &mut u.clk);
    }

    /// What the sequencer did, in order: (start, target, addr, data) or a sync passed.
    #[derive(Debug, PartialEq)]
    enum Done {
        Act(bool, u64, u64, u64),
        Sync,
    }

    /// A random program of writes, starts and syncs, and what it must do.
    fn program(rng: &mut impl Rng, n: usize) -> (Vec<u64>, Vec<Done>) {
        let (mut words, mut want) = (Vec::new(), Vec::new());
        for _ in 0..n {
            if rng.gen_bool(0.1) {
                words.push(word(CTRL, OP_SYNC, 0, 0));
                want.push(Done::Sync);
            } else {
                let (start, t) = (rng.gen_bool(0.3), rng.gen_range(1..=PASS));
                let (a, d) = (rng.gen_range(0..0x1_0000), rng.gen::<u32>());
                words.push(word(t, if start { OP_START } else { OP_WRITE }, a, d));
                want.push(Done::Act(start, t, a, d as u64));
            }
        }
        words.push(word(CTRL, OP_END, 0, 0));
        (words, want)
    }

    /// Runs `mem` from `base` with a DRAM answering after 1 to `latency` cycles and engines
    /// that turn busy for a few cycles after each action; checks that no action goes to a busy
    /// target and that a sync passes only with every engine idle. Returns the actions, the
    /// cycles, and the final (done, error, words).
    fn run(uut: &mut Sequencer, mem: &[u64], base: usize, latency: u64, rng: &mut impl Rng) -> (Vec<Done>, u64, (bool, bool, u64)) {
        uut.go.next = true;
        uut.prog_beat.next = bits(base as u64);
        tick(uut);
        uut.go.next = false;
        let mut flight: VecDeque<(u64, u64)> = VecDeque::new();
        let mut busy_until = [0u64; 9];
        let mut got = Vec::new();
        let mut cycle = 0;
        loop {
            settle(uut);
            let idle: u64 = (0..9).filter(|&t| busy_until[t] <= cycle).map(|t| 1 << t).sum();
            uut.idle.next = bits(idle);
            let rd_ready = rng.gen_bool(0.8);
            uut.mem_rd_ready.next = rd_ready;
            let resp = flight.front().filter(|(t, _)| *t <= cycle).map(|&(_, d)| d);
            uut.mem_resp_valid.next = resp.is_some();
            uut.mem_resp_data.next = bits(resp.unwrap_or(0));
            settle(uut);
            if uut.mem_rd_valid.val() && rd_ready {
                let b = uut.mem_rd_beat.val().to_u64() as usize;
                let t = flight.back().map_or(0, |f| f.0).max(cycle + rng.gen_range(1..=latency));
                flight.push_back((t, mem.get(b).copied().unwrap_or(0)));
            }
            if uut.mem_resp_ready.val() && resp.is_some() {
                flight.pop_front();
            }
            if uut.act_valid.val() {
                let t = uut.act_target.val().to_u64() as usize;
                assert!(idle >> t & 1 == 1, "an action to busy target {t}");
                got.push(Done::Act(uut.act_start.val(), t as u64, uut.act_addr.val().to_u64(), uut.act_data.val().to_u64()));
                busy_until[t] = cycle + 1 + rng.gen_range(0..4);
            } else if uut.exec.val() && uut.op.val().to_u64() == OP_SYNC {
                assert_eq!(idle, 0x1ff, "a sync passed with a busy engine");
                got.push(Done::Sync);
            }
            tick(uut);
            cycle += 1;
            settle(uut);
            if !uut.busy.val() || cycle > 20_000 {
                assert!(flight.is_empty(), "a response was still in flight at the end");
                return (got, cycle, (uut.done.val(), uut.error.val(), uut.words.val().to_u64()));
            }
        }
    }

    // Random programs at random places in DRAM, random latency and back-pressure: every word's
    // action in order, none to a busy engine, syncs only at idle, `done` and the word count;
    // then a bad word stops a run with `error`, and the next run is clean again.
    #[test]
    fn runs_programs_in_order() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let mut uut = Sequencer::default();
        uut.connect_all();
        uut.rst.next = true;
        tick(&mut uut);
        uut.rst.next = false;
        for case in 0..12 {
            let n = rng.gen_range(1..60);
            let (words, want) = program(&mut rng, n);
            let base = rng.gen_range(0..100);
            let mut mem = vec![0xffff_ffff_ffff_ffffu64; base];
            mem.extend(&words);
            // Garbage after `end`: prefetched, never executed.
            mem.extend((0..8).map(|_| rng.gen::<u64>()));
            let latency = [1, 3, 12][case % 3];
            let (got, cycles, (done, error, n)) = run(&mut uut, &mem, base, latency, &mut rng);
            assert_eq!(got, want, "case {case}");
            assert!(done && !error, "case {case}: done {done} error {error}");
            assert_eq!(n, words.len() as u64, "case {case}: words");
            assert!(cycles < 8 * words.len() as u64 + 40, "case {case}: {cycles} cycles for {} words", words.len());
        }
        // Bad words (a sync aimed at the load engine, a target past PASS, an unknown op, a
        // reserved bit) after two good ones.
        for bad in [word(LOAD, OP_SYNC, 0, 0), word(9, OP_WRITE, 0, 0), word(IDS, 4, 0, 0), word(IDS, OP_WRITE, 0, 0) | 1 << 35] {
            let mem = [word(LOAD, OP_WRITE, 1, 2), word(STORE, OP_START, 0, 0), bad, word(CTRL, OP_END, 0, 0)];
            let (got, _, (done, error, n)) = run(&mut uut, &mem, 0, 4, &mut rng);
            assert_eq!(got.len(), 2);
            assert!(!done && error && n == 2, "bad word {bad:#x}: done {done} error {error} words {n}");
        }
        let mem = [word(PASS, OP_START, 0, 7), word(CTRL, OP_END, 0, 0)];
        let (got, _, (done, error, _)) = run(&mut uut, &mem, 0, 4, &mut rng);
        assert_eq!(got, vec![Done::Act(true, PASS, 0, 7)]);
        assert!(done && !error);
    }

    #[test]
    fn emits() {
        let mut uut = Sequencer::default();
        uut.connect_all();
        crate::emit::emit_block_for_test(&uut, "sequencer", &[]);
    }
}
