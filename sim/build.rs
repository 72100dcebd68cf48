//! Verilates the units of `edgertl-hdl`'s registry and links them into this crate.
//!
//! What gets built, per unit (`edgertl_hdl::UNITS`):
//!
//! - `fast`: the RTL, no instrumentation, for every preset the unit marks `simulated`, plus
//!   any preset named in `EDGERTL_SIM_PRESETS` (`unit:preset,unit:preset,...`, or `unit` for
//!   all of a unit's presets);
//! - `traced`: the same presets with `--trace` (VCD), only when `EDGERTL_TRACE` is set at
//!   build time (the replay command a failing test prints sets it, so it rebuilds with traces);
//! - `netlist`: Yosys' generic `synth -top <unit>` netlist of the synthesis preset
//!   (`Unit::synth_preset`: the default, but the array's `tiny`; `scripts/yosys/netlist.ys`), for units that ask for it, when the feature `netlist` is
//!   on (the tests turn it on);
//! - `cover`: the RTL with line and toggle coverage, for every simulated preset, when the
//!   feature `cover` is on (`edgertl`'s feature `cover`, for `edgertl cover`), of the units
//!   named in `EDGERTL_COVER_UNITS` (comma-separated) when it is set.
//!
//! Each (unit, preset, variant) is Verilated into a content-addressed cache,
//! `<target>/verilator-cache/<unit>/<preset>/<variant>-<key>/`, where the key hashes the
//! Verilog, Verilator's arguments and configuration file, Verilator's version and (for the
//! netlist) the Yosys script: editing one unit re-Verilates that unit alone, the debug and
//! release profiles share the models, and two builds at once are safe (each builds into a
//! private temporary folder and renames it into place; the loser of a race uses the winner's).
//! `EDGERTL_VERILATOR_CACHE` moves the cache.
//!
//! A module instantiated many times (an array of PEs) is kept a module of its own in the C++
//! (`no_inline` in a generated `.vlt`, its inputs `public_flat_rd`: see `verilator_config`),
//! so that a unit of 168 PEs compiles one PE class, not 168 inlined copies.
//!
//! Then the Verilator runtime is built once; a C++ shim and a Rust wrapper are generated from
//! each preset's port list, the shims compiled with `cc`, everything linked statically. The
//! generated Rust lands in `$OUT_DIR/units.rs`, included by `src/verilated.rs`.

#[path = "src/parallel.rs"]
mod parallel;

use edgertl_hdl::{Emitted, PortDir};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The Yosys script that makes the netlist variant (`{rtl}`, `{top}`, `{netlist}` substituted).
const NETLIST_SCRIPT: &str = "../scripts/yosys/netlist.ys";

/// Extra presets to Verilate: `unit:preset` or `unit` (all its presets), comma-separated.
const PRESETS_ENV: &str = "EDGERTL_SIM_PRESETS";

/// Set (not empty, not `0`) at build time: Verilate the traced variant too.
const TRACE_ENV: &str = "EDGERTL_TRACE";

/// With the feature `cover`: the units to build coverage models of, comma-separated (default:
/// every unit), so that `edgertl cover <unit>` need not Verilate every unit with coverage.
const COVER_ENV: &str = "EDGERTL_COVER_UNITS";

/// Where the Verilated models are cached (default `<target>/verilator-cache`).
const CACHE_ENV: &str = "EDGERTL_VERILATOR_CACHE";

/// A module instantiated at least this many times stays a C++ class of its own.
const NO_INLINE_INSTANCES: usize = 8;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={NETLIST_SCRIPT}");
    for var in [PRESETS_ENV, TRACE_ENV, CACHE_ENV, COVER_ENV] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
enum Variant {
    Fast,
    Traced,
    Netlist,
    Cover,
}

impl Variant {
    const ALL: [Variant; 4] = [Variant::Fast, Variant::Traced, Variant::Netlist, Variant::Cover];

    fn tag(self) -> &'static str {
        match self {
            Variant::Fast => "fast",
            Variant::Traced => "traced",
            Variant::Netlist => "netlist",
            Variant::Cover => "cover",
        }
    }

    /// How to get this variant built when it is not (the error `Model::of` returns).
    fn how_to_build(self) -> &'static str {
        match self {
            Variant::Fast => "every simulated preset has it",
            Variant::Traced => "rebuild with EDGERTL_TRACE=1 in the environment (cargo test reruns the build script)",
            Variant::Netlist => "build with the feature `netlist` of edgertl-sim (the tests turn it on); only units marked `netlist: true` have one, for their synthesis preset",
            Variant::Cover => "build with the feature `cover`: cargo run --release -p edgertl --features cover -- cover <unit>",
        }
    }

    fn args(self) -> Vec<&'static str> {
        let extra: &[&[&str]] = match self {
            Variant::Fast => &[RTL_MAKEFLAGS],
            Variant::Traced => &[RTL_MAKEFLAGS, &["--trace"]],
            Variant::Netlist => &[NETLIST_MAKEFLAGS, NETLIST_WAIVERS],
            Variant::Cover => &[RTL_MAKEFLAGS, COVER_ARGS],
        };
        VERILATOR_ARGS.iter().chain(extra.iter().copied().flatten()).copied().collect()
    }
}

/// Verilator's arguments but the file names and prefix: part of the cache key. The models are
/// linked into Rust binaries, so position independent (`-fPIC`); `-fno-semantic-interposition`
/// lets the compiler call within the model directly rather than through the PLT (97 fewer
/// instructions a PE cycle under callgrind, `scripts/bench/pe_loop.sh`).
const VERILATOR_ARGS: &[&str] = &[
    "--cc", "--build", "-j", "2", "-O3", "--x-assign", "fast", "--x-initial", "fast",
    "-CFLAGS", "-fPIC", "-CFLAGS", "-fno-semantic-interposition",
];

