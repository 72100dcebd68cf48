//! The Eyeriss accelerator (`eyeriss`): whole conv layers from DRAM to DRAM on the Verilated
//! `small` preset (and one small whole layer on the 12 x 14 `eyeriss_v1`), the layer program fetched by the unit itself from a DRAM model with random
//! latency, bandwidth and stalls: every output word bit-exact with the golden layer, every
//! counter equal to the program's machine and to the mapper's analytical counts.

use edgertl_hdl::eyeriss::EyerissConfig;
use edgertl_sim::eyeriss::driver::{best_compiled, buffers, check_layer, hardware, random_data, random_layer, run_checked, DramTiming, EyerissDriver};
use edgertl_sim::eyeriss::layer::LayerShape;
use edgertl_sim::harness::Stimulus;
use edgertl_sim::verilated::eyeriss;

fn layers() -> Vec<LayerShape> {
    let mut v = Vec::new();
    let mut l = LayerShape::new("padded_relu", 1, 2, 2, 6, 7, 3, 3);
    l.pad = 1;
    l.relu = true;
    v.push(l);
    let mut l = LayerShape::new("strided", 1, 3, 2, 9, 9, 3, 3);
    l.u = 2;
    l.pad = 1;
    v.push(l);
    let mut l = LayerShape::new("grouped", 1, 4, 4, 6, 6, 1, 1);
    l.groups = 2;
    v.push(l);
    let mut l = LayerShape::new("shifted", 1, 3, 2, 8, 6, 2, 2);
    l.pad = 1;
    l.shift = 3;
    v.push(l);
    // Split rows (`program::split_rows`): rows tagged (row mod 2, row div 2), the rows past
    // a step's window skipped (R = 3 at U = 2).
    let mut l = LayerShape::new("split_rows", 1, 3, 2, 11, 9, 3, 3);
    l.u = 2;
    v.push(l);
    v
}

#[test]
fn small_runs_layers_from_dram_to_dram_bit_exact_with_the_machines_counts() {
    let test = "small_runs_layers_from_dram_to_dram_bit_exact_with_the_machines_counts";
    let mut stim = Stimulus::from_env();
    let hw = EyerissConfig::small();
    let mut d = EyerissDriver::new(eyeriss::small::Model::for_test(test, stim.seed), &hw);
    let mut all = layers();
    all.extend((0..6).map(|_| random_layer(&mut stim.rng)));
    let mut ran = 0;
    for layer in &all {
        match check_layer(&mut d, layer, &mut stim.rng) {
            Ok(Some(c)) => {
                ran += 1;
                println!(
                    "{}: {} cycles (the mapper's estimate {}), {} program words",
                    layer.name, c.run.counts.cycles, c.eval.counts.cycles.total, c.run.counts.program_words
                );
            }
            Ok(None) => println!("{}: no mapping fits the small preset", layer.name),
            Err(e) => panic!("{e}\n{}", stim.replay_hint(test)),
        }
    }
    assert!(ran >= all.len() - 2, "only {ran} of {} layers had a mapping", all.len());
}

// The chip's 12 x 14 array with its 100 kB buffer: one small whole layer (3 x 3 filters over a
// 14 x 14 ifmap, so that the whole PE set fits the array's width) under the least-energy
// mapping the compiler supports, from DRAM to DRAM with random DRAM timing; every output word
// against the golden layer, every counter against the machine's and the mapper's.
#[test]
fn eyeriss_v1_runs_a_whole_layer_bit_exact_with_the_mappers_counts() {
    use edgertl_sim::eyeriss::counts::DataStats;
    use edgertl_sim::eyeriss::golden;
    let test = "eyeriss_v1_runs_a_whole_layer_bit_exact_with_the_mappers_counts";
    let mut stim = Stimulus::from_env();
    let hw = EyerissConfig::eyeriss_v1();
    let mut d = EyerissDriver::new(eyeriss::eyeriss_v1::Model::for_test(test, stim.seed), &hw);
    let mut layer = LayerShape::new("v1", 1, 6, 16, 14, 14, 3, 3);
    layer.pad = 1;
    layer.relu = true;
    layer.shift = 4;
    let (ifmap, weights) = random_data(&layer, &mut stim.rng);
    let data = DataStats { zero_macs: golden::zero_macs(&layer, &ifmap), ..DataStats::dense() };
    let chosen = best_compiled(&hw, &layer, &data).expect("the compiler supports a mapping of the layer on eyeriss_v1");
    let timing = DramTiming::random(&mut stim.rng);
    let c = run_checked(&mut d, &layer, &ifmap, &weights, chosen, timing, &mut stim.rng).unwrap_or_else(|e| panic!("{e}\n{}", stim.replay_hint(test)));
    let k = &c.run.counts;
    println!(
        "{:?}: {} cycles (the mapper's estimate {}), {} passes, {} active PEs, {} program words, DRAM {timing:?}",
        c.eval.mapping.array, k.cycles, c.eval.counts.cycles.total, k.machine.passes, k.machine.active_pes, k.program_words
    );
    // The layer fills most of the array (a 3 x 14 set, folded four times down the rows).
    assert!(k.machine.active_pes >= 120, "{} active PEs", k.machine.active_pes);
}

