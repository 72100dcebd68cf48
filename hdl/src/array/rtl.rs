//! The array's rust-hdl description (see the parent module for its behaviour).
//!
//! Two blocks: [`ArrayColumn`], one column of PEs with each PE's column-ID compare, its psum
//! source and the column's links and output candidate; and [`EyerissArray`], the top with the
//! three input buses (their holding registers and the per-row X-bus compares), the output
//! network, the ID registers of the rows, the counters and the select port. The PE counts of
//! a column are `Vec`s sized by the configuration, so one Rust type serves every preset.
//!
//! rust-hdl unrolls `for` loops when it writes Verilog and evaluates an index expression with
//! the loop variables only (`pes[r + 1]` works, `pes[r * C + c]` does not, and only the first
//! index of a path is evaluated): that is why the array is a row of columns with plain ports,
//! and why popcounts accumulate into `.next` (`x.next = x.next + ..`, blocking assignments in
//! the Verilog, sequential in rust-hdl's simulator).

use super::{id_bits, ArrayConfig};
use crate::pe::EyerissPe;
use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// One column of the array: its PEs, their IDs and the links between them.
#[derive(LogicBlock)]
pub struct ArrayColumn {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// Write `id_data` into the ID register of the PE in row `id_row` of this column.
    pub id_we: Signal<In, Bit>,
    pub id_row: Signal<In, Bits<4>>,
    pub id_data: Signal<In, Bits<16>>,
    /// A pass configuration, to every enabled PE.
    pub pass_go: Signal<In, Bit>,
    pub pass_s: Signal<In, Bits<4>>,
    pub pass_u: Signal<In, Bits<4>>,
    pub pass_p: Signal<In, Bits<5>>,
    pub pass_q: Signal<In, Bits<4>>,
    pub pass_e: Signal<In, Bits<8>>,
    pub pass_shift: Signal<In, Bits<5>>,
    /// Every enabled PE of the column is idle.
    pub idle: Signal<Out, Bit>,
    /// An enabled PE refused its configuration.
    pub error: Signal<Out, Bit>,
    /// A PE is busy.
    pub busy: Signal<Out, Bit>,
    /// Filter bus: bit r set when row r's X-bus carries the word (valid, row tag matched).
    pub f_hits: Signal<In, Bits<16>>,
    pub f_col: Signal<In, Bits<4>>,
    pub f_data: Signal<In, Bits<16>>,
    /// The word moves this cycle.
    pub f_go: Signal<In, Bit>,
    /// Every PE of the column the word is for can take it.
    pub f_ready: Signal<Out, Bit>,
    /// PEs of the column the word is for.
    pub f_count: Signal<Out, Bits<8>>,
    pub i_hits: Signal<In, Bits<16>>,
    pub i_col: Signal<In, Bits<5>>,
    pub i_data: Signal<In, Bits<16>>,
    pub i_go: Signal<In, Bit>,
    pub i_ready: Signal<Out, Bit>,
    pub i_count: Signal<Out, Bits<8>>,
    pub p_hits: Signal<In, Bits<16>>,
    pub p_col: Signal<In, Bits<4>>,
    pub p_data: Signal<In, Bits<16>>,
    pub p_go: Signal<In, Bit>,
    pub p_ready: Signal<Out, Bit>,
    pub p_count: Signal<Out, Bits<8>>,
    /// The column's candidate for the output network: a psum leaving upwards out of the
    /// column (the PE above does not take it over its link), from the lowest such PE.
    pub gon_valid: Signal<Out, Bit>,
    pub gon_row: Signal<Out, Bits<4>>,
    pub gon_data: Signal<Out, Bits<16>>,
    /// The candidate moves this cycle.
    pub gon_take: Signal<In, Bit>,
    /// Psums moving over the column's links this cycle.
    pub link_moves: Signal<Out, Bits<8>>,
    /// Enabled PEs.
    pub active: Signal<Out, Bits<8>>,
    /// Counters of the PE in row `sel_row`, as they were before the last edge.
    pub sel_row: Signal<In, Bits<4>>,
    pub sel_macs: Signal<Out, Bits<32>>,
    pub sel_macs_gated: Signal<Out, Bits<32>>,
    pub sel_filt_spad_reads: Signal<Out, Bits<32>>,
    pub sel_filt_spad_writes: Signal<Out, Bits<32>>,
    pub sel_ifmap_spad_reads: Signal<Out, Bits<32>>,
    pub sel_ifmap_spad_writes: Signal<Out, Bits<32>>,
    pub sel_psum_spad_reads: Signal<Out, Bits<32>>,
    pub sel_psum_spad_writes: Signal<Out, Bits<32>>,