/// The RTL's C++ optimisation (Verilator 5.006's `-CFLAGS -O2` is overridden by its
/// `OPT_FAST=-Os`).
const RTL_MAKEFLAGS: &[&str] = &["-MAKEFLAGS", "OPT_FAST=-O2"];

/// The netlist's: it is ten times the RTL's C++ (every gate a statement) and the tests run it
/// for a few thousand cycles, so it is not optimised at all. Measured on the tracker's `tiny`
/// netlist (97k gates): Verilator + C++ 96 s of CPU at `-O0` against 188 s at `-O1`, and it
/// simulates 3 times slower (1.8 k against 5.2 k cycles/s on a loaded machine).
const NETLIST_MAKEFLAGS: &[&str] = &["-MAKEFLAGS", "OPT_FAST=-O0 OPT_SLOW=-O0"];

/// Lint waivers for the netlist only (the RTL stays clean under `-Wall`). Yosys writes each
/// gate's output as one bit of a wide vector; when bits of one vector feed other bits of it
/// (a carry chain), Verilator sees a combinational loop that is not one bit by bit.
const NETLIST_WAIVERS: &[&str] = &["-Wno-UNOPTFLAT"];

/// Verilator's line and toggle coverage, for `edgertl cover`.
const COVER_ARGS: &[&str] = &["--coverage-line", "--coverage-toggle"];

/// What this build makes, from the registry, the environment and the features: the variants of
/// each (unit, preset).
type Plan = BTreeMap<(&'static str, &'static str), Vec<Variant>>;

fn plan() -> Result<Plan, String> {
    let trace = std::env::var(TRACE_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    let netlist = std::env::var_os("CARGO_FEATURE_NETLIST").is_some();
    let cover = std::env::var_os("CARGO_FEATURE_COVER").is_some();
    let cover_units = std::env::var(COVER_ENV).ok().filter(|v| !v.trim().is_empty());
    let covered = |unit: &str| cover_units.as_deref().is_none_or(|l| l.split(',').any(|u| u.trim() == unit));
    let extra = std::env::var(PRESETS_ENV).ok();
    let presets = edgertl_hdl::simulated_presets(extra.as_deref()).map_err(|e| format!("{PRESETS_ENV}: {e}"))?;
    let mut models = BTreeMap::new();
    for (u, preset) in presets {
        if !is_ident(preset) {
            return Err(format!("preset `{preset}` of `{}` is not a Rust identifier: the harness names a module after it", u.name));
        }
        let mut v = vec![Variant::Fast];
        if trace {
            v.push(Variant::Traced);
        }
        if netlist && u.netlist && preset == u.synth_preset {
            v.push(Variant::Netlist);
        }
        if cover && covered(u.name) {
            v.push(Variant::Cover);
        }
        models.insert((u.name, preset), v);
    }
    Ok(models)
}

fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let root = verilator_root()?;
    let version = verilator_version()?;
    let cache = cache_dir(&out)?;
    let plan = plan()?;
    let mut rust = String::from("// Generated by edgertl-sim's build.rs from each unit's port list. Do not edit.\n");
    let mut runtime_from: Option<PathBuf> = None;
    let mut table = String::new();
    let mut by_unit: BTreeMap<&str, Vec<(Emitted, Vec<Variant>)>> = BTreeMap::new();
    let jobs: Vec<_> = plan.iter().collect();
    // Two presets at a time: emitting, Verilator's front end and Yosys are single-threaded and
    // make up much of a model's build; one at a time left a core idle for minutes.
    let built: Vec<Result<_, String>> = parallel::in_parallel(&jobs, |&(&(unit, preset), variants)| {
        let emitted = edgertl_hdl::emit(unit, Some(preset)).map_err(|e| e.to_string())?;
        let mut objs = Vec::new();
        for &variant in variants {
            objs.push((variant, verilate(&emitted, &cache, variant, &version)?));
        }
        shim(&emitted, &out.join(unit).join(preset), &objs, &root)?;
        Ok((emitted, objs))
    });
    for (&(&(unit, _), variants), result) in jobs.iter().zip(built) {
        let (emitted, objs) = result?;
        runtime_from.get_or_insert(objs[0].1.clone());
        by_unit.entry(unit).or_default().push((emitted, variants.clone()));
    }
    for u in edgertl_hdl::units() {
        let Some(presets) = by_unit.get(u.name) else { continue };
        writeln!(rust, "\n/// The Verilated `{}`: one module per Verilated preset; the default preset's items are re-exported here.", u.name).unwrap();
        writeln!(rust, "pub mod {} {{", u.name).unwrap();
        writeln!(rust, "    pub use self::{}::*;", u.default_preset()).unwrap();
        for (e, variants) in presets {
            rust.push_str(&wrapper(e, variants));
            writeln!(
                table,
                "    Entry {{ unit: \"{u}\", preset: \"{p}\", hash: \"{h}\", inputs: {u}::{p}::INPUTS, outputs: {u}::{p}::OUTPUTS, variants: {u}::{p}::VARIANTS, model: |v| Ok(Box::new({u}::{p}::Model::of(v)?)), stimulus: crate::{stim} }},",
                u = e.unit,
                p = e.preset,
                h = e.hash,
                stim = u.stimulus,
            )
            .unwrap();
        }
        writeln!(rust, "}}").unwrap();
    }
    if let Some(obj) = runtime_from {
        runtime(&obj, &cache, &out, &version)?;
    }
    writeln!(
        rust,
        "\n/// Every Verilated (unit, preset): its Verilog's SHA-256, ports, the variants built, a\n/// constructor and the unit's test stimulus.\npub static MODELS: &[Entry] = &[\n{table}];"
    )
    .unwrap();
    let mut howto = String::new();
    for v in Variant::ALL {
        writeln!(howto, "        Variant::{v:?} => \"{}\",", v.how_to_build()).unwrap();
    }
    writeln!(rust, "\n/// How to get a variant built that this build left out.\npub(crate) fn how_to_build(v: Variant) -> &'static str {{\n    match v {{\n{howto}    }}\n}}").unwrap();
    println!("cargo:rustc-link-lib=dylib=stdc++");
    std::fs::write(out.join("units.rs"), rust).map_err(|e| e.to_string())
}