// A program word with a reserved bit set, halfway through a layer's program: the run stops
// with `error` (reported, not hung), and the next run of the intact program is exact again.
#[test]
fn a_bad_program_word_stops_the_run_with_an_error() {
    use edgertl_sim::eyeriss::binary::encode;
    use edgertl_sim::eyeriss::mapper::{array_mappings, evaluate};
    use edgertl_sim::eyeriss::program::{compile, supported};
    use edgertl_sim::eyeriss::counts::DataStats;
    use rand::SeedableRng;
    let hw = EyerissConfig::small();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let layer = &layers()[0];
    let mh = hardware(&hw);
    let prog = array_mappings(layer, &mh)
        .into_iter()
        .filter(|m| supported(layer, m, mh.rows, mh.cols).is_ok())
        .filter_map(|m| evaluate(layer, &mh, m, &DataStats::dense()))
        .find_map(|ev| compile(layer, &ev.mapping, mh.rows, mh.cols, &buffers(&hw)).ok())
        .expect("a mapping");
    let mut words = encode(&prog).unwrap().words;
    let k = words.len() / 2;
    words[k] |= 1 << 35;
    let dram = vec![1i16; prog.dram.words as usize];
    let mut d = EyerissDriver::new(eyeriss::small::Model::new(), &hw);
    let err = d.run_words(&words, &dram, DramTiming::CHIP, 2_000_000, &mut rng).unwrap_err();
    assert!(err.contains("bad program word after"), "{err}");
    words[k] &= !(1 << 35);
    d.run_words(&words, &dram, DramTiming::CHIP, 2_000_000, &mut rng).unwrap();
}

// Run-length coding per layer (`rlc_in`: the ifmap read coded and decoded on its way into the
// GLB; `rlc_out`: the output written coded after ReLU), in every combination, with and without
// ReLU, on directed and random layers: the output (the host decoding the RTL's streams with the
// golden coder) bit-exact with the golden layer, every counter equal to the machine's and the
// mapper's, the DRAM words of coded transfers sized from the data.
#[test]
fn small_runs_coded_layers_bit_exact_with_counts_sized_from_the_data() {
    let test = "small_runs_coded_layers_bit_exact_with_counts_sized_from_the_data";
    let mut stim = Stimulus::from_env();
    let hw = EyerissConfig::small();
    let mut d = EyerissDriver::new(eyeriss::small::Model::for_test(test, stim.seed), &hw);
    let mut all = Vec::new();
    for (k, mut l) in layers().into_iter().enumerate() {
        (l.rlc_in, l.rlc_out) = [(true, true), (true, false), (false, true)][k % 3];
        l.relu = k % 2 == 0;
        all.push(l);
    }
    for _ in 0..4 {
        let mut l = random_layer(&mut stim.rng);
        l.rlc_in = rand::Rng::gen_bool(&mut stim.rng, 0.7);
        l.rlc_out = rand::Rng::gen_bool(&mut stim.rng, 0.7);
        all.push(l);
    }
    let (mut ran, mut coded_words, mut raw_words) = (0, 0, 0);
    for layer in &all {
        match check_layer(&mut d, layer, &mut stim.rng) {
            Ok(Some(c)) => {
                ran += 1;
                let (rtl, mapper) = (&c.run.counts.machine.dram, &c.eval.counts.dram);
                println!(
                    "{} (in {}, out {}, relu {}): ifmap DRAM reads {} (raw {}), ofmap DRAM writes {} (raw {}), {} cycles",
                    layer.name, layer.rlc_in, layer.rlc_out, layer.relu, rtl.ifmap.reads, mapper.ifmap.reads, rtl.psum.writes, mapper.psum.writes, c.run.counts.cycles
                );
                coded_words += rtl.ifmap.reads + rtl.psum.writes;
                raw_words += mapper.ifmap.reads + mapper.psum.writes;
            }
            Ok(None) => println!("{}: no mapping fits the small preset", layer.name),
            Err(e) => panic!("{e}\n{}", stim.replay_hint(test)),
        }
    }
    println!("coded layers: {coded_words} ifmap and output DRAM words against {raw_words} raw");
    assert!(ran >= all.len() - 2, "only {ran} of {} layers had a mapping", all.len());
}