    pe: Vec<EyerissPe>,
    ids: Vec<Reg<Bits<16>>>,
    sel: [Reg<Bits<32>>; 8],
    en: Vec<Signal<Local, Bit>>,
    // PE r takes its psum_in over the link from PE r + 1 (below it).
    lk: Vec<Signal<Local, Bit>>,
    // PE r's psum_out goes over the link to PE r - 1 (above it).
    up: Vec<Signal<Local, Bit>>,
    fm: Vec<Signal<Local, Bit>>,
    im: Vec<Signal<Local, Bit>>,
    pm: Vec<Signal<Local, Bit>>,
    cand: Vec<Signal<Local, Bit>>,
    // Running counts down the column (entry r: PEs above row r), for the popcounts (`lc`:
    // the links above row r, one fewer).
    fc: Vec<Signal<Local, Bits<8>>>,
    ic: Vec<Signal<Local, Bits<8>>>,
    pc: Vec<Signal<Local, Bits<8>>>,
    ac: Vec<Signal<Local, Bits<8>>>,
    lc: Vec<Signal<Local, Bits<8>>>,
    row_no: Vec<Constant<Bits<4>>>,
    // Bit r set when row r has a PE below it (the link bit of the bottom PE is ignored).
    has_below: Constant<Bits<16>>,
    // The hit-mask bits of rows this column does not have (the lint convention for dropped
    // bits).
    unused_f_hits: Signal<Local, Bits<16>>,
    unused_i_hits: Signal<Local, Bits<16>>,
    unused_p_hits: Signal<Local, Bits<16>>,
}

impl ArrayColumn {
    fn new(cfg: &ArrayConfig) -> Self {
        let rows = cfg.rows as usize;
        let locals = || (0..rows).map(|_| Signal::default()).collect::<Vec<_>>();
        Self {
            clk: Default::default(),
            rst: Default::default(),
            id_we: Default::default(),
            id_row: Default::default(),
            id_data: Default::default(),
            pass_go: Default::default(),
            pass_s: Default::default(),
            pass_u: Default::default(),
            pass_p: Default::default(),
            pass_q: Default::default(),
            pass_e: Default::default(),
            pass_shift: Default::default(),
            idle: Default::default(),
            error: Default::default(),
            busy: Default::default(),
            f_hits: Default::default(),
            f_col: Default::default(),
            f_data: Default::default(),
            f_go: Default::default(),
            f_ready: Default::default(),
            f_count: Default::default(),
            i_hits: Default::default(),
            i_col: Default::default(),
            i_data: Default::default(),
            i_go: Default::default(),
            i_ready: Default::default(),
            i_count: Default::default(),
            p_hits: Default::default(),
            p_col: Default::default(),
            p_data: Default::default(),
            p_go: Default::default(),
            p_ready: Default::default(),
            p_count: Default::default(),
            gon_valid: Default::default(),
            gon_row: Default::default(),
            gon_data: Default::default(),
            gon_take: Default::default(),
            link_moves: Default::default(),
            active: Default::default(),
            sel_row: Default::default(),
            sel_macs: Default::default(),
            sel_macs_gated: Default::default(),
            sel_filt_spad_reads: Default::default(),
            sel_filt_spad_writes: Default::default(),
            sel_ifmap_spad_reads: Default::default(),
            sel_ifmap_spad_writes: Default::default(),
            sel_psum_spad_reads: Default::default(),
            sel_psum_spad_writes: Default::default(),
            pe: (0..rows).map(|_| crate::pe::build_rtl(&cfg.pe)).collect(),
            ids: (0..rows).map(|_| Reg::default()).collect(),
            sel: Default::default(),
            en: locals(),
            lk: locals(),
            up: locals(),
            fm: locals(),
            im: locals(),
            pm: locals(),
            cand: locals(),
            fc: (0..=rows).map(|_| Signal::default()).collect(),
            ic: (0..=rows).map(|_| Signal::default()).collect(),
            pc: (0..=rows).map(|_| Signal::default()).collect(),
            ac: (0..=rows).map(|_| Signal::default()).collect(),
            lc: (0..rows).map(|_| Signal::default()).collect(),
            row_no: (0..rows).map(|r| Constant::new(bits(r as u64))).collect(),
            has_below: Constant::new(bits(((1u64 << rows) - 1) >> 1)),
            unused_f_hits: Default::default(),
            unused_i_hits: Default::default(),
            unused_p_hits: Default::default(),
        }
    }
}