fn verilator_root() -> Result<PathBuf, String> {
    let o = Command::new("verilator")
        .arg("--getenv")
        .arg("VERILATOR_ROOT")
        .output()
        .map_err(|_| "verilator not found: run scripts/setup.sh to install it".to_string())?;
    if !o.status.success() {
        return Err("`verilator --getenv VERILATOR_ROOT` failed: is Verilator installed? run scripts/setup.sh".into());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
}

fn verilator_version() -> Result<String, String> {
    let o = Command::new("verilator").arg("--version").output().map_err(|e| format!("verilator --version: {e}"))?;
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// `$EDGERTL_VERILATOR_CACHE`, or `verilator-cache` in the target directory (found above
/// `OUT_DIR`, which is `<target>/<profile>/build/<pkg>-<hash>/out`).
fn cache_dir(out: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let target = out
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent()?.parent())
        .ok_or_else(|| format!("cannot find the target directory above {}; set {CACHE_ENV}", out.display()))?;
    Ok(target.join("verilator-cache"))
}

fn run_cmd(cmd: &mut Command, what: &str) -> Result<(), String> {
    let o = cmd.output().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed:\n{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    }
}

/// The Verilated class of a (unit, preset, variant). Every model is linked into one binary,
/// so every class name is distinct.
fn class(unit: &str, preset: &str, variant: Variant) -> String {
    format!("V{unit}__{preset}__{}", variant.tag())
}

/// The netlist script for `unit`, its file names substituted.
fn netlist_script(unit: &str, rtl: &Path, netlist: &Path) -> Result<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(NETLIST_SCRIPT);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .replace("{rtl}", &rtl.display().to_string())
        .replace("{top}", unit)
        .replace("{netlist}", &netlist.display().to_string()))
}

/// Verilator's configuration: modules instantiated [`NO_INLINE_INSTANCES`] times or more stay
/// classes of their own, their inputs `public_flat_rd`.
///
/// Without that, Verilator replaces a kept module's input by the parent's signal that drives
/// it (a PE's `id` by its column's `ids_7_q`), which makes every instance's code different:
/// `eyeriss_v1` had 168 copies of the PE's evaluation (0.93 MB of machine code) and 1,189 of
/// its FIFO's, and simulated 8.7 k cycles/s. With the inputs kept as the instance's own
/// variables (the parent copies into them), the copies are one function again.
fn verilator_config(e: &Emitted) -> String {
    let mut vlt = String::from("`verilator_config\n");
    for m in e.modules.iter().skip(1) {
        let instances = e
            .verilog
            .lines()
            .filter(|l| {
                let mut w = l.split_whitespace();
                w.next() == Some(m.as_str()) && w.next().is_some_and(|inst| inst.trim_end_matches('(').chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            })
            .count();
        if instances >= NO_INLINE_INSTANCES {
            writeln!(vlt, "no_inline -module \"{m}\"").unwrap();
            let inputs = if PUBLIC_INPUTS_UNITS.contains(&e.unit.as_str()) { module_inputs(&e.verilog, m) } else { Vec::new() };
            for input in inputs.into_iter().filter(|&p| p != "clk") {
                writeln!(vlt, "public_flat_rd -module \"{m}\" -var \"{input}\"").unwrap();
            }
        }
    }
    vlt
}

/// The units whose kept modules get their inputs `public_flat_rd` ([`verilator_config`]).
/// Only `eyeriss` for now: with every unit's, Verilator 5.006's runtime deadlocked freeing the
/// `navion_codec` model in `the_cover_stimulus_passes_on_both_presets` (`~VerilatedScope` ->
/// `scopeErase` waiting on the context's mutex; public signals register scopes). The `eyeriss`
/// tests, `run conv --rtl` and `run alexnet --rtl` free their models without it.
const PUBLIC_INPUTS_UNITS: &[&str] = &["eyeriss"];

/// The input ports of module `m` in the emitted Verilog (`input wire [w:0] name;` lines).
fn module_inputs<'a>(verilog: &'a str, m: &str) -> Vec<&'a str> {
    let head = format!("module {m} (");
    verilog
        .lines()
        .skip_while(|l| !l.starts_with(&head))
        .take_while(|l| !l.starts_with("endmodule"))
        .filter_map(|l| l.trim().strip_prefix("input wire "))
        .filter_map(|rest| rest.trim_end_matches(';').split_whitespace().last())
        .collect()
}

