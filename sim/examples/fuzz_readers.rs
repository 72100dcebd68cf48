//! The long fuzz run of the file readers (`scripts/fuzz.sh`): `N` inputs per reader (default
//! 1,000,000) from `SEED`, through `edgertl_sim::rlc::fuzz`, with a ceiling on what one input
//! may allocate (64 bytes per input byte plus 1 MiB: a reader that believed a header's size
//! would blow it). Prints the counts, the time and every crash; exits 1 on any.
//!
//! `cargo run --release -p edgertl-sim --example fuzz_readers -- [N] [SEED]`

use edgertl_sim::rlc::fuzz::{self, Target};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts the live bytes and their peak since the last reset.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(1_000_000, |a| a.parse().expect("N: a number of inputs"));
    let seed: u64 = args.next().map_or(1, |a| a.parse().expect("SEED: a number"));
    let mut failed = false;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for target in Target::ALL {
        let corpus = target.corpus();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let started = Instant::now();
        let (mut accepted, mut crashes, mut worst) = (0u64, Vec::new(), 0f64);
        for _ in 0..n {
            let bytes = fuzz::input(&mut rng, &corpus);
            let base = LIVE.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let outcome = target.run(&bytes);
            let used = PEAK.load(Ordering::Relaxed) - base;
            let ceiling = 64 * bytes.len() + (1 << 20);
            worst = worst.max(used as f64 / bytes.len().max(1) as f64);
            match outcome {
                Ok(ok) => accepted += ok as u64,
                Err(what) => crashes.push((bytes.clone(), what)),
            }
            if used > ceiling {
                crashes.push((bytes, format!("allocated {used} bytes for one input (ceiling {ceiling})")));
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{}: {n} inputs in {secs:.1} s ({:.0}/s), {accepted} accepted, {} crash(es); most allocated: {worst:.1} bytes per input byte",
            target.name(),
            n as f64 / secs,
            crashes.len()
        );
        for (bytes, what) in crashes.iter().take(10) {
            println!("  crash: {what}\n    input ({} bytes): {:02x?}", bytes.len(), &bytes[..bytes.len().min(96)]);
        }
        failed |= !crashes.is_empty();
    }
    std::panic::set_hook(previous);
    if failed {
        std::process::exit(1);
    }
}