impl Logic for ArrayColumn {
    #[hdl_gen]
    fn update(&mut self) {
        for k in 0..8 {
            self.sel[k].clock.next = self.clk.val();
            self.sel[k].rst.next = self.rst.val();
            self.sel[k].d.next = 0.into();
        }
        self.unused_f_hits.next = self.f_hits.val();
        self.unused_i_hits.next = self.i_hits.val();
        self.unused_p_hits.next = self.p_hits.val();
        self.idle.next = true;
        self.error.next = false;
        self.busy.next = false;
        self.f_ready.next = true;
        self.i_ready.next = true;
        self.p_ready.next = true;
        self.fc[0].next = 0.into();
        self.ic[0].next = 0.into();
        self.pc[0].next = 0.into();
        self.ac[0].next = 0.into();
        self.lc[0].next = 0.into();
        self.gon_valid.next = false;
        self.gon_row.next = 0.into();
        self.gon_data.next = 0.into();
        for r in 0..self.pe.len() {
            self.pe[r].clk.next = self.clk.val();
            self.pe[r].rst.next = self.rst.val();
            self.ids[r].clock.next = self.clk.val();
            self.ids[r].rst.next = self.rst.val();
            self.ids[r].d.next = self.ids[r].q.val();
            if self.id_we.val() & (self.id_row.val().index() == r) {
                self.ids[r].d.next = self.id_data.val();
            }
            // The PE's configuration: enabled, psum source, and its column ID on each bus.
            self.en[r].next = self.ids[r].q.val().get_bit(14);
            self.lk[r].next = self.ids[r].q.val().get_bit(13) & self.has_below.val().get_bit(r);
            self.up[r].next = false;
            self.fm[r].next = self.f_hits.val().get_bit(r)
                & self.en[r].val()
                & (self.ids[r].q.val().get_bits::<4>(0) == self.f_col.val());
            self.im[r].next = self.i_hits.val().get_bit(r)
                & self.en[r].val()
                & (self.ids[r].q.val().get_bits::<5>(4) == self.i_col.val());
            self.pm[r].next = self.p_hits.val().get_bit(r)
                & self.en[r].val()
                & !self.lk[r].val()
                & (self.ids[r].q.val().get_bits::<4>(9) == self.p_col.val());
            // The three input buses: a PE takes the word when it is one of its destinations
            // and the word moves (every destination has room).
            self.pe[r].filt_valid.next = self.f_go.val() & self.fm[r].val();
            self.pe[r].filt_data.next = self.f_data.val();
            self.pe[r].ifmap_valid.next = self.i_go.val() & self.im[r].val();
            self.pe[r].ifmap_data.next = self.i_data.val();
            self.pe[r].psum_in_valid.next = self.p_go.val() & self.pm[r].val();
            self.pe[r].psum_in_data.next = self.p_data.val();
            if self.fm[r].val() & !self.pe[r].filt_ready.val() {
                self.f_ready.next = false;
            }
            if self.im[r].val() & !self.pe[r].ifmap_ready.val() {
                self.i_ready.next = false;
            }
            if self.pm[r].val() & !self.pe[r].psum_in_ready.val() {
                self.p_ready.next = false;
            }
            self.fc[r + 1].next = self.fc[r].val();
            if self.fm[r].val() {
                self.fc[r + 1].next = self.fc[r].val() + 1;
            }
            self.ic[r + 1].next = self.ic[r].val();
            if self.im[r].val() {
                self.ic[r + 1].next = self.ic[r].val() + 1;
            }
            self.pc[r + 1].next = self.pc[r].val();
            if self.pm[r].val() {
                self.pc[r + 1].next = self.pc[r].val() + 1;
            }
            // The last row's entries are the column's counts.
            self.f_count.next = self.fc[r + 1].val();
            self.i_count.next = self.ic[r + 1].val();
            self.p_count.next = self.pc[r + 1].val();
            // Pass configuration and status.
            self.pe[r].cfg_valid.next = self.pass_go.val() & self.en[r].val();
            self.pe[r].cfg_s.next = self.pass_s.val();
            self.pe[r].cfg_u.next = self.pass_u.val();
            self.pe[r].cfg_p.next = self.pass_p.val();
            self.pe[r].cfg_q.next = self.pass_q.val();
            self.pe[r].cfg_e.next = self.pass_e.val();
            self.pe[r].cfg_shift.next = self.pass_shift.val();
            if self.en[r].val() & !self.pe[r].cfg_ready.val() {
                self.idle.next = false;
            }
            if self.en[r].val() & self.pe[r].cfg_error.val() {
                self.error.next = true;
            }
            if self.pe[r].busy.val() {
                self.busy.next = true;
            }
            self.ac[r + 1].next = self.ac[r].val();
            if self.en[r].val() {
                self.ac[r + 1].next = self.ac[r].val() + 1;
            }
            self.active.next = self.ac[r + 1].val();
            // Counter select (registered).
            if self.sel_row.val().index() == r {
                self.sel[0].d.next = self.pe[r].macs.val();
                self.sel[1].d.next = self.pe[r].macs_gated.val();
                self.sel[2].d.next = self.pe[r].filt_spad_reads.val();
                self.sel[3].d.next = self.pe[r].filt_spad_writes.val();
                self.sel[4].d.next = self.pe[r].ifmap_spad_reads.val();
                self.sel[5].d.next = self.pe[r].ifmap_spad_writes.val();
                self.sel[6].d.next = self.pe[r].psum_spad_reads.val();
                self.sel[7].d.next = self.pe[r].psum_spad_writes.val();
            }
        }
        // The local network: PE r takes its psum_in from PE r + 1 when its link bit is set.
        self.link_moves.next = 0.into();
        for r in 0..(self.pe.len() - 1) {
            self.up[r + 1].next = self.lk[r].val();
            self.lc[r + 1].next = self.lc[r].val();
            if self.lk[r].val() {
                self.pe[r].psum_in_valid.next = self.pe[r + 1].psum_out_valid.val();
                self.pe[r].psum_in_data.next = self.pe[r + 1].psum_out_data.val();
                if self.pe[r + 1].psum_out_valid.val() & self.pe[r].psum_in_ready.val() {
                    self.lc[r + 1].next = self.lc[r].val() + 1;
                }
            }
            self.link_moves.next = self.lc[r + 1].val();
        }
        // The output network's candidate: the lowest PE whose psum leaves the column.
        for r in 0..self.pe.len() {
            self.cand[r].next = self.pe[r].psum_out_valid.val() & !self.up[r].val();
            if self.cand[r].val() {
                self.gon_valid.next = true;
                self.gon_row.next = self.row_no[r].val();
                self.gon_data.next = self.pe[r].psum_out_data.val();
            }
        }
        for r in 0..self.pe.len() {
            self.pe[r].psum_out_ready.next =
                self.gon_take.val() & self.cand[r].val() & (self.gon_row.val() == self.row_no[r].val());
        }
        for r in 0..(self.pe.len() - 1) {
            if self.lk[r].val() {
                self.pe[r + 1].psum_out_ready.next = self.pe[r].psum_in_ready.val();
            }
        }
        self.sel_macs.next = self.sel[0].q.val();
        self.sel_macs_gated.next = self.sel[1].q.val();
        self.sel_filt_spad_reads.next = self.sel[2].q.val();
        self.sel_filt_spad_writes.next = self.sel[3].q.val();
        self.sel_ifmap_spad_reads.next = self.sel[4].q.val();
        self.sel_ifmap_spad_writes.next = self.sel[5].q.val();
        self.sel_psum_spad_reads.next = self.sel[6].q.val();
        self.sel_psum_spad_writes.next = self.sel[7].q.val();
    }
}