/// The cache key's name: SHA-256 (the emitter's, the same that stamps the Verilog) in hex.
fn key_hash(s: &str) -> String {
    edgertl_hdl::emit::sha256(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Verilates one (unit, preset, variant) into the cache unless an entry with the same key is
/// there; returns the folder holding `<class>__ALL.a` and the headers.
fn verilate(e: &Emitted, cache: &Path, variant: Variant, version: &str) -> Result<PathBuf, String> {
    let class = class(&e.unit, &e.preset, variant);
    let args = variant.args();
    let vlt = verilator_config(e);
    let script_template = match variant {
        Variant::Netlist => netlist_script(&e.unit, Path::new("{rtl}"), Path::new("{netlist}"))?,
        _ => String::new(),
    };
    let key = format!("{}\n{}\n{class}\n{vlt}\n{version}\n{script_template}", e.hash, args.join(" "));
    let parent = cache.join(&e.unit).join(&e.preset);
    let dir = parent.join(format!("{}-{}", variant.tag(), &key_hash(&key)[..16]));
    let obj = dir.join("obj");
    if obj.join(format!("{class}__ALL.a")).exists() {
        return Ok(obj);
    }
    std::fs::create_dir_all(&parent).map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
    prune(&parent, variant);
    // A private folder, renamed into place when complete: builds running at once never see
    // each other's half-made models.
    let tmp = parent.join(format!(".tmp-{}-{}-{}", variant.tag(), std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)));
    let _ = std::fs::remove_dir_all(&tmp);
    let tobj = tmp.join("obj");
    std::fs::create_dir_all(&tobj).map_err(|err| err.to_string())?;
    // The Verilog sits at a path that outlives this build (coverage data and `$error`s name
    // it): `<unit>/<preset>/src-<hash>/<unit>.v`, written once by content.
    let src = parent.join(format!("src-{}", &e.hash[..16]));
    let rtl = src.join(format!("{}.v", e.unit));
    if std::fs::read_to_string(&rtl).ok().as_deref() != Some(e.verilog.as_str()) {
        std::fs::create_dir_all(&src).map_err(|err| err.to_string())?;
        let staged = tmp.join("staged.v");
        std::fs::write(&staged, &e.verilog).map_err(|err| err.to_string())?;
        std::fs::rename(&staged, &rtl).map_err(|err| err.to_string())?;
    }
    let netlist = tmp.join(format!("{}_netlist.v", e.unit));
    let vlt_path = tmp.join("config.vlt");
    std::fs::write(&vlt_path, &vlt).map_err(|err| err.to_string())?;
    let start = Instant::now();
    let source = if variant == Variant::Netlist {
        let ys = tmp.join("netlist.ys");
        std::fs::write(&ys, netlist_script(&e.unit, &rtl, &netlist)?).map_err(|err| err.to_string())?;
        run_cmd(
            Command::new("yosys").arg("-q").arg("-l").arg(tmp.join("yosys.log")).arg("-s").arg(&ys),
            &format!("yosys (netlist of {} {})", e.unit, e.preset),
        )?;
        netlist.clone()
    } else {
        rtl.clone()
    };
    let synthesized = start.elapsed();
    let mut cmd = Command::new("verilator");
    cmd.args(&args).arg("--prefix").arg(&class).arg("--top-module").arg(&e.unit).arg("--Mdir").arg(&tobj);
    if variant != Variant::Netlist {
        cmd.arg(&vlt_path);
    }
    run_cmd(cmd.arg(&source), &format!("verilator on {} {} ({})", e.unit, e.preset, variant.tag()))?;
    let verilated = start.elapsed() - synthesized;
    let time = format!(
        "{} {} {}: yosys {:.1} s, verilator + C++ {:.1} s\n",
        e.unit,
        e.preset,
        variant.tag(),
        synthesized.as_secs_f64(),
        verilated.as_secs_f64()
    );
    println!("edgertl: {}", time.trim_end());
    std::fs::write(tmp.join("build-time"), time).map_err(|err| err.to_string())?;
    std::fs::write(tmp.join("key"), &key).map_err(|err| err.to_string())?;
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another build finished the same entry first: use its.
        let _ = std::fs::remove_dir_all(&tmp);
        if !obj.join(format!("{class}__ALL.a")).exists() {
            return Err(format!("cannot move the Verilated model into {}", dir.display()));
        }
    }
    Ok(obj)
}

/// Entries of one variant kept per (unit, preset): the newest few, so that switching between
/// branches or profiles does not re-Verilate, while the cache does not grow without bound.
const KEEP_ENTRIES: usize = 4;

