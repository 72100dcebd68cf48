// The PE in a tight C++ loop: Verilator's model and nothing else, for measuring how fast the
// emitted Verilog simulates (see pe_loop.sh, which builds and runs this).
//
// 1. Records a stimulus: a reactive driver (the protocol of sim/src/pe/driver.rs: config,
//    filters, per output psum_in and ifmap words, MAC, psum_out, with random idle and
//    back-pressure on every stream and random sparsity) runs random passes for N cycles and
//    keeps every cycle's inputs and a hash of every cycle's outputs.
// 2. Replays the inputs through a fresh model, best of R runs, one tick per cycle as the
//    harness does (inputs, clk high + eval, clk low + eval, read every output), checks the
//    outputs' hash, and prints cycles/s.
//
// The output hash depends only on the PE's behaviour: two Verilog versions that print the
// same hash behaved identically, cycle by cycle and bit by bit, on this stimulus.
// Under callgrind run with `--toggle-collect=replay*` to count the replay only.

#include "Vpe.h"
#include "verilated.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

namespace {

struct In {
    uint16_t filt_data, ifmap_data, psum_in_data;
    uint8_t cfg_s, cfg_u, cfg_p, cfg_q, cfg_e, cfg_shift;
    uint8_t bits;  // rst, cfg_valid, filt_valid, ifmap_valid, psum_in_valid, psum_out_ready
};
enum { RST = 1, CFG_VALID = 2, FILT_VALID = 4, IFMAP_VALID = 8, PSUM_IN_VALID = 16, PSUM_OUT_READY = 32 };

struct Rng {
    uint64_t s;
    uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    uint32_t range(uint32_t lo, uint32_t hi) { return lo + (uint32_t)(next() % (hi - lo + 1)); }
    bool chance(double p) { return (double)(next() >> 11) * (1.0 / 9007199254740992.0) < p; }
};

inline void apply(Vpe* t, const In& in) {
    t->rst = in.bits & RST;
    t->cfg_valid = (in.bits >> 1) & 1;
    t->cfg_s = in.cfg_s;
    t->cfg_u = in.cfg_u;
    t->cfg_p = in.cfg_p;
    t->cfg_q = in.cfg_q;
    t->cfg_e = in.cfg_e;
    t->cfg_shift = in.cfg_shift;
    t->filt_valid = (in.bits >> 2) & 1;
    t->filt_data = in.filt_data;
    t->ifmap_valid = (in.bits >> 3) & 1;
    t->ifmap_data = in.ifmap_data;
    t->psum_in_valid = (in.bits >> 4) & 1;
    t->psum_in_data = in.psum_in_data;
    t->psum_out_ready = (in.bits >> 5) & 1;
}

// One cycle, as the harness's shim does it; returns a hash of every output after the edge.
inline uint64_t tick(Vpe* t, const In& in) {
    apply(t, in);
    t->clk = 1;
    t->eval();
    t->clk = 0;
    t->eval();
    uint64_t h = t->cfg_ready | (uint64_t)t->cfg_error << 1 | (uint64_t)t->busy << 2 | (uint64_t)t->filt_ready << 3 |
                 (uint64_t)t->ifmap_ready << 4 | (uint64_t)t->psum_in_ready << 5 | (uint64_t)t->psum_out_valid << 6 |
                 (uint64_t)t->psum_out_data << 8;
    h = h * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)t->macs << 32 | t->macs_gated);
    h = h * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)t->filt_spad_reads << 32 | t->filt_spad_writes);
    h = h * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)t->ifmap_spad_reads << 32 | t->ifmap_spad_writes);
    h = h * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)t->psum_spad_reads << 32 | t->psum_spad_writes);
    return h;
}

inline uint64_t fold(uint64_t acc, uint64_t h) { return (acc ^ h) * 0x100000001b3ULL; }

Vpe* fresh(VerilatedContext* ctx) {
    Vpe* t = new Vpe(ctx, "eyeriss_pe");
    t->clk = 0;
    t->eval();
    return t;
}

