//! One layer run end to end: the golden layer on the data, the mapper on the shape with the
//! data's zeros and run-length coding, and the per-layer report (`edgertl run conv` and
//! `edgertl run alexnet` serialize it), with the chip's published figures for AlexNet.

use super::counts::DataStats;
use super::energy::Energy;
use super::golden;
use super::layer::{LayerError, LayerShape};
use super::mapper::{self, Evaluated, Hardware, MapError, Mapping};
use crate::rlc::model as rlc;
use serde::{Deserialize, Serialize};

/// What the chip measured per AlexNet layer at batch 4 (JSSC 2017; DRAM before coding read
/// from the ISSCC 2016 chart).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChipFigures {
    pub macs_m: f64,
    pub active_pes: usize,
    /// Processing latency (compute only), ms at 200 MHz.
    pub latency_ms: f64,
    /// Total latency with the 60 MHz DRAM link and configuration (the measured table).
    pub total_latency_ms: f64,
    pub glb_mb: f64,
    pub dram_mb: f64,
    /// DRAM after run-length coding (the measured table).
    pub dram_rlc_mb: f64,
}

/// The chip's figures for CONV1-CONV5.
pub const CHIP_ALEXNET: [ChipFigures; 5] = [
    ChipFigures { macs_m: 421.7, active_pes: 154, latency_ms: 16.5, total_latency_ms: 20.9, glb_mb: 18.5, dram_mb: 6.0, dram_rlc_mb: 5.0 },
    ChipFigures { macs_m: 895.8, active_pes: 135, latency_ms: 39.2, total_latency_ms: 41.9, glb_mb: 77.6, dram_mb: 5.4, dram_rlc_mb: 4.0 },
    ChipFigures { macs_m: 598.1, active_pes: 156, latency_ms: 21.8, total_latency_ms: 23.6, glb_mb: 50.2, dram_mb: 5.1, dram_rlc_mb: 3.0 },
    ChipFigures { macs_m: 448.6, active_pes: 156, latency_ms: 16.0, total_latency_ms: 18.4, glb_mb: 37.4, dram_mb: 3.9, dram_rlc_mb: 2.1 },
    ChipFigures { macs_m: 299.0, active_pes: 156, latency_ms: 10.0, total_latency_ms: 10.5, glb_mb: 24.9, dram_mb: 2.6, dram_rlc_mb: 1.3 },
];

/// The chip's figures for an AlexNet layer at batch 4 (by name and shape).
pub fn chip_figures(layer: &LayerShape) -> Option<ChipFigures> {
    super::layer::alexnet_index(layer).filter(|_| layer.n == 4).map(|i| CHIP_ALEXNET[i])
}

/// Another mapping of the same layer, summarized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub mapping: Mapping,
    pub cycles: u64,
    pub dram_words: u64,
    pub glb_words: u64,
    pub energy: Energy,
}

impl Alternative {
    fn of(e: &Evaluated) -> Self {
        let c = &e.counts;
        Alternative {
            mapping: e.mapping.clone(),
            cycles: c.cycles.compute,
            dram_words: c.dram.reads() + c.dram.writes(),
            glb_words: c.glb.reads() + c.glb.writes(),
            energy: e.energy.clone(),
        }
    }
}

/// One layer's report: the fields first (words, cycles at the core clock, energy in
/// MAC units), then the whole mapping and counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerReport {
    pub name: String,
    pub shape: LayerShape,
    pub macs: u64,
    pub zero_macs: u64,
    pub active_pes: usize,
    pub active_pes_avg: f64,
    /// MACs over the array's PE-cycles: what assigned PEs waiting on data lose too.
    pub utilization: f64,
    pub passes: u64,
    pub cycles: u64,
    pub latency_ms: f64,
    /// With the DRAM link's time for the coded traffic: overlapped with computing (the larger
    /// of the two) and not (their sum); the chip lies between.
    pub total_latency_ms: f64,
    pub serial_latency_ms: f64,
    pub glb_reads: u64,
    pub glb_writes: u64,
    pub dram_reads: u64,
    pub dram_writes: u64,
    pub dram_reads_rlc: f64,
    pub dram_writes_rlc: f64,
    pub ifmap_zero_fraction: f64,
    pub ofmap_zero_fraction: f64,
    pub energy: Energy,
    pub energy_per_mac: f64,
    pub mapping: Mapping,
    pub counts: super::counts::Counts,
    /// The least-energy mapping whatever its speed, when it is not the one chosen.
    pub least_energy: Option<Alternative>,
    /// The chip's own mapping under the same model, and its measured figures (AlexNet).
    pub chip_mapping: Option<Alternative>,
    pub chip: Option<ChipFigures>,
}