// A malformed coded ifmap stream (truncated, a corrupt word, extra values) stops the layer:
// `fault` bit 4, the sequencer ends with `error` within a bounded number of cycles, and the
// driver names the load and the decoder's error kind; the intact stream runs again after.
#[test]
fn a_malformed_coded_stream_stops_the_layer_with_the_decoders_error() {
    use edgertl_sim::eyeriss::program::{Cmd, Stream};
    use edgertl_sim::eyeriss::streams;
    use edgertl_sim::rlc::model;
    use rand::SeedableRng;
    let hw = EyerissConfig::small();
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let mut layer = layers()[0].clone();
    layer.rlc_in = true;
    let prog = first_program(&layer, &hw);
    let (ifmap, weights) = random_data(&layer, &mut rng);
    let mut dram = vec![0i16; prog.dram.words as usize];
    dram[..ifmap.len()].copy_from_slice(&ifmap);
    dram[prog.dram.filters as usize..][..weights.len()].copy_from_slice(&weights);
    streams::code_inputs(&prog, &mut dram).unwrap();
    let s: Stream = prog.cmds.iter().find_map(|c| if let Cmd::Load { coded: Some(s), .. } = c { Some(*s) } else { None }).expect("a coded load");
    let (values, len) = streams::read(&dram, &s).unwrap();
    let word = |mem: &[i16], k: u64| streams::beat(mem, s.beat + k).unwrap();
    let set = |mem: &mut Vec<i16>, k: u64, v: u64| {
        for j in 0..4 {
            mem[4 * (s.beat + k) as usize + j] = (v >> (16 * j)) as u16 as i16;
        }
    };
    // Truncated: the last word dropped (the length beat says one fewer).
    let mut truncated = dram.clone();
    set(&mut truncated, 0, len - 1);
    // Corrupt: the term bit of the last word cleared (every value decoded, no term).
    let mut corrupt = dram.clone();
    set(&mut corrupt, len, word(&dram, len) & !(1 << 63));
    // Extra values: the stream of one more value than the load moves.
    let mut extra = dram.clone();
    let more = model::encode(&[values.clone(), vec![7]].concat());
    assert!((more.len() as u64) < Stream::reserved_beats(s.values), "the longer stream and its length beat fit the reservation");
    set(&mut extra, 0, more.len() as u64);
    for (k, &w) in more.iter().enumerate() {
        set(&mut extra, 1 + k as u64, w);
    }
    let mut d = EyerissDriver::new(eyeriss::small::Model::new(), &hw);
    // The decoder's kind as the golden model gives it (a stream of one value too many ends in
    // extra values or a missing term, depending on where the words break).
    let golden = |mem: &[i16]| {
        let n = streams::beat(mem, s.beat).unwrap();
        let words: Vec<u64> = (1..=n).map(|k| streams::beat(mem, s.beat + k).unwrap()).collect();
        let e = model::decode(&words, s.values as usize).error.expect("malformed");
        format!("error kind {}", e.kind_code().unwrap_or(0))
    };
    let (corrupt_kind, extra_kind) = (golden(&corrupt), golden(&extra));
    for (what, mem, says) in [("truncated", &truncated, "truncated".to_string()), ("corrupt", &corrupt, corrupt_kind), ("extra values", &extra, extra_kind)] {
        let err = d.run(&prog, mem, DramTiming::CHIP, 2_000_000, &mut rng).expect_err(what);
        println!("{what}: {err}");
        assert!(err.contains("load 0 of the program") && err.contains(says.as_str()) && err.contains("stopped the run"), "{what}: {err}");
    }
    d.run(&prog, &dram, DramTiming::CHIP, 2_000_000, &mut rng).expect("the intact stream");
}