/// The PE array with its networks on chip.
#[derive(LogicBlock)]
pub struct EyerissArray {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset (clears every ID: all PEs disabled).
    pub rst: Signal<In, Bit>,
    /// ID write: `id_kind` 1 writes row `id_row`'s row IDs, 0 the PE at (`id_row`, `id_col`).
    pub id_valid: Signal<In, Bit>,
    pub id_kind: Signal<In, Bit>,
    pub id_row: Signal<In, Bits<4>>,
    pub id_col: Signal<In, Bits<4>>,
    pub id_data: Signal<In, Bits<16>>,
    /// A pass configuration for every enabled PE (taken when `pass_ready`).
    pub pass_valid: Signal<In, Bit>,
    pub pass_ready: Signal<Out, Bit>,
    pub pass_s: Signal<In, Bits<4>>,
    pub pass_u: Signal<In, Bits<4>>,
    pub pass_p: Signal<In, Bits<5>>,
    pub pass_q: Signal<In, Bits<4>>,
    pub pass_e: Signal<In, Bits<8>>,
    pub pass_shift: Signal<In, Bits<5>>,
    /// An enabled PE refused the last pass configuration.
    pub cfg_error: Signal<Out, Bit>,
    /// A PE is busy.
    pub busy: Signal<Out, Bit>,
    /// Enabled PEs.
    pub active_pes: Signal<Out, Bits<8>>,
    /// Filter input network: tagged words.
    pub filt_valid: Signal<In, Bit>,
    pub filt_ready: Signal<Out, Bit>,
    pub filt_row: Signal<In, Bits<4>>,
    pub filt_col: Signal<In, Bits<4>>,
    pub filt_data: Signal<In, Bits<16>>,
    /// Ifmap input network.
    pub ifmap_valid: Signal<In, Bit>,
    pub ifmap_ready: Signal<Out, Bit>,
    pub ifmap_row: Signal<In, Bits<4>>,
    pub ifmap_col: Signal<In, Bits<5>>,
    pub ifmap_data: Signal<In, Bits<16>>,
    /// Psum input network.
    pub psum_valid: Signal<In, Bit>,
    pub psum_ready: Signal<Out, Bit>,
    pub psum_row: Signal<In, Bits<4>>,
    pub psum_col: Signal<In, Bits<4>>,
    pub psum_data: Signal<In, Bits<16>>,
    /// Output network: psums leaving the array, tagged with the PE they left from.
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_row: Signal<Out, Bits<4>>,
    pub out_col: Signal<Out, Bits<4>>,
    pub out_data: Signal<Out, Bits<16>>,
    /// Counters (32-bit, wrap, cleared by `rst`): words on each bus and their deliveries.
    pub filt_words: Signal<Out, Bits<32>>,
    pub filt_deliveries: Signal<Out, Bits<32>>,
    pub ifmap_words: Signal<Out, Bits<32>>,
    pub ifmap_deliveries: Signal<Out, Bits<32>>,
    pub psum_words: Signal<Out, Bits<32>>,
    pub psum_deliveries: Signal<Out, Bits<32>>,
    pub out_words: Signal<Out, Bits<32>>,
    pub link_transfers: Signal<Out, Bits<32>>,
    /// Counters of the PE at (`sel_row`, `sel_col`), two edges after they are selected.
    pub sel_row: Signal<In, Bits<4>>,
    pub sel_col: Signal<In, Bits<4>>,
    pub sel_macs: Signal<Out, Bits<32>>,
    pub sel_macs_gated: Signal<Out, Bits<32>>,
    pub sel_filt_spad_reads: Signal<Out, Bits<32>>,
    pub sel_filt_spad_writes: Signal<Out, Bits<32>>,
    pub sel_ifmap_spad_reads: Signal<Out, Bits<32>>,
    pub sel_ifmap_spad_writes: Signal<Out, Bits<32>>,
    pub sel_psum_spad_reads: Signal<Out, Bits<32>>,
    pub sel_psum_spad_writes: Signal<Out, Bits<32>>,