/// Removes a variant's oldest cache entries beyond [`KEEP_ENTRIES`] (to make room for a new
/// one; with the fast variant, which every build makes first, the oldest Verilog sources too),
/// and private build folders left by builds that were killed over a day ago.
fn prune(parent: &Path, variant: Variant) {
    let Ok(read) = std::fs::read_dir(parent) else { return };
    let now = std::time::SystemTime::now();
    let own = format!("{}-", variant.tag());
    // (entries of this variant, Verilog sources): each list keeps its newest few.
    let mut lists: [Vec<(std::time::SystemTime, PathBuf)>; 2] = [Vec::new(), Vec::new()];
    for d in read.filter_map(|d| d.ok()) {
        let name = d.file_name().to_string_lossy().into_owned();
        let modified = d.metadata().and_then(|m| m.modified()).unwrap_or(now);
        if name.starts_with(".tmp-") {
            if now.duration_since(modified).is_ok_and(|age| age.as_secs() > 86_400) {
                let _ = std::fs::remove_dir_all(d.path());
            }
        } else if name.starts_with(&own) {
            lists[0].push((modified, d.path()));
        } else if variant == Variant::Fast && name.starts_with("src-") {
            lists[1].push((modified, d.path()));
        }
    }
    for mut list in lists {
        list.sort();
        let excess = (list.len() + 1).saturating_sub(KEEP_ENTRIES);
        for (_, path) in list.into_iter().take(excess) {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// The Verilator runtime (shared by all units), built once per Verilator version from a
/// unit's generated makefile, into the cache.
fn runtime(obj: &Path, cache: &Path, out: &Path, version: &str) -> Result<(), String> {
    let objs = ["verilated.o", "verilated_vcd_c.o", "verilated_threads.o", "verilated_cov.o"];
    let dir = cache.join(format!("runtime-{}", &key_hash(&format!("{version}\n{}\nOPT_GLOBAL=-O2 -fno-semantic-interposition", objs.join(" ")))[..16]));
    let lib = dir.join("libedgertl_verilated.a");
    if !lib.exists() {
        let unit_mk = std::fs::read_dir(obj)
            .map_err(|e| e.to_string())?
            .filter_map(|d| d.ok())
            .map(|d| d.file_name().to_string_lossy().into_owned())
            .find(|n| n.ends_with(".mk") && !n.ends_with("_classes.mk"))
            .ok_or("no Verilator makefile")?;
        let build = out.join("runtime-build");
        let _ = std::fs::remove_dir_all(&build);
        std::fs::create_dir_all(&build).map_err(|e| e.to_string())?;
        for entry in std::fs::read_dir(obj).map_err(|e| e.to_string())?.filter_map(|d| d.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".mk") || name.ends_with(".h") {
                std::fs::copy(entry.path(), build.join(&name)).map_err(|e| e.to_string())?;
            }
        }
        run_cmd(
            // The runtime's objects are compiled with `OPT_GLOBAL` (not `OPT_FAST`).
            Command::new("make")
                .arg("-C")
                .arg(&build)
                .arg("-f")
                .arg(&unit_mk)
                .arg("OPT_GLOBAL=-O2")
                .arg("CXXFLAGS=-fPIC -fno-semantic-interposition")
                .args(objs),
            "building the Verilator runtime",
        )?;
        let tmp_lib = build.join("libedgertl_verilated.a");
        let mut ar = Command::new("ar");
        ar.arg("crs").arg(&tmp_lib);
        for o in objs {
            ar.arg(build.join(o));
        }
        run_cmd(&mut ar, "archiving the Verilator runtime")?;
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let staged = dir.join(format!(".lib-{}", std::process::id()));
        std::fs::copy(&tmp_lib, &staged).map_err(|e| e.to_string())?;
        std::fs::rename(&staged, &lib).map_err(|e| e.to_string())?;
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static=edgertl_verilated");
    Ok(())
}

fn c_type(width: u32) -> Result<&'static str, String> {
    match width {
        1..=8 => Ok("uint8_t"),
        9..=16 => Ok("uint16_t"),
        17..=32 => Ok("uint32_t"),
        33..=64 => Ok("uint64_t"),
        w => Err(format!("ports wider than 64 bits ({w}) are not supported by the harness yet")),
    }
}

fn mask(width: u32) -> u64 {
    if width >= 64 { u64::MAX } else { (1u64 << width) - 1 }
}

/// Whether the shim may evaluate only the rising edge: the fast and netlist models (the traced
/// one dumps both edges to its VCD, the coverage one counts the clock's toggles), when this
/// Verilator keeps the clock's previous value where the shim can reset it.
fn one_eval(obj: &Path, class: &str, variant: Variant) -> bool {
    matches!(variant, Variant::Fast | Variant::Netlist)
        && std::fs::read_to_string(obj.join(format!("{class}___024root.h"))).is_ok_and(|h| h.contains("__Vtrigrprev__TOP__clk;"))
}

/// The C symbol prefix of a (unit, preset, variant).
fn sym(e: &Emitted, variant: Variant) -> String {
    format!("edgertl_{}__{}_{}", e.unit, e.preset, variant.tag())
}

/// The C++ shim of one preset: one context per model (safe across threads), inputs masked to
/// their widths; the same functions for every variant, told apart by a suffix; the traced model
/// adds `_trace` and `_flush`, the coverage model `_coverage`. `_tick` runs one cycle, `_run`
/// many (one input vector per cycle), `_hold` many with the same inputs: a batch crosses the
/// FFI boundary once.
fn shim(e: &Emitted, dir: &Path, variants: &[(Variant, PathBuf)], root: &Path) -> Result<(), String> {
    let u = &e.unit;
    std::fs::create_dir_all(dir).map_err(|err| err.to_string())?;
    let mut set = String::new();
    for (i, p) in e.data_inputs().enumerate() {
        writeln!(set, "    t->{} = ({})(in[{i}] & 0x{:x}ULL);", p.name, c_type(p.width)?, mask(p.width)).unwrap();
    }
    let mut get = String::new();
    for (i, p) in e.outputs().enumerate() {
        c_type(p.width)?;
        writeln!(get, "    out[{i}] = (uint64_t)t->{};", p.name).unwrap();
    }
    let (n_in, n_out) = (e.data_inputs().count(), e.outputs().count());
    if !e.ports.iter().any(|p| p.name == "clk" && p.dir == PortDir::In) {
        return Err(format!("unit `{u}` has no `clk` input: the harness needs one"));
    }
    let mut build = cc::Build::new();
    for (variant, obj) in variants {
        let class = class(u, &e.preset, *variant);
        let f = sym(e, *variant);
        let traced = *variant == Variant::Traced;
        let (trace_include, trace_on, trace_fns) = if traced {
            (
                "#include \"verilated_vcd_c.h\"",
                "m->ctx.traceEverOn(true);",
                format!(
                    r#"
extern "C" int {f}_trace(void* p, const char* path) {{
    Model* m = static_cast<Model*>(p);
    if (m->vcd) return 0;
    m->vcd = new VerilatedVcdC;
    m->top->trace(m->vcd, 99);
    m->vcd->open(path);
    return m->vcd->isOpen() ? 0 : -1;
}}

extern "C" void {f}_flush(void* p) {{
    Model* m = static_cast<Model*>(p);
    if (m->vcd) m->vcd->flush();
}}
"#
                ),
            )
        } else {
            ("", "", String::new())
        };
        let (cov_include, cov_fns) = if *variant == Variant::Cover {
            (
                "#include \"verilated_cov.h\"",
                format!(
                    r#"
// Writes the line and toggle counts so far (a `verilator_coverage` data file).
extern "C" void {f}_coverage(void* p, const char* path) {{
    Model* m = static_cast<Model*>(p);
    m->ctx.coveragep()->write(path);
}}
"#
                ),
            )
        } else {
            ("", String::new())
        };
        let (vcd_member, vcd_close, dump0, dump1) = if traced {
            (
                "VerilatedVcdC* vcd = nullptr;",
                "if (m->vcd) { m->vcd->close(); delete m->vcd; }",
                "if (m->vcd) m->vcd->dump(m->time);",
                "if (m->vcd) m->vcd->dump(m->time + 1);",
            )
        } else {
            ("", "", "", "")
        };
        let edge = if one_eval(obj, &class, *variant) {
            // Every register is clocked on the rising edge of `clk` and every output comes
            // from a register (ARCHITECTURE.md), so the falling edge changes nothing: instead
            // of a second `eval()` with the clock low (a fifth of a cycle's instructions: the
            // input logic and the scheduler run again), the model is told the clock was low,
            // and one `eval()` with it high runs the edge. Verilator keeps the clock's last
            // value in `__Vtrigrprev__TOP__clk`; the build script checks that this Verilator
            // has it and otherwise evaluates both edges.
            "    t->rootp->__Vtrigrprev__TOP__clk = 0;\n    t->clk = 1;\n    t->eval();".to_string()
        } else {
            format!("    t->clk = 1;\n    t->eval();\n    {dump0}\n    t->clk = 0;\n    t->eval();\n    {dump1}")
        };
        let root_include = if edge.contains("rootp") { format!("#include \"{class}___024root.h\"") } else { String::new() };
        let src = format!(
            r#"// Generated by edgertl-sim's build.rs for `{u}` preset `{preset}` ({tag}). Do not edit.
#include <cstdint>
#include <cstddef>
#include "{class}.h"
{root_include}
#include "verilated.h"
{trace_include}
{cov_include}

namespace {{
struct Model {{
    VerilatedContext ctx;
    {class}* top = nullptr;
    {vcd_member}
    uint64_t time = 0;
}};

// One cycle: the inputs and a rising edge; outputs after the edge.
inline void cycle(Model* m, const uint64_t* in, uint64_t* out) {{
    {class}* t = m->top;
{set}{edge}
    m->time += 2;
{get}}}
}}

extern "C" void* {f}_new() {{
    Model* m = new Model;
    {trace_on}
    m->top = new {class}(&m->ctx, "{u}");
    m->top->clk = 0;
    m->top->eval();
    return m;
}}

extern "C" void {f}_free(void* p) {{
    Model* m = static_cast<Model*>(p);
    {vcd_close}
    m->top->final();
    delete m->top;
    delete m;
}}
{trace_fns}{cov_fns}
extern "C" void {f}_tick(void* p, const uint64_t* in, uint64_t* out) {{
    cycle(static_cast<Model*>(p), in, out);
}}

// `n` cycles, the inputs of cycle k at in[k*{n_in}], its outputs written at out[k*{n_out}].
extern "C" void {f}_run(void* p, const uint64_t* in, uint64_t* out, size_t n) {{
    Model* m = static_cast<Model*>(p);
    for (size_t k = 0; k < n; ++k) cycle(m, in + k * {n_in}, out + k * {n_out});
}}

// `n` cycles with the same inputs; the outputs after the last.
extern "C" void {f}_hold(void* p, const uint64_t* in, uint64_t* out, size_t n) {{
    Model* m = static_cast<Model*>(p);
    for (size_t k = 0; k < n; ++k) cycle(m, in, out);
}}
"#,
            tag = variant.tag(),
            preset = e.preset,
        );
        let path = dir.join(format!("shim_{}.cpp", variant.tag()));
        std::fs::write(&path, src).map_err(|err| err.to_string())?;
        // rustc links `lib<name>.a`; Verilator writes `<class>__ALL.a`.
        std::fs::copy(obj.join(format!("{class}__ALL.a")), dir.join(format!("lib{class}.a"))).map_err(|err| err.to_string())?;
        build.file(&path).include(obj);
    }
    build
        .cpp(true)
        .include(root.join("include"))
        .include(root.join("include/vltstd"))
        .flag_if_supported("-std=c++17")
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-fno-semantic-interposition")
        .opt_level(2)
        .compile(&format!("edgertl_shim_{u}__{}", e.preset));
    println!("cargo:rustc-link-search=native={}", dir.display());
    for (variant, _) in variants {
        println!("cargo:rustc-link-lib=static={}", class(u, &e.preset, *variant));
    }
    Ok(())
}

fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

/// The Rust side of one preset: port tables, index constants, FFI and a safe owner of the
/// model.
fn wrapper(e: &Emitted, variants: &[Variant]) -> String {
    let u = &e.unit;
    let p = &e.preset;
    let ins: Vec<_> = e.data_inputs().collect();
    let outs: Vec<_> = e.outputs().collect();
    let mut s = String::new();
    writeln!(s, "\n    /// `{u}` preset `{p}` (Verilog sha256 {}); variants built: {}.", e.hash, variants.iter().map(|v| v.tag()).collect::<Vec<_>>().join(", ")).unwrap();
    writeln!(s, "    pub mod {p} {{").unwrap();
    writeln!(s, "        #[allow(unused_imports)]\n        use std::ffi::{{c_char, c_int, c_void}};").unwrap();
    writeln!(s, "        use crate::harness::Variant;").unwrap();
    writeln!(s, "        /// The preset.\n        pub const PRESET: &str = \"{p}\";").unwrap();
    writeln!(s, "        /// SHA-256 of the Verilated Verilog.\n        pub const HASH: &str = \"{}\";", e.hash).unwrap();
    writeln!(s, "        /// Inputs (name, width) in the order of `tick`'s input slice; `clk` is driven by the harness.").unwrap();
    writeln!(s, "        pub const INPUTS: &[(&str, u32)] = &[{}];", ins.iter().map(|p| format!("(\"{}\", {})", p.name, p.width)).collect::<Vec<_>>().join(", ")).unwrap();
    writeln!(s, "        /// Outputs (name, width) in the order of `tick`'s output slice.").unwrap();
    writeln!(s, "        pub const OUTPUTS: &[(&str, u32)] = &[{}];", outs.iter().map(|p| format!("(\"{}\", {})", p.name, p.width)).collect::<Vec<_>>().join(", ")).unwrap();
    writeln!(s, "        /// Index of each input in `tick`'s input slice.\n        pub mod inp {{").unwrap();
    for (i, port) in ins.iter().enumerate() {
        writeln!(s, "            pub const {}: usize = {i};", upper(&port.name)).unwrap();
    }
    writeln!(s, "        }}\n        /// Index of each output in `tick`'s output slice.\n        pub mod out {{").unwrap();
    for (i, port) in outs.iter().enumerate() {
        writeln!(s, "            pub const {}: usize = {i};", upper(&port.name)).unwrap();
    }
    writeln!(s, "        }}").unwrap();
    let mut ffi = String::new();
    let mut make = String::new();
    for v in variants {
        let f = sym(e, *v);
        writeln!(ffi, "            fn {f}_new() -> *mut c_void;\n            fn {f}_free(p: *mut c_void);\n            fn {f}_tick(p: *mut c_void, inputs: *const u64, outputs: *mut u64);\n            fn {f}_run(p: *mut c_void, inputs: *const u64, outputs: *mut u64, n: usize);\n            fn {f}_hold(p: *mut c_void, inputs: *const u64, outputs: *mut u64, n: usize);").unwrap();
        writeln!(make, "                Variant::{v:?} => Fns {{ new: {f}_new, tick: {f}_tick, run: {f}_run, hold: {f}_hold, free: {f}_free }},").unwrap();
    }
    let traced = variants.contains(&Variant::Traced);
    let cover = variants.contains(&Variant::Cover);
    if traced {
        let f = sym(e, Variant::Traced);
        writeln!(ffi, "            fn {f}_trace(p: *mut c_void, path: *const c_char) -> c_int;\n            fn {f}_flush(p: *mut c_void);").unwrap();
    }
    if cover {
        writeln!(ffi, "            fn {}_coverage(p: *mut c_void, path: *const c_char);", sym(e, Variant::Cover)).unwrap();
    }
    let with_trace = if traced {
        format!(
            r#"let m = Self::of(Variant::Traced).map_err(std::io::Error::other)?;
                let c = std::ffi::CString::new(path.to_string_lossy().into_owned())
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
                match unsafe {{ {}_trace(m.ptr.as_ptr(), c.as_ptr()) }} {{
                    0 => Ok(m),
                    _ => Err(std::io::Error::other(format!("cannot open {{}} for a VCD trace", path.display()))),
                }}"#,
            sym(e, Variant::Traced)
        )
    } else {
        "let _ = path;\n                Self::of(Variant::Traced).map_err(std::io::Error::other)".to_string()
    };
    let flush = if traced { format!("unsafe {{ {}_flush(self.ptr.as_ptr()) }}", sym(e, Variant::Traced)) } else { String::new() };
    let write_cov = if cover {
        format!(
            r#"let c = std::ffi::CString::new(path.to_string_lossy().into_owned())
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
                unsafe {{ {}_coverage(self.ptr.as_ptr(), c.as_ptr()) }};
                if path.exists() {{
                    Ok(())
                }} else {{
                    Err(std::io::Error::other(format!("Verilator wrote no coverage to {{}}", path.display())))
                }}"#,
            sym(e, Variant::Cover)
        )
    } else {
        "let _ = path;\n                Err(std::io::Error::other(\"only the coverage model counts coverage\"))".to_string()
    };
    write!(
        s,
        r#"
        #[allow(dead_code)]
        extern "C" {{
{ffi}        }}

        type Tick = unsafe extern "C" fn(*mut c_void, *const u64, *mut u64);
        type Run = unsafe extern "C" fn(*mut c_void, *const u64, *mut u64, usize);

        struct Fns {{
            new: unsafe extern "C" fn() -> *mut c_void,
            tick: Tick,
            run: Run,
            hold: Run,
            free: unsafe extern "C" fn(*mut c_void),
        }}

        /// The variants this build Verilated for this preset.
        pub const VARIANTS: &[Variant] = &[{vlist}];

        /// One Verilated instance with its own Verilator context: the fast RTL model, the one
        /// that writes a VCD trace, Yosys' gate-level netlist, or the RTL with coverage counters.
        pub struct Model {{
            ptr: std::ptr::NonNull<c_void>,
            variant: Variant,
            tick: Tick,
            run: Run,
            hold: Run,
            free: unsafe extern "C" fn(*mut c_void),
        }}

        // Each instance has its own VerilatedContext and is used by one thread at a time.
        unsafe impl Send for Model {{}}

        impl Model {{
            /// A fresh instance of one variant (the traced one not yet tracing); an error that
            /// says how to build it when this build left the variant out.
            pub fn of(variant: Variant) -> Result<Self, crate::verilated::NotBuilt> {{
                let f = match variant {{
{make}                #[allow(unreachable_patterns)]
                    _ => return Err(crate::verilated::NotBuilt {{ unit: "{u}", preset: PRESET, variant }}),
                }};
                let ptr = unsafe {{ (f.new)() }};
                Ok(Self {{ ptr: std::ptr::NonNull::new(ptr).expect("Verilated model allocation failed"), variant, tick: f.tick, run: f.run, hold: f.hold, free: f.free }})
            }}

            /// The fast model (the RTL, no instrumentation): always built.
            pub fn new() -> Self {{
                Self::of(Variant::Fast).expect("the fast model is always built")
            }}

            /// Yosys' generic `synth -top {u}` netlist of the RTL (`scripts/yosys/netlist.ys`),
            /// Verilated: gate-level co-simulation, about a hundred times slower than the RTL.
            pub fn netlist() -> Result<Self, crate::verilated::NotBuilt> {{
                Self::of(Variant::Netlist)
            }}

            /// The RTL with Verilator's line and toggle coverage; see [`Self::write_coverage`].
            pub fn cover() -> Result<Self, crate::verilated::NotBuilt> {{
                Self::of(Variant::Cover)
            }}

            /// Which Verilation this instance runs.
            pub fn variant(&self) -> Variant {{
                self.variant
            }}

            /// The traced model, writing every cycle to the VCD file `path`.
            pub fn with_trace(path: &std::path::Path) -> std::io::Result<Self> {{
                {with_trace}
            }}

            /// For a test: traced into [`crate::harness::trace_path`] when `EDGERTL_TRACE` is
            /// set, fast otherwise.
            pub fn for_test(test: &str, seed: u64) -> Self {{
                match crate::harness::requested_trace(test, seed) {{
                    Some(path) => Self::with_trace(&path).unwrap_or_else(|e| panic!("{{e}}")),
                    None => Self::new(),
                }}
            }}
        }}

        impl Default for Model {{
            fn default() -> Self {{
                Self::new()
            }}
        }}

        impl crate::harness::Dut for Model {{
            #[inline]
            fn tick(&mut self, inputs: &[u64], outputs: &mut [u64]) {{
                assert!(inputs.len() == INPUTS.len() && outputs.len() == OUTPUTS.len(), "`{u}` takes {{}} inputs and gives {{}} outputs", INPUTS.len(), OUTPUTS.len());
                unsafe {{ (self.tick)(self.ptr.as_ptr(), inputs.as_ptr(), outputs.as_mut_ptr()) }}
            }}

            fn run(&mut self, inputs: &[u64], outputs: &mut [u64], cycles: usize) {{
                assert!(inputs.len() == cycles * INPUTS.len() && outputs.len() == cycles * OUTPUTS.len(), "`{u}`: {{}} inputs and {{}} outputs a cycle", INPUTS.len(), OUTPUTS.len());
                unsafe {{ (self.run)(self.ptr.as_ptr(), inputs.as_ptr(), outputs.as_mut_ptr(), cycles) }}
            }}

            fn hold(&mut self, inputs: &[u64], outputs: &mut [u64], cycles: u64) {{
                assert!(inputs.len() == INPUTS.len() && outputs.len() == OUTPUTS.len(), "`{u}` takes {{}} inputs and gives {{}} outputs", INPUTS.len(), OUTPUTS.len());
                unsafe {{ (self.hold)(self.ptr.as_ptr(), inputs.as_ptr(), outputs.as_mut_ptr(), cycles as usize) }}
            }}

            fn flush_trace(&mut self) {{
                if self.variant == Variant::Traced {{
                    {flush}
                }}
            }}
        }}

        impl crate::verilated::Verilated for Model {{
            fn inputs(&self) -> crate::harness::Ports {{
                INPUTS
            }}
            fn outputs(&self) -> crate::harness::Ports {{
                OUTPUTS
            }}
            fn variant(&self) -> Variant {{
                self.variant
            }}
            fn write_coverage(&self, path: &std::path::Path) -> std::io::Result<()> {{
                if self.variant != Variant::Cover {{
                    return Err(std::io::Error::other("only the coverage model counts coverage"));
                }}
                {write_cov}
            }}
        }}

        impl Drop for Model {{
            fn drop(&mut self) {{
                unsafe {{ (self.free)(self.ptr.as_ptr()) }}
            }}
        }}
    }}
"#,
        vlist = variants.iter().map(|v| format!("Variant::{v:?}")).collect::<Vec<_>>().join(", "),
    )
    .unwrap();
    s
}