// The reactive driver: random passes until `cycles` cycles are recorded.
std::vector<In> record(uint64_t cycles, uint64_t seed, uint64_t* hash) {
    VerilatedContext ctx;
    Vpe* t = fresh(&ctx);
    Rng rng{seed * 0x9e3779b97f4a7c15ULL + 1};
    std::vector<In> rec;
    rec.reserve(cycles + 100000);
    uint64_t acc = 0xcbf29ce484222325ULL;
    In in{};
    auto step = [&]() {
        rec.push_back(in);
        acc = fold(acc, tick(t, in));
    };
    in.bits = RST;
    step();
    step();
    in.bits = 0;
    const double idle_levels[4] = {0.0, 0.1, 0.5, 0.9};
    const double sparsity_levels[5] = {0.0, 0.3, 0.6, 0.9, 1.0};
    auto word = [&](double zeros) -> uint16_t {
        if (zeros > 0.0 && rng.chance(zeros)) return 0;
        uint32_t k = rng.range(0, 9);
        if (k == 0) {
            const uint16_t ext[4] = {0x8000, 0x7fff, 0xffff, 1};
            return ext[rng.range(0, 3)];
        }
        if (k <= 4) return (uint16_t)(int16_t)((int)rng.range(0, 32) - 16);
        return (uint16_t)rng.next();
    };
    while (rec.size() < cycles) {
        // A random pass, about one in ten illegal (as sim/src/pe/driver.rs's random_pass).
        uint32_t q = rng.range(1, 12), s = rng.range(1, 12 / q);
        uint32_t p_max = 224 / (q * s) < 24 ? 224 / (q * s) : 24;
        uint32_t p = rng.range(1, p_max), u = rng.range(1, 12), e = rng.range(1, 40);
        const uint8_t shifts[8] = {0, 1, 4, 8, 12, 15, 16, 31};
        uint32_t shift = shifts[rng.range(0, 7)];
        bool legal = true;
        if (rng.chance(0.1)) {
            legal = false;
            switch (rng.range(0, 3)) {
            case 0: s = 0; break;
            case 1: p = rng.range(25, 31); break;
            case 2: u = 13; break;
            default: e = 0; break;
            }
        }
        double sparsity = sparsity_levels[rng.range(0, 4)];
        std::deque<uint16_t> filt, ifmap, psum_in;
        if (legal) {
            for (uint32_t i = 0; i < p * q * s; i++) filt.push_back(word(0.05));
            uint32_t ni = q * s + (e - 1) * q * u;
            for (uint32_t i = 0; i < ni; i++) ifmap.push_back(word(sparsity));
            for (uint32_t i = 0; i < e * p; i++) psum_in.push_back(word(0.1));
        }
        double fi = idle_levels[rng.range(0, 3)], ii = idle_levels[rng.range(0, 3)];
        double pi = idle_levels[rng.range(0, 3)], po = idle_levels[rng.range(0, 3)];
        uint32_t outs = legal ? e * p : 0, got = 0;
        in.bits = CFG_VALID;
        in.cfg_s = s, in.cfg_u = u, in.cfg_p = p, in.cfg_q = q, in.cfg_e = e, in.cfg_shift = shift;
        uint64_t start = rec.size();
        for (;;) {
            bool fv = !filt.empty() && !rng.chance(fi), iv = !ifmap.empty() && !rng.chance(ii);
            bool pv = !psum_in.empty() && !rng.chance(pi), orr = !rng.chance(po);
            bool f_moves = fv && t->filt_ready, i_moves = iv && t->ifmap_ready, p_moves = pv && t->psum_in_ready;
            if (orr && t->psum_out_valid) got++;
            in.bits = (in.bits & CFG_VALID) | (fv ? FILT_VALID : 0) | (iv ? IFMAP_VALID : 0) |
                      (pv ? PSUM_IN_VALID : 0) | (orr ? PSUM_OUT_READY : 0);
            in.filt_data = fv ? filt.front() : 0;
            in.ifmap_data = iv ? ifmap.front() : 0;
            in.psum_in_data = pv ? psum_in.front() : 0;
            step();
            in.bits &= ~CFG_VALID;
            if (f_moves) filt.pop_front();
            if (i_moves) ifmap.pop_front();
            if (p_moves) psum_in.pop_front();
            if (t->cfg_ready) break;
            if (rec.size() - start > 10000000) {
                std::fprintf(stderr, "the PE did not finish a pass\n");
                std::exit(1);
            }
        }
        while (got < outs) {
            bool orr = !rng.chance(po);
            if (orr && t->psum_out_valid) got++;
            in.bits = orr ? PSUM_OUT_READY : 0;
            in.filt_data = in.ifmap_data = in.psum_in_data = 0;
            step();
        }
        in.bits = 0;
        if (!filt.empty() || !ifmap.empty() || !psum_in.empty() || t->psum_out_valid) {
            std::fprintf(stderr, "the PE left words behind (%zu %zu %zu)\n", filt.size(), ifmap.size(), psum_in.size());
            std::exit(1);
        }
    }
    t->final();
    delete t;
    *hash = acc;
    return rec;
}

// The measured loop (its name is what callgrind's --toggle-collect=replay* counts).
__attribute__((noinline)) uint64_t replay(Vpe* t, const In* in, size_t n) {
    uint64_t acc = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) acc = fold(acc, tick(t, in[i]));
    return acc;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t cycles = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
    int runs = argc > 2 ? std::atoi(argv[2]) : 3;
    uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 2016;
    uint64_t want = 0;
    std::vector<In> rec = record(cycles, seed, &want);
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        VerilatedContext ctx;
        Vpe* t = fresh(&ctx);
        auto t0 = std::chrono::steady_clock::now();
        uint64_t got = replay(t, rec.data(), rec.size());
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (got != want) {
            std::fprintf(stderr, "replay diverged from the recording\n");
            return 1;
        }
        if (s < best) best = s;
        t->final();
        delete t;
    }
    std::printf("cycles %zu  outputs-hash %016llx  best of %d: %.3f s  %.2f M cycles/s\n", rec.size(),
                (unsigned long long)want, runs, best, rec.size() / best / 1e6);
    return 0;
}