    column: Vec<ArrayColumn>,
    row_ids: Vec<Reg<Bits<16>>>,
    // Each bus's word in flight (the Y-bus register): delivered when every destination has room.
    fh_v: Reg<Bit>,
    fh_row: Reg<Bits<4>>,
    fh_col: Reg<Bits<4>>,
    fh_data: Reg<Bits<16>>,
    ih_v: Reg<Bit>,
    ih_row: Reg<Bits<4>>,
    ih_col: Reg<Bits<5>>,
    ih_data: Reg<Bits<16>>,
    ph_v: Reg<Bit>,
    ph_row: Reg<Bits<4>>,
    ph_col: Reg<Bits<4>>,
    ph_data: Reg<Bits<16>>,
    // The output network's register.
    o_v: Reg<Bit>,
    o_row: Reg<Bits<4>>,
    o_col: Reg<Bits<4>>,
    o_data: Reg<Bits<16>>,
    n_fw: Reg<Bits<32>>,
    n_fd: Reg<Bits<32>>,
    n_iw: Reg<Bits<32>>,
    n_id: Reg<Bits<32>>,
    n_pw: Reg<Bits<32>>,
    n_pd: Reg<Bits<32>>,
    n_ow: Reg<Bits<32>>,
    n_lt: Reg<Bits<32>>,
    sel: [Reg<Bits<32>>; 8],
    // Row r's X-bus carries the bus word (the row multicast controllers' compares).
    f_hits: Signal<Local, Bits<16>>,
    i_hits: Signal<Local, Bits<16>>,
    p_hits: Signal<Local, Bits<16>>,
    // The hit masks built a row at a time (entry r: rows before r).
    fhc: Vec<Signal<Local, Bits<16>>>,
    ihc: Vec<Signal<Local, Bits<16>>>,
    phc: Vec<Signal<Local, Bits<16>>>,
    f_all: Signal<Local, Bit>,
    i_all: Signal<Local, Bit>,
    p_all: Signal<Local, Bit>,
    f_go: Signal<Local, Bit>,
    i_go: Signal<Local, Bit>,
    p_go: Signal<Local, Bit>,
    // Running sums across the columns (entry c: columns before c) and their totals.
    fs: Vec<Signal<Local, Bits<8>>>,
    is: Vec<Signal<Local, Bits<8>>>,
    ps: Vec<Signal<Local, Bits<8>>>,
    ls: Vec<Signal<Local, Bits<8>>>,
    acs: Vec<Signal<Local, Bits<8>>>,
    f_sum: Signal<Local, Bits<8>>,
    i_sum: Signal<Local, Bits<8>>,
    p_sum: Signal<Local, Bits<8>>,
    lt_sum: Signal<Local, Bits<8>>,
    act_sum: Signal<Local, Bits<8>>,
    g_any: Signal<Local, Bit>,
    g_col: Signal<Local, Bits<4>>,
    g_row: Signal<Local, Bits<4>>,
    g_data: Signal<Local, Bits<16>>,
    o_load: Signal<Local, Bit>,
    col_no: Vec<Constant<Bits<4>>>,
    // Bit r of a hit mask.
    row_bit: Vec<Constant<Bits<16>>>,
}

impl EyerissArray {
    pub(crate) fn new(cfg: &ArrayConfig) -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            id_valid: Default::default(),
            id_kind: Default::default(),
            id_row: Default::default(),
            id_col: Default::default(),
            id_data: Default::default(),
            pass_valid: Default::default(),
            pass_ready: Default::default(),
            pass_s: Default::default(),
            pass_u: Default::default(),
            pass_p: Default::default(),
            pass_q: Default::default(),
            pass_e: Default::default(),
            pass_shift: Default::default(),
            cfg_error: Default::default(),
            busy: Default::default(),
            active_pes: Default::default(),
            filt_valid: Default::default(),
            filt_ready: Default::default(),
            filt_row: Default::default(),
            filt_col: Default::default(),
            filt_data: Default::default(),
            ifmap_valid: Default::default(),
            ifmap_ready: Default::default(),
            ifmap_row: Default::default(),
            ifmap_col: Default::default(),
            ifmap_data: Default::default(),
            psum_valid: Default::default(),
            psum_ready: Default::default(),
            psum_row: Default::default(),
            psum_col: Default::default(),
            psum_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_row: Default::default(),
            out_col: Default::default(),
            out_data: Default::default(),
            filt_words: Default::default(),
            filt_deliveries: Default::default(),
            ifmap_words: Default::default(),
            ifmap_deliveries: Default::default(),
            psum_words: Default::default(),
            psum_deliveries: Default::default(),
            out_words: Default::default(),
            link_transfers: Default::default(),
            sel_row: Default::default(),
            sel_col: Default::default(),
            sel_macs: Default::default(),
            sel_macs_gated: Default::default(),
            sel_filt_spad_reads: Default::default(),
            sel_filt_spad_writes: Default::default(),
            sel_ifmap_spad_reads: Default::default(),
            sel_ifmap_spad_writes: Default::default(),
            sel_psum_spad_reads: Default::default(),
            sel_psum_spad_writes: Default::default(),
            column: (0..cfg.cols).map(|_| ArrayColumn::new(cfg)).collect(),
            row_ids: (0..cfg.rows).map(|_| Reg::default()).collect(),
            fh_v: Default::default(),
            fh_row: Default::default(),
            fh_col: Default::default(),
            fh_data: Default::default(),
            ih_v: Default::default(),
            ih_row: Default::default(),
            ih_col: Default::default(),
            ih_data: Default::default(),
            ph_v: Default::default(),
            ph_row: Default::default(),
            ph_col: Default::default(),
            ph_data: Default::default(),
            o_v: Default::default(),
            o_row: Default::default(),
            o_col: Default::default(),
            o_data: Default::default(),
            n_fw: Default::default(),
            n_fd: Default::default(),
            n_iw: Default::default(),
            n_id: Default::default(),
            n_pw: Default::default(),
            n_pd: Default::default(),
            n_ow: Default::default(),
            n_lt: Default::default(),
            sel: Default::default(),
            fhc: (0..=cfg.rows).map(|_| Signal::default()).collect(),
            ihc: (0..=cfg.rows).map(|_| Signal::default()).collect(),
            phc: (0..=cfg.rows).map(|_| Signal::default()).collect(),
            f_hits: Default::default(),
            i_hits: Default::default(),
            p_hits: Default::default(),
            f_all: Default::default(),
            i_all: Default::default(),
            p_all: Default::default(),
            f_go: Default::default(),
            i_go: Default::default(),
            p_go: Default::default(),
            fs: (0..=cfg.cols).map(|_| Signal::default()).collect(),
            is: (0..=cfg.cols).map(|_| Signal::default()).collect(),
            ps: (0..=cfg.cols).map(|_| Signal::default()).collect(),
            ls: (0..=cfg.cols).map(|_| Signal::default()).collect(),
            acs: (0..=cfg.cols).map(|_| Signal::default()).collect(),
            f_sum: Default::default(),
            i_sum: Default::default(),
            p_sum: Default::default(),
            lt_sum: Default::default(),
            act_sum: Default::default(),
            g_any: Default::default(),
            g_col: Default::default(),
            g_row: Default::default(),
            g_data: Default::default(),
            o_load: Default::default(),
            col_no: (0..cfg.cols).map(|c| Constant::new(bits(c as u64))).collect(),
            row_bit: (0..cfg.rows).map(|r| Constant::new(bits(1u64 << r))).collect(),
        }
    }

    /// The array of this shape, connected and ready to emit or simulate.
    pub(crate) fn built(cfg: &ArrayConfig) -> Self {
        let mut uut = Self::new(cfg);
        uut.connect_all();
        uut
    }
}