/// The first mapping of `layer` the compiler supports on `hw`, compiled.
fn first_program(layer: &LayerShape, hw: &EyerissConfig) -> edgertl_sim::eyeriss::program::Program {
    use edgertl_sim::eyeriss::counts::DataStats;
    use edgertl_sim::eyeriss::mapper::{array_mappings, evaluate};
    use edgertl_sim::eyeriss::program::{compile, supported};
    let mh = hardware(hw);
    array_mappings(layer, &mh)
        .into_iter()
        .filter(|m| supported(layer, m, mh.rows, mh.cols).is_ok())
        .filter_map(|m| evaluate(layer, &mh, m, &DataStats::dense()))
        .find_map(|ev| compile(layer, &ev.mapping, mh.rows, mh.cols, &buffers(hw)).ok())
        .expect("a mapping")
}

// `best_compiled` compiles only the candidates its choice rests on; it must choose what
// compiling every candidate and then choosing (`compiled_mappings` + `choose`) chooses.
#[test]
fn best_compiled_chooses_what_compiling_every_mapping_chooses() {
    use edgertl_sim::eyeriss::counts::DataStats;
    use edgertl_sim::eyeriss::driver::{choose, compiled_mappings};
    let mut stim = Stimulus::from_env();
    let mut cases: Vec<(&str, LayerShape)> = layers().into_iter().map(|l| ("small", l)).collect();
    for k in 0..40 {
        cases.push((["small", "eyeriss_v1"][k % 2], random_layer(&mut stim.rng)));
    }
    let mut mid = LayerShape::new("mid", 1, 32, 24, 13, 13, 3, 3);
    mid.pad = 1;
    cases.push(("eyeriss_v1", mid));
    let mut ran = 0;
    for (preset, layer) in cases {
        let hw = EyerissConfig::preset(preset).unwrap();
        let data = DataStats { zero_macs: layer.macs() / 5, ..DataStats::dense() };
        let all = compiled_mappings(&hw, &layer, &data);
        let want = choose(all.iter().map(|(e, _)| e)).map(|k| (all[k].0.mapping.clone(), &all[k].1));
        let got = best_compiled(&hw, &layer, &data);
        assert_eq!(got.as_ref().map(|(e, _)| e.mapping.clone()), want.as_ref().map(|(m, _)| m.clone()), "{preset} {layer:?}, seed {}", stim.seed);
        if let (Some((_, p)), Some((_, q))) = (&got, &want) {
            assert!(p == *q, "{preset} {layer:?}: the program differs");
            ran += 1;
        }
    }
    assert!(ran > 20, "only {ran} layers had a supported mapping");
}

// The lazy choice against filtering first, on made-up candidates (cycles, energy, whole PE
// sets or not, compiling or not: the cases where the fastest or the whole-set candidates that
// bound the rule fail to compile).
#[test]
fn choose_compiled_equals_choosing_among_the_compiled() {
    use edgertl_sim::eyeriss::counts::DataStats;
    use edgertl_sim::eyeriss::driver::{candidates, choose, choose_compiled};
    use rand::Rng;
    let mut stim = Stimulus::from_env();
    let mut mid = LayerShape::new("mid", 1, 16, 8, 13, 13, 3, 3);
    mid.pad = 1;
    let template = candidates(&EyerissConfig::eyeriss_v1(), &mid, &DataStats::dense()).swap_remove(0);
    for trial in 0..2000 {
        let n = stim.rng.gen_range(1..40);
        let p_fail: f64 = stim.rng.gen_range(0.0..1.0);
        let cands: Vec<_> = (0..n)
            .map(|k| {
                let mut e = template.clone();
                e.mapping.strips = k; // the candidate's name
                e.mapping.e_steps = stim.rng.gen_range(1..=2);
                e.counts.cycles.compute = stim.rng.gen_range(100..140);
                e.energy.total = f64::from(stim.rng.gen_range(0..20u8));
                e
            })
            .collect();
        // The fast ones fail more often.
        let ok: Vec<bool> = cands.iter().map(|e| !stim.rng.gen_bool(if e.counts.cycles.compute < 110 { p_fail.sqrt() } else { p_fail })).collect();
        let kept: Vec<usize> = (0..n).filter(|&k| ok[k]).collect();
        let want = choose(kept.iter().map(|&k| &cands[k])).map(|i| kept[i]);
        let got = choose_compiled(cands.clone(), |e| ok[e.mapping.strips].then_some(e.mapping.strips)).map(|(e, k)| {
            assert_eq!(e.mapping.strips, k);
            k
        });
        assert_eq!(got, want, "trial {trial}, seed {}", stim.seed);
    }
}