/// A layer computed: its ofmap and its report.
pub struct LayerRun {
    pub ofmap: Vec<i16>,
    pub report: LayerReport,
}

/// Why a layer cannot run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error(transparent)]
    Map(#[from] MapError),
}

fn zero_fraction(values: &[i16]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().filter(|&&v| v == 0).count() as f64 / values.len() as f64
    }
}

/// Coded size / raw size of a feature map under the run-length coder (64-bit words against
/// 16-bit values).
fn rlc_ratio(values: &[i16]) -> f64 {
    if values.is_empty() {
        1.0
    } else {
        (rlc::encode(values).len() * 4) as f64 / values.len() as f64
    }
}

/// Runs `layer` on the data: the golden ofmap, then the mapping searched with the data's
/// zero MACs and coding ratios. `first_layer`: its ifmap is stored raw in DRAM (the chip
/// codes every fmap but the first layer's input).
pub fn run_layer(
    layer: &LayerShape,
    hw: &Hardware,
    ifmap: &[i16],
    weights: &[i16],
    bias: Option<&[i16]>,
    first_layer: bool,
) -> Result<LayerRun, RunError> {
    layer.check_chip()?;
    let ofmap = golden::conv(layer, ifmap, weights, bias)?;
    let data = DataStats {
        zero_macs: golden::zero_macs(layer, ifmap),
        ifmap_rlc_ratio: if first_layer { 1.0 } else { rlc_ratio(ifmap) },
        ofmap_rlc_ratio: rlc_ratio(&ofmap),
    };
    let found = mapper::search(layer, hw, &data)?;
    let chip_mapping = mapper::chip_mapping(layer)
        .filter(|_| *hw == Hardware::eyeriss_v1())
        .and_then(|a| mapper::evaluate(layer, hw, a, &data))
        .map(|e| Alternative::of(&e));
    let e = &found.chosen;
    let c = &e.counts;
    let least_energy = (found.least_energy.mapping != e.mapping).then(|| Alternative::of(&found.least_energy));
    let report = LayerReport {
        name: layer.name.clone(),
        shape: layer.clone(),
        macs: c.macs,
        zero_macs: c.zero_macs,
        active_pes: e.mapping.active_pes,
        active_pes_avg: c.active_pes_avg,
        utilization: c.macs as f64 / (c.cycles.compute as f64 * hw.pes() as f64),
        passes: c.passes,
        cycles: c.cycles.compute,
        latency_ms: c.cycles.compute as f64 / (hw.core_mhz * 1e3),
        total_latency_ms: c.cycles.total as f64 / (hw.core_mhz * 1e3),
        serial_latency_ms: (c.cycles.compute + c.cycles.dram_link_rlc) as f64 / (hw.core_mhz * 1e3),
        glb_reads: c.glb.reads(),
        glb_writes: c.glb.writes(),
        dram_reads: c.dram.reads(),
        dram_writes: c.dram.writes(),
        dram_reads_rlc: c.dram_rlc_reads,
        dram_writes_rlc: c.dram_rlc_writes,
        ifmap_zero_fraction: zero_fraction(ifmap),
        ofmap_zero_fraction: zero_fraction(&ofmap),
        energy: e.energy.clone(),
        energy_per_mac: e.energy.total / c.macs as f64,
        mapping: e.mapping.clone(),
        counts: c.clone(),
        least_energy,
        chip_mapping,
        chip: chip_figures(layer).filter(|_| *hw == Hardware::eyeriss_v1()),
    };
    Ok(LayerRun { ofmap, report })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eyeriss::layer::alexnet;

    // A small layer end to end: the ofmap is the golden one, zeros in the data show up as
    // gated MACs, and an all-zero ifmap codes far below its raw size.
    #[test]
    fn run_layer_uses_the_data() {
        let hw = Hardware::eyeriss_v1();
        let mut l = alexnet(1, 0)[2].clone();
        l.c = 8;
        l.m = 16;
        let ifmap = vec![0i16; l.ifmap_words() as usize];
        let weights = vec![1i16; l.filter_words() as usize];
        let run = run_layer(&l, &hw, &ifmap, &weights, None, false).unwrap();
        assert_eq!(run.ofmap, vec![0; l.ofmap_words() as usize]);
        let r = &run.report;
        assert_eq!(r.zero_macs, r.macs);
        let d = &r.counts.dram;
        assert!(r.dram_reads_rlc < (d.filter.reads + d.ifmap.reads / 10) as f64, "{r:?}");
        assert!(r.dram_writes_rlc < r.dram_writes as f64 / 10.0, "{r:?}");
        assert_eq!(r.energy.mac, 0.0);
        assert!(r.chip.is_none() && r.chip_mapping.is_none());
    }
}