impl Logic for EyerissArray {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, fh_v, fh_row, fh_col, fh_data, ih_v, ih_row, ih_col, ih_data, ph_v, ph_row, ph_col,
            ph_data, o_v, o_row, o_col, o_data, n_fw, n_fd, n_iw, n_id, n_pw, n_pd, n_ow, n_lt
        );
        self.fh_v.rst.next = self.rst.val();
        self.fh_row.rst.next = self.rst.val();
        self.fh_col.rst.next = self.rst.val();
        self.fh_data.rst.next = self.rst.val();
        self.ih_v.rst.next = self.rst.val();
        self.ih_row.rst.next = self.rst.val();
        self.ih_col.rst.next = self.rst.val();
        self.ih_data.rst.next = self.rst.val();
        self.ph_v.rst.next = self.rst.val();
        self.ph_row.rst.next = self.rst.val();
        self.ph_col.rst.next = self.rst.val();
        self.ph_data.rst.next = self.rst.val();
        self.o_v.rst.next = self.rst.val();
        self.o_row.rst.next = self.rst.val();
        self.o_col.rst.next = self.rst.val();
        self.o_data.rst.next = self.rst.val();
        self.n_fw.rst.next = self.rst.val();
        self.n_fd.rst.next = self.rst.val();
        self.n_iw.rst.next = self.rst.val();
        self.n_id.rst.next = self.rst.val();
        self.n_pw.rst.next = self.rst.val();
        self.n_pd.rst.next = self.rst.val();
        self.n_ow.rst.next = self.rst.val();
        self.n_lt.rst.next = self.rst.val();
        for k in 0..8 {
            self.sel[k].clock.next = self.clk.val();
            self.sel[k].rst.next = self.rst.val();
            self.sel[k].d.next = 0.into();
        }

        // Row IDs and the row multicast controllers: row r's X-bus carries a bus's word when
        // the word's row tag equals the row's ID for that bus.
        self.fhc[0].next = 0.into();
        self.ihc[0].next = 0.into();
        self.phc[0].next = 0.into();
        for r in 0..self.row_ids.len() {
            self.row_ids[r].clock.next = self.clk.val();
            self.row_ids[r].rst.next = self.rst.val();
            self.row_ids[r].d.next = self.row_ids[r].q.val();
            if self.id_valid.val() & self.id_kind.val() & (self.id_row.val().index() == r) {
                self.row_ids[r].d.next = self.id_data.val();
            }
            self.fhc[r + 1].next = self.fhc[r].val();
            if self.fh_v.q.val() & (self.row_ids[r].q.val().get_bits::<4>(0) == self.fh_row.q.val()) {
                self.fhc[r + 1].next = self.fhc[r].val() | self.row_bit[r].val();
            }
            self.ihc[r + 1].next = self.ihc[r].val();
            if self.ih_v.q.val() & (self.row_ids[r].q.val().get_bits::<4>(4) == self.ih_row.q.val()) {
                self.ihc[r + 1].next = self.ihc[r].val() | self.row_bit[r].val();
            }
            self.phc[r + 1].next = self.phc[r].val();
            if self.ph_v.q.val() & (self.row_ids[r].q.val().get_bits::<4>(8) == self.ph_row.q.val()) {
                self.phc[r + 1].next = self.phc[r].val() | self.row_bit[r].val();
            }
            self.f_hits.next = self.fhc[r + 1].val();
            self.i_hits.next = self.ihc[r + 1].val();
            self.p_hits.next = self.phc[r + 1].val();
        }

        // The columns: IDs, pass configuration, buses, output candidates, counts.
        self.f_all.next = true;
        self.i_all.next = true;
        self.p_all.next = true;
        self.pass_ready.next = true;
        self.cfg_error.next = false;
        self.busy.next = false;
        self.fs[0].next = 0.into();
        self.is[0].next = 0.into();
        self.ps[0].next = 0.into();
        self.ls[0].next = 0.into();
        self.acs[0].next = 0.into();
        self.g_any.next = false;
        self.g_col.next = 0.into();
        self.g_row.next = 0.into();
        self.g_data.next = 0.into();
        for c in 0..self.column.len() {
            self.column[c].clk.next = self.clk.val();
            self.column[c].rst.next = self.rst.val();
            self.column[c].id_we.next = self.id_valid.val() & !self.id_kind.val() & (self.id_col.val().index() == c);
            self.column[c].id_row.next = self.id_row.val();
            self.column[c].id_data.next = self.id_data.val();
            self.column[c].pass_s.next = self.pass_s.val();
            self.column[c].pass_u.next = self.pass_u.val();
            self.column[c].pass_p.next = self.pass_p.val();
            self.column[c].pass_q.next = self.pass_q.val();
            self.column[c].pass_e.next = self.pass_e.val();
            self.column[c].pass_shift.next = self.pass_shift.val();
            self.column[c].f_hits.next = self.f_hits.val();
            self.column[c].f_col.next = self.fh_col.q.val();
            self.column[c].f_data.next = self.fh_data.q.val();
            self.column[c].i_hits.next = self.i_hits.val();
            self.column[c].i_col.next = self.ih_col.q.val();
            self.column[c].i_data.next = self.ih_data.q.val();
            self.column[c].p_hits.next = self.p_hits.val();
            self.column[c].p_col.next = self.ph_col.q.val();
            self.column[c].p_data.next = self.ph_data.q.val();
            self.column[c].sel_row.next = self.sel_row.val();
            if !self.column[c].f_ready.val() {
                self.f_all.next = false;
            }
            if !self.column[c].i_ready.val() {
                self.i_all.next = false;
            }
            if !self.column[c].p_ready.val() {
                self.p_all.next = false;
            }
            if !self.column[c].idle.val() {
                self.pass_ready.next = false;
            }
            if self.column[c].error.val() {
                self.cfg_error.next = true;
            }
            if self.column[c].busy.val() {
                self.busy.next = true;
            }
            self.fs[c + 1].next = self.fs[c].val() + self.column[c].f_count.val();
            self.is[c + 1].next = self.is[c].val() + self.column[c].i_count.val();
            self.ps[c + 1].next = self.ps[c].val() + self.column[c].p_count.val();
            self.ls[c + 1].next = self.ls[c].val() + self.column[c].link_moves.val();
            self.acs[c + 1].next = self.acs[c].val() + self.column[c].active.val();
            self.f_sum.next = self.fs[c + 1].val();
            self.i_sum.next = self.is[c + 1].val();
            self.p_sum.next = self.ps[c + 1].val();
            self.lt_sum.next = self.ls[c + 1].val();
            self.act_sum.next = self.acs[c + 1].val();
            // The output network's pick: the last column with a candidate.
            if self.column[c].gon_valid.val() {
                self.g_any.next = true;
                self.g_col.next = self.col_no[c].val();
                self.g_row.next = self.column[c].gon_row.val();
                self.g_data.next = self.column[c].gon_data.val();
            }
            if self.sel_col.val().index() == c {
                self.sel[0].d.next = self.column[c].sel_macs.val();
                self.sel[1].d.next = self.column[c].sel_macs_gated.val();
                self.sel[2].d.next = self.column[c].sel_filt_spad_reads.val();
                self.sel[3].d.next = self.column[c].sel_filt_spad_writes.val();
                self.sel[4].d.next = self.column[c].sel_ifmap_spad_reads.val();
                self.sel[5].d.next = self.column[c].sel_ifmap_spad_writes.val();
                self.sel[6].d.next = self.column[c].sel_psum_spad_reads.val();
                self.sel[7].d.next = self.column[c].sel_psum_spad_writes.val();
            }
        }

        // The input buses: a word in flight moves when every destination has room; a new word
        // enters the bus register as it empties.
        self.f_go.next = self.fh_v.q.val() & self.f_all.val();
        self.i_go.next = self.ih_v.q.val() & self.i_all.val();
        self.p_go.next = self.ph_v.q.val() & self.p_all.val();
        self.filt_ready.next = !self.fh_v.q.val() | self.f_all.val();
        self.ifmap_ready.next = !self.ih_v.q.val() | self.i_all.val();
        self.psum_ready.next = !self.ph_v.q.val() | self.p_all.val();
        if self.f_go.val() {
            self.fh_v.d.next = false;
            self.n_fw.d.next = self.n_fw.q.val() + 1;
            self.n_fd.d.next = self.n_fd.q.val() + bit_cast::<32, 8>(self.f_sum.val());
        }
        if self.filt_valid.val() & (!self.fh_v.q.val() | self.f_all.val()) {
            self.fh_v.d.next = true;
            self.fh_row.d.next = self.filt_row.val();
            self.fh_col.d.next = self.filt_col.val();
            self.fh_data.d.next = self.filt_data.val();
        }
        if self.i_go.val() {
            self.ih_v.d.next = false;
            self.n_iw.d.next = self.n_iw.q.val() + 1;
            self.n_id.d.next = self.n_id.q.val() + bit_cast::<32, 8>(self.i_sum.val());
        }
        if self.ifmap_valid.val() & (!self.ih_v.q.val() | self.i_all.val()) {
            self.ih_v.d.next = true;
            self.ih_row.d.next = self.ifmap_row.val();
            self.ih_col.d.next = self.ifmap_col.val();
            self.ih_data.d.next = self.ifmap_data.val();
        }
        if self.p_go.val() {
            self.ph_v.d.next = false;
            self.n_pw.d.next = self.n_pw.q.val() + 1;
            self.n_pd.d.next = self.n_pd.q.val() + bit_cast::<32, 8>(self.p_sum.val());
        }
        if self.psum_valid.val() & (!self.ph_v.q.val() | self.p_all.val()) {
            self.ph_v.d.next = true;
            self.ph_row.d.next = self.psum_row.val();
            self.ph_col.d.next = self.psum_col.val();
            self.ph_data.d.next = self.psum_data.val();
        }
        for c in 0..self.column.len() {
            self.column[c].f_go.next = self.f_go.val();
            self.column[c].i_go.next = self.i_go.val();
            self.column[c].p_go.next = self.p_go.val();
            self.column[c].pass_go.next = self.pass_valid.val() & self.pass_ready.val();
        }
        self.n_lt.d.next = self.n_lt.q.val() + bit_cast::<32, 8>(self.lt_sum.val());
        self.active_pes.next = self.act_sum.val();

        // The output network: its register takes the pick when empty or emptying.
        self.o_load.next = self.g_any.val() & (!self.o_v.q.val() | self.out_ready.val());
        for c in 0..self.column.len() {
            self.column[c].gon_take.next = self.o_load.val() & (self.g_col.val() == self.col_no[c].val());
        }
        if self.o_v.q.val() & self.out_ready.val() {
            self.o_v.d.next = false;
            self.n_ow.d.next = self.n_ow.q.val() + 1;
        }
        if self.o_load.val() {
            self.o_v.d.next = true;
            self.o_row.d.next = self.g_row.val();
            self.o_col.d.next = self.g_col.val();
            self.o_data.d.next = self.g_data.val();
        }
        self.out_valid.next = self.o_v.q.val();
        self.out_row.next = self.o_row.q.val();
        self.out_col.next = self.o_col.q.val();
        self.out_data.next = self.o_data.q.val();

        self.filt_words.next = self.n_fw.q.val();
        self.filt_deliveries.next = self.n_fd.q.val();
        self.ifmap_words.next = self.n_iw.q.val();
        self.ifmap_deliveries.next = self.n_id.q.val();
        self.psum_words.next = self.n_pw.q.val();
        self.psum_deliveries.next = self.n_pd.q.val();
        self.out_words.next = self.n_ow.q.val();
        self.link_transfers.next = self.n_lt.q.val();
        self.sel_macs.next = self.sel[0].q.val();
        self.sel_macs_gated.next = self.sel[1].q.val();
        self.sel_filt_spad_reads.next = self.sel[2].q.val();
        self.sel_filt_spad_writes.next = self.sel[3].q.val();
        self.sel_ifmap_spad_reads.next = self.sel[4].q.val();
        self.sel_ifmap_spad_writes.next = self.sel[5].q.val();
        self.sel_psum_spad_reads.next = self.sel[6].q.val();
        self.sel_psum_spad_writes.next = self.sel[7].q.val();
    }
}

crate::sim::sim_ports!(
    EyerissArray,
    clock: clk,
    inputs: [
        rst, id_valid, id_kind, id_row, id_col, id_data, pass_valid, pass_s, pass_u, pass_p, pass_q,
        pass_e, pass_shift, filt_valid, filt_row, filt_col, filt_data, ifmap_valid, ifmap_row,
        ifmap_col, ifmap_data, psum_valid, psum_row, psum_col, psum_data, out_ready, sel_row, sel_col,
    ],
    outputs: [
        pass_ready, cfg_error, busy, active_pes, filt_ready, ifmap_ready, psum_ready, out_valid,
        out_row, out_col, out_data, filt_words, filt_deliveries, ifmap_words, ifmap_deliveries,
        psum_words, psum_deliveries, out_words, link_transfers, sel_macs, sel_macs_gated,
        sel_filt_spad_reads, sel_filt_spad_writes, sel_ifmap_spad_reads, sel_ifmap_spad_writes,
        sel_psum_spad_reads, sel_psum_spad_writes,
    ]
);

/// Keeps `id_bits` in step with the description's literal bit positions.
const _: () = assert!(id_bits::FILT_COL == 0 && id_bits::IFMAP_COL == 4 && id_bits::PSUM_COL == 9 && id_bits::LINK == 13 && id_bits::ENABLE == 14);
