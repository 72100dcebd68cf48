//! Text-level rewrite of rust-hdl's Verilog. rust-hdl's output is very regular (one
//! declaration a line, instances as `TYPE name(` / `.port(sig),` / `);`, one `always @(*)`
//! per module), and this pass relies on that shape; anything it does not recognise is an
//! error, never a silent mis-translation. The one exception is [`split_update`]: a block it
//! does not fully understand is left as rust-hdl wrote it (correct, only slower to simulate).

use super::{Port, PortDir};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// The marker the [`crate::widgets::Reg`] widget puts in its Verilog so that this pass can
/// recognise and inline it.
pub(crate) const REG_MARKER: &str = "edgertl:reg";

pub(crate) struct Clean {
    pub body: String,
    pub ports: Vec<Port>,
    pub modules: Vec<String>,
}

#[derive(Clone, Debug)]
struct Decl {
    kind: String,
    width: u32,
    name: String,
    /// Everything after the name (` = value` for localparams), without the `;`.
    rest: String,
}

#[derive(Clone, Debug)]
struct Instance {
    kind: String,
    name: String,
    conns: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
enum Item {
    Decl(Decl),
    Inst(Instance),
    Text(String),
}

#[derive(Clone, Debug)]
struct Module {
    name: String,
    args: Vec<String>,
    items: Vec<Item>,
}

fn decl_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^\s*(input wire|output reg|output wire|inout wire|reg|wire|localparam)\s+(?:signed\s+)?(?:\[(\d+):0\]\s+)?([A-Za-z_][A-Za-z0-9_$]*)\s*(.*);\s*$",
        )
        .unwrap()
    })
}

fn ident_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\$?[A-Za-z_][A-Za-z0-9_$]*").unwrap())
}

fn parse(raw: &str) -> Result<Vec<Module>, String> {
    let header = Regex::new(r"^module\s+([^\s(]+)\((.*)\);\s*$").unwrap();
    let inst_head = Regex::new(r"^\s*([A-Za-z_][A-Za-z0-9_$]*)\s+([A-Za-z_][A-Za-z0-9_$]*)\($").unwrap();
    let conn = Regex::new(r"^\s*\.([A-Za-z_][A-Za-z0-9_$]*)\((.*?)\),?\s*$").unwrap();
    let mut modules = Vec::new();
    let mut lines = raw.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(h) = header.captures(line.trim()) else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(format!("unexpected line outside a module: `{line}`"));
        };
        let mut m = Module {
            name: h[1].to_string(),
            args: h[2].split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            items: Vec::new(),
        };
        loop {
            let Some(line) = lines.next() else {
                return Err(format!("module `{}` has no endmodule", m.name));
            };
            if line.trim_start().starts_with("endmodule") {
                break;
            }
            if let Some(d) = decl_re().captures(line) {
                m.items.push(Item::Decl(Decl {
                    kind: d[1].to_string(),
                    width: d.get(2).map_or(Ok(1), |w| w.as_str().parse::<u32>().map(|w| w + 1)).map_err(|e| e.to_string())?,
                    name: d[3].to_string(),
                    rest: d[4].trim_end().to_string(),
                }));
            } else if let Some(ih) = inst_head.captures(line).filter(|c| &c[1] != "always" && &c[1] != "if") {
                let mut inst = Instance { kind: ih[1].to_string(), name: ih[2].to_string(), conns: Vec::new() };
                loop {
                    let Some(l) = lines.next() else {
                        return Err(format!("instance `{}` in `{}` is not closed", inst.name, m.name));
                    };
                    if l.trim() == ");" {
                        break;
                    }
                    let c = conn.captures(l).ok_or_else(|| format!("unexpected port connection `{l}`"))?;
                    inst.conns.push((c[1].to_string(), c[2].to_string()));
                }
                m.items.push(Item::Inst(inst));
            } else {
                m.items.push(Item::Text(line.to_string()));
            }
        }
        modules.push(m);
    }
    Ok(modules)
}

impl Module {
    fn decls(&self) -> impl Iterator<Item = &Decl> {
        self.items.iter().filter_map(|i| if let Item::Decl(d) = i { Some(d) } else { None })
    }
    fn is_reg(&self) -> bool {
        self.items.iter().any(|i| matches!(i, Item::Text(t) if t.contains(REG_MARKER)))
    }
    fn width_of(&self, name: &str) -> Option<u32> {
        self.decls().find(|d| d.name == name).map(|d| d.width)
    }
}

/// Replaces every whole identifier `from` in `text` by `to`.
fn replace_ident(text: &str, map: &HashMap<String, String>) -> String {
    ident_re()
        .replace_all(text, |c: &regex::Captures| map.get(&c[0]).cloned().unwrap_or_else(|| c[0].to_string()))
        .into_owned()
}

/// Rust-side clock and reset stubs (`child$clock = clk;`) become direct connections, so that
/// no clock passes through combinational logic.
fn alias_clock_and_reset(m: &mut Module) -> Result<(), String> {
    let stubs: Vec<String> = m
        .decls()
        .filter(|d| d.kind == "reg" && (d.name.ends_with("$clock") || d.name.ends_with("$clk") || d.name.ends_with("$rst")))
        .map(|d| d.name.clone())
        .collect();
    let mut alias = HashMap::new();
    for stub in &stubs {
        let assign = Regex::new(&format!(r"^\s*{}\s*=\s*(.*);\s*$", regex::escape(stub))).unwrap();
        let hits: Vec<(usize, String)> = m
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| match it {
                Item::Text(t) => assign.captures(t).map(|c| (i, c[1].trim().to_string())),
                _ => None,
            })
            .collect();
        match hits.as_slice() {
            [(at, rhs)] if ident_re().find(rhs).is_some_and(|f| f.as_str() == rhs) => {
                alias.insert(stub.clone(), rhs.clone());
                m.items[*at] = Item::Text(String::new());
            }
            _ => {
                return Err(format!(
                    "`{stub}` in `{}` must be assigned exactly once, from a plain signal (clock and reset may not go through logic)",
                    m.name
                ))
            }
        }
    }
    m.items.retain(|it| match it {
        Item::Decl(d) => !alias.contains_key(&d.name),
        Item::Text(t) => !t.is_empty(),
        _ => true,
    });
    for it in &mut m.items {
        if let Item::Inst(inst) = it {
            for (_, sig) in &mut inst.conns {
                if let Some(a) = alias.get(sig.as_str()) {
                    *sig = a.clone();
                }
            }
        }
    }
    Ok(())
}

/// The reset a description ties to 0 for registers that have none (a synchronizer's): the
/// emitter writes those registers without a reset branch and drops the tie-off.
pub(crate) const NO_RESET: &str = "no_rst";

/// Inlines every instance of a register module as an `always @(posedge clk)` block.
fn inline_registers(m: &mut Module, regs: &BTreeMap<String, Module>) -> Result<(), String> {
    // (clock, reset) -> [(q, d, width)]: one always block per clock and reset pair.
    type Registers = Vec<(String, String, u32)>;
    let mut groups: BTreeMap<(String, String), Registers> = BTreeMap::new();
    let mut became_reg = BTreeSet::new();
    let mut kept = Vec::new();
    for it in std::mem::take(&mut m.items) {
        match it {
            Item::Inst(inst) if regs.contains_key(&inst.kind) => {
                let get = |p: &str| {
                    inst.conns
                        .iter()
                        .find(|(port, _)| port == p)
                        .map(|(_, s)| s.clone())
                        .ok_or_else(|| format!("register `{}` in `{}` has no `{p}` connection", inst.name, m.name))
                };
                let (d, q, clk, rst) = (get("d")?, get("q")?, get("clock")?, get("rst")?);
                let width = regs[&inst.kind].width_of("q").ok_or("register module without q")?;
                groups.entry((clk, rst)).or_default().push((q.clone(), d, width));
                became_reg.insert(q);
            }
            other => kept.push(other),
        }
    }
    for it in &mut kept {
        if let Item::Decl(d) = it {
            if became_reg.contains(&d.name) {
                d.kind = "reg".into();
            }
        }
    }
    // Power-on registers (`por*`) and registers without reset get an `initial` zero: the value
    // FPGA flip-flops take at configuration, made explicit so that a 4-state simulator does not
    // hold them at X until `rst` is pulsed (Yosys turns it into the flip-flops' init value).
    let power_on = |q: &str| q.split(['$', '_']).next() == Some("por");
    let mut initial: Vec<String> = Vec::new();
    // With one clock and reset, the next-state logic moves into the clocked process.
    let split = match groups.iter().next() {
        Some((_, regs)) if groups.len() == 1 => split_update(&kept, regs),
        _ => None,
    };
    let mut next_state = Vec::new();
    if let Some(s) = &split {
        let comb: Vec<Item> = s.comb.iter().map(|l| Item::Text(l.clone())).collect();
        kept.splice(s.range.clone(), comb);
        next_state = s.next_state.clone();
    }
    for ((clk, rst), regs) in groups {
        let no_reset = rst == NO_RESET;
        initial.extend(regs.iter().filter(|(q, _, _)| no_reset || power_on(q)).map(|(q, _, w)| format!("        {q} = {w}'h0;\n")));
        let what = if no_reset {
            // A synchronizer's flip-flops: no reset at all, said so.
            "Registers without reset (their power-on value is the initial block's)"
        } else {
            "Registers (synchronous active-high reset)"
        };
        let mut b = if split.is_some() {
            let mut b = format!(
                "\n    // {what} and their next state, computed once a\n    \
                 // clock edge: the `_d` values and the helpers only they need are this process's\n    \
                 // variables, assigned with `=` (so BLKSEQ is waived here); each register then\n    \
                 // takes its `_d`{}.\n",
                if no_reset { "" } else { ", or zero while `rst` is high" }
            );
            b.push_str(&format!("    /* verilator lint_off BLKSEQ */\n    always @(posedge {clk}) begin\n"));
            for l in &next_state {
                b.push_str(l);
                b.push('\n');
            }
            b
        } else {
            format!("\n    // {what}\n    always @(posedge {clk}) begin\n")
        };
        if split.is_some() {
            // One line a register (the same logic as an `if (rst)` block; on the ECP5, Yosys and
            // nextpnr placed it at 131 MHz where the `if` form of this process gave 118).
            for (q, d, w) in &regs {
                if no_reset {
                    b.push_str(&format!("        {q} <= {d};\n"));
                } else {
                    b.push_str(&format!("        {q} <= {rst} ? {w}'h0 : {d};\n"));
                }
            }
            b.push_str("    end\n    /* verilator lint_on BLKSEQ */");
        } else if no_reset {
            for (q, d, _) in &regs {
                b.push_str(&format!("        {q} <= {d};\n"));
            }
            b.push_str("    end");
        } else {
            b.push_str(&format!("        if ({rst}) begin\n"));
            for (q, _, w) in &regs {
                b.push_str(&format!("            {q} <= {w}'h0;\n"));
            }
            b.push_str("        end else begin\n");
            for (q, d, _) in &regs {
                b.push_str(&format!("            {q} <= {d};\n"));
            }
            b.push_str("        end\n    end");
        }
        kept.push(Item::Text(b));
    }
    if !initial.is_empty() {
        kept.push(Item::Text(format!("\n    // Power-on values (FPGA flip-flops start at these; see above)\n    initial begin\n{}    end", initial.concat())));
    }
    if kept.iter().any(|it| matches!(it, Item::Decl(d) if d.name == NO_RESET)) {
        // The tie-off that marked those registers is read by nothing now.
        let tie = format!("{NO_RESET} =");
        kept.retain(|it| match it {
            Item::Decl(d) => d.name != NO_RESET,
            Item::Text(t) => !t.trim_start().starts_with(&tie),
            _ => true,
        });
    }
    m.items = kept;
    Ok(())
}

/// rust-hdl's `always @(*)` block split in two: what leaves it (outputs, submodule inputs)
/// stays combinational; the registers' next state goes into the clocked process.
struct SplitUpdate {
    /// The items of the `always @(*)` block, its first and last line included.
    range: std::ops::Range<usize>,
    /// The combinational block's new lines (none when nothing leaves the block).
    comb: Vec<String>,
    /// The next-state statements, for the top of the clocked process.
    next_state: Vec<String>,
}

/// One line of an `always @(*)` body: an assignment, or structure (`if`, `else`, `end`).
enum Line {
    Assign { lhs: String, reads: BTreeSet<String> },
    Structure { reads: BTreeSet<String> },
}

fn idents(text: &str) -> BTreeSet<String> {
    ident_re().find_iter(text).map(|m| m.as_str().to_string()).collect()
}

fn classify(line: &str) -> Option<Line> {
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    static STRUCTURE: OnceLock<Regex> = OnceLock::new();
    let assign = ASSIGN.get_or_init(|| Regex::new(r"^\s*([A-Za-z_][A-Za-z0-9_$]*)(\[[^\]=]*\])?\s*=\s*([^=].*);\s*$").unwrap());
    let structure = STRUCTURE
        .get_or_init(|| Regex::new(r"^(if \(.*\) begin|end else if \(.*\) begin|end else begin|else begin|end|)$").unwrap());
    if let Some(c) = assign.captures(line) {
        let mut reads = idents(&c[3]);
        reads.extend(c.get(2).map(|i| idents(i.as_str())).unwrap_or_default());
        return Some(Line::Assign { lhs: c[1].to_string(), reads });
    }
    let t = line.trim();
    if structure.is_match(t) || t.starts_with("//") {
        return Some(Line::Structure { reads: idents(t) });
    }
    None
}

/// Drops `if` blocks and `else` branches left empty, so that a sliced block reads well.
fn prune_empty(lines: &[&str], kept: &mut Vec<usize>) {
    loop {
        let t = |k: usize| kept.get(k).map(|&i| lines[i].trim());
        let mut drop = None;
        for k in 0..kept.len() {
            let (a, b, c) = (t(k).unwrap_or(""), t(k + 1), t(k + 2));
            let opens = a.starts_with("if (") || a.starts_with("end else if (");
            if opens && b == Some("end") && !matches!(c, Some(x) if x.starts_with("else") || x.starts_with("end else")) {
                // `end else if (c) begin` + `end`: the empty branch goes, its `end` closes the one before.
                drop = Some(if a.starts_with("if (") { vec![k, k + 1] } else { vec![k] });
                break;
            }
            if a == "end else begin" && b == Some("end") {
                drop = Some(vec![k]);
                break;
            }
            if a == "else begin" && b == Some("end") {
                drop = Some(vec![k, k + 1]);
                break;
            }
        }
        match drop {
            Some(ks) => {
                for k in ks.into_iter().rev() {
                    kept.remove(k);
                }
            }
            None => return,
        }
    }
}

/// `if (c) begin` with an empty then-branch and an else-branch becomes `if (!(c)) begin`.
fn negate_empty_thens(mut lines: Vec<String>) -> Vec<String> {
    static IF: OnceLock<Regex> = OnceLock::new();
    let if_re = IF.get_or_init(|| Regex::new(r"^(\s*)if \((.*)\) begin$").unwrap());
    let mut k = 0;
    while k + 1 < lines.len() {
        let t = |i: usize| lines.get(i).map(|l| l.trim()).unwrap_or("");
        let drop = match (t(k + 1), t(k + 2)) {
            ("end else begin", _) => 1,
            ("end", "else begin") => 2,
            _ => 0,
        };
        if let (Some(c), true) = (if_re.captures(&lines[k]), drop > 0) {
            lines[k] = format!("{}if (!({})) begin", &c[1], &c[2]);
            lines.drain(k + 1..k + 1 + drop);
        }
        k += 1;
    }
    lines
}

/// The lines of `body` that compute `roots`: every assignment to a variable needed (roots, and
/// what kept lines read), none to a variable in `given` (provided by the caller), and the
/// `if`s around them.
fn slice(lines: &[&str], body: &[Line], roots: &BTreeSet<String>, given: &BTreeSet<String>) -> Vec<usize> {
    let mut needed = roots.clone();
    loop {
        let mut kept: Vec<usize> = (0..body.len())
            .filter(|&i| match &body[i] {
                Line::Assign { lhs, .. } => needed.contains(lhs) && !given.contains(lhs),
                Line::Structure { .. } => true,
            })
            .collect();
        prune_empty(lines, &mut kept);
        let before = needed.len();
        for &i in &kept {
            match &body[i] {
                Line::Assign { reads, .. } | Line::Structure { reads } => needed.extend(reads.iter().cloned()),
            }
        }
        if needed.len() == before {
            return kept;
        }
    }
}

/// Splits the module's `always @(*)` block (in `items`) for registers `regs` (q, d, width).
/// `None` leaves the module as it is: no such block, a line this pass does not know, a `_d`
/// read outside the block, or a combinational value the next state would read before its last
/// assignment.
fn split_update(items: &[Item], regs: &[(String, String, u32)]) -> Option<SplitUpdate> {
    let text = |i: usize| match &items[i] {
        Item::Text(t) => Some(t.as_str()),
        _ => None,
    };
    let starts: Vec<usize> = (0..items.len()).filter(|&i| text(i).is_some_and(|t| t.trim() == "always @(*) begin")).collect();
    let [start] = starts[..] else { return None };
    let head = text(start)?;
    let indent = &head[..head.len() - head.trim_start().len()];
    let end = (start + 1..items.len()).find(|&i| text(i).is_some_and(|t| t.trim() == "end" && t.starts_with(indent) && t[indent.len()..].trim() == "end" && t.len() - t.trim_start().len() == indent.len()))?;
    let lines: Vec<&str> = (start + 1..end).map(text).collect::<Option<_>>()?;
    let body: Vec<Line> = lines.iter().map(|l| classify(l)).collect::<Option<_>>()?;
    let ds: BTreeSet<String> = regs.iter().map(|(_, d, _)| d.clone()).collect();
    let assigned: BTreeSet<String> =
        body.iter().filter_map(|l| if let Line::Assign { lhs, .. } = l { Some(lhs.clone()) } else { None }).collect();
    // What the rest of the module reads (instances, outputs, other blocks): the registers'
    // own block is not written yet, so their d's are not in it.
    let mut outside = BTreeSet::new();
    for (i, it) in items.iter().enumerate() {
        if (start..=end).contains(&i) {
            continue;
        }
        match it {
            Item::Inst(inst) => inst.conns.iter().for_each(|(_, s)| outside.extend(idents(s))),
            Item::Text(t) => outside.extend(idents(t)),
            Item::Decl(d) if d.kind.starts_with("output") => {
                outside.insert(d.name.clone());
            }
            Item::Decl(_) => {}
        }
    }
    if ds.iter().any(|d| outside.contains(d)) {
        return None;
    }
    let comb_roots: BTreeSet<String> = assigned.iter().filter(|n| outside.contains(*n)).cloned().collect();
    let comb = slice(&lines, &body, &comb_roots, &ds);
    let in_comb: BTreeSet<String> =
        comb.iter().filter_map(|&i| if let Line::Assign { lhs, .. } = &body[i] { Some(lhs.clone()) } else { None }).collect();
    // `unused_*` (the lint convention for the bits a cut drops) stay beside the cut.
    let roots: BTreeSet<String> =
        assigned.iter().filter(|n| ds.contains(*n) || (n.starts_with("unused") && !in_comb.contains(*n))).cloned().collect();
    let next = slice(&lines, &body, &roots, &in_comb);
    // The next state reads a combinational value as it is after the block: only right if the
    // original block read it after its last assignment too.
    for v in &in_comb {
        let last_write = (0..body.len()).filter(|&i| matches!(&body[i], Line::Assign { lhs, .. } if lhs == v)).max();
        let first_read = next.iter().copied().find(|&i| match &body[i] {
            Line::Assign { reads, .. } | Line::Structure { reads } => reads.contains(v),
        });
        if let (Some(w), Some(r)) = (last_write, first_read) {
            if r <= w {
                return None;
            }
        }
    }
    let mut comb_lines = Vec::new();
    if comb.iter().any(|&i| matches!(body[i], Line::Assign { .. })) {
        comb_lines.push(head.to_string());
        comb_lines.extend(negate_empty_thens(comb.iter().map(|&i| lines[i].to_string()).collect()));
        comb_lines.push(text(end)?.to_string());
    }
    Some(SplitUpdate {
        range: start..end + 1,
        comb: comb_lines,
        next_state: negate_empty_thens(next.iter().map(|&i| lines[i].to_string()).collect()),
    })
}

/// rust-hdl writes every integer literal as 32 bits. Resize a literal to the signal it meets
/// where that cannot change the result: a plain assignment, a comparison with a plain signal,
/// or `x = y +/- literal` (also `x = y + z - literal` and longer sums of plain signals, all of
/// one width). Literals that do not fit are left for lint to report.
fn size_literals(m: &Module, line: &str) -> String {
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    static CMP: OnceLock<Regex> = OnceLock::new();
    static ADD: OnceLock<Regex> = OnceLock::new();
    let assign = ASSIGN.get_or_init(|| Regex::new(r"^(\s*)([A-Za-z_][A-Za-z0-9_$]*) = 32'h([0-9a-f]+);$").unwrap());
    let cmp = CMP.get_or_init(|| {
        Regex::new(r"([(&|]\s*|^\s*)([A-Za-z_][A-Za-z0-9_$]*) (==|!=|<|<=|>|>=) 32'h([0-9a-f]+)(\s*[)&|;])").unwrap()
    });
    let add = ADD.get_or_init(|| {
        Regex::new(r"^(\s*[A-Za-z_][A-Za-z0-9_$]* = )((?:[A-Za-z_][A-Za-z0-9_$]* [+-] )+)32'h([0-9a-f]+);$").unwrap()
    });
    let fits = |w: u32, hex: &str| u64::from_str_radix(hex, 16).is_ok_and(|v| w >= 64 || v < (1u64 << w));
    let line = &size_casts(m, line);
    if let Some(c) = assign.captures(line) {
        if let Some(w) = m.width_of(&c[2]).filter(|w| fits(*w, &c[3])) {
            return format!("{}{} = {w}'h{};", &c[1], &c[2], &c[3]);
        }
    }
    if let Some(c) = add.captures(line) {
        // The operands, each followed by its operator: `y + z - ` gives y and z.
        let widths: Vec<Option<u32>> = c[2].split_whitespace().step_by(2).map(|s| m.width_of(s)).collect();
        if let Some(&Some(w)) = widths.first() {
            if widths.iter().all(|x| *x == Some(w)) && fits(w, &c[3]) {
                return format!("{}{}{w}'h{};", &c[1], &c[2], &c[3]);
            }
        }
    }
    cmp.replace_all(line, |c: &regex::Captures| match m.width_of(&c[2]).filter(|w| fits(*w, &c[4])) {
        Some(w) => format!("{}{} {} {w}'h{}{}", &c[1], &c[2], &c[3], &c[4], &c[5]),
        None => c[0].to_string(),
    })
    .into_owned()
}

/// rust-hdl writes `bit_cast::<W, _>(x)` as `((x) & W'hff..)`, which lint flags as a width
/// mismatch. For a plain signal `x` of width w write the same value explicitly: a
/// zero-extension `{(W-w)'h0, x}`, a part-select `x[W-1:0]`, or `x` itself.
fn size_casts(m: &Module, line: &str) -> String {
    static CAST: OnceLock<Regex> = OnceLock::new();
    let cast = CAST.get_or_init(|| Regex::new(r"\(\(([A-Za-z_][A-Za-z0-9_$]*)\) & (\d+)'h([0-9a-f]+)\)").unwrap());
    cast.replace_all(line, |c: &regex::Captures| {
        let to: u32 = c[2].parse().unwrap_or(0);
        let all_ones = to >= 1 && c[3] == all_ones_hex(to);
        match m.width_of(&c[1]) {
            Some(w) if all_ones && w < to => format!("{{{}'h0, {}}}", to - w, &c[1]),
            Some(w) if all_ones && w > to => format!("{}[{}:0]", &c[1], to - 1),
            Some(w) if all_ones && w == to => c[1].to_string(),
            _ => c[0].to_string(),
        }
    })
    .into_owned()
}

/// The hex digits of a `bits`-wide all-ones literal, as rust-hdl writes it (any width).
fn all_ones_hex(bits: u32) -> String {
    let top = bits % 4;
    let mut h = if top == 0 { String::new() } else { format!("{:x}", (1u32 << top) - 1) };
    h.push_str(&"f".repeat((bits / 4) as usize));
    h
}

/// `a$b` -> `a_b`, refusing to merge two different names into one.
fn dollar_free(m: &Module) -> Result<HashMap<String, String>, String> {
    let mut names = BTreeSet::new();
    for d in m.decls() {
        names.insert(d.name.clone());
    }
    for it in &m.items {
        match it {
            Item::Inst(i) => {
                names.insert(i.name.clone());
                for (_, s) in &i.conns {
                    for id in ident_re().find_iter(s) {
                        names.insert(id.as_str().to_string());
                    }
                }
            }
            Item::Text(t) => {
                for id in ident_re().find_iter(t) {
                    names.insert(id.as_str().to_string());
                }
            }
            _ => {}
        }
    }
    let mut map = HashMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for n in names.iter().filter(|n| !n.starts_with('$')) {
        let clean = n.replace('$', "_");
        if let Some(other) = seen.get(&clean) {
            if other != n {
                return Err(format!("`{other}` and `{n}` in `{}` would both be called `{clean}`", m.name));
            }
        }
        seen.insert(clean.clone(), n.clone());
        if clean != *n {
            map.insert(n.clone(), clean);
        }
    }
    Ok(map)
}

/// Renders a module with `name` as its name and `kinds` mapping child module names.
fn render(m: &Module, name: &str, kinds: &HashMap<String, String>) -> Result<String, String> {
    let ids = dollar_free(m)?;
    let mut out = String::new();
    let args: Vec<String> = m.args.iter().map(|a| ids.get(a).cloned().unwrap_or_else(|| a.clone())).collect();
    out.push_str(&format!("module {name} (\n    {}\n);\n", args.join(",\n    ")));
    let mut indent_base = None;
    for it in &m.items {
        match it {
            Item::Decl(d) => {
                let range = if d.width > 1 { format!("[{}:0] ", d.width - 1) } else { String::new() };
                let rest = if d.rest.is_empty() { String::new() } else { format!(" {}", replace_ident(&d.rest, &ids)) };
                out.push_str(&format!("    {} {range}{}{rest};\n", d.kind, replace_ident(&d.name, &ids)));
            }
            Item::Inst(i) => {
                let kind = kinds.get(&i.kind).ok_or_else(|| format!("no module for `{}`", i.kind))?;
                let conns: Vec<String> = i
                    .conns
                    .iter()
                    // A child's ports are cleaned as its module is (`value$0` -> `value_0`).
                    .map(|(p, s)| format!("        .{}({})", p.replace('$', "_"), replace_ident(s, &ids)))
                    .collect();
                out.push_str(&format!("    {kind} {} (\n{}\n    );\n", replace_ident(&i.name, &ids), conns.join(",\n")));
            }
            Item::Text(t) => {
                if t.trim().is_empty() {
                    if !out.ends_with("\n\n") {
                        out.push('\n');
                    }
                    continue;
                }
                let sized = t.lines().map(|l| size_literals(m, l)).collect::<Vec<_>>().join("\n");
                let line = replace_ident(&sized, &ids);
                // rust-hdl indents its code by four; re-indent relative to the first line.
                let lead = line.len() - line.trim_start().len();
                let base = *indent_base.get_or_insert(lead.min(4));
                for l in line.lines() {
                    let l_lead = l.len() - l.trim_start().len();
                    let keep = l_lead.saturating_sub(base);
                    out.push_str(&format!("    {}{}\n", " ".repeat(keep), l.trim_start()));
                }
            }
        }
    }
    out.push_str(&format!("endmodule // {name}\n"));
    Ok(out)
}

fn common_suffix(names: &[String]) -> String {
    let parts: Vec<Vec<&str>> = names.iter().map(|n| n.split('_').rev().collect()).collect();
    let mut suffix = Vec::new();
    for i in 0.. {
        let Some(first) = parts[0].get(i) else { break };
        if parts.iter().all(|p| p.get(i) == Some(first)) {
            suffix.push(*first);
        } else {
            break;
        }
    }
    suffix.reverse();
    if suffix.is_empty() { names[0].clone() } else { suffix.join("_") }
}

/// The block a rust-hdl module describes, by the name of its field in the parent (`top` for
/// the unit itself; an array element `parent$column$3` is `column`).
fn block_name(raw: &str) -> &str {
    raw.rsplit('$').find(|p| !p.is_empty() && !p.bytes().all(|b| b.is_ascii_digit())).unwrap_or(raw)
}

/// Splits a module's combinational `always @(*)` block into one block per variable it assigns
/// (each variable's assignments, in order, with the `if`s around them). rust-hdl writes one
/// combinational block per module, and Verilator orders whole blocks: a block that reads an
/// input (a bus's `go`) and writes an output (the `ready` the parent computes that `go` from)
/// is a false combinational loop to it (UNOPTFLAT), though no signal depends on itself. Each
/// variable's block reads the others' final values, which is what the one block did as long as
/// it read every variable after its last assignment: checked, or the module is left as it is.
fn split_comb_by_variable(m: &mut Module) {
    let text = |i: usize| match &m.items[i] {
        Item::Text(t) => Some(t.as_str()),
        _ => None,
    };
    let starts: Vec<usize> = (0..m.items.len()).filter(|&i| text(i).is_some_and(|t| t.trim() == "always @(*) begin")).collect();
    let [start] = starts[..] else { return };
    let Some(head) = text(start) else { return };
    let indent = head[..head.len() - head.trim_start().len()].to_string();
    let Some(end) = (start + 1..m.items.len()).find(|&i| text(i).is_some_and(|t| t.trim() == "end" && t.len() - t.trim_start().len() == indent.len())) else {
        return;
    };
    let Some(lines) = (start + 1..end).map(text).collect::<Option<Vec<&str>>>() else { return };
    let Some(body) = lines.iter().map(|l| classify(l)).collect::<Option<Vec<Line>>>() else { return };
    let mut order: Vec<String> = Vec::new();
    for l in &body {
        if let Line::Assign { lhs, .. } = l {
            if !order.contains(lhs) {
                order.push(lhs.clone());
            }
        }
    }
    // Every read of a variable assigned here must come after its last assignment.
    for v in &order {
        let last_write = (0..body.len()).filter(|&i| matches!(&body[i], Line::Assign { lhs, .. } if lhs == v)).max();
        let first_read = (0..body.len()).find(|&i| match &body[i] {
            Line::Assign { reads, .. } | Line::Structure { reads } => reads.contains(v),
        });
        if let (Some(w), Some(r)) = (last_write, first_read) {
            if r <= w {
                return;
            }
        }
    }
    let all: BTreeSet<String> = order.iter().cloned().collect();
    let mut blocks = Vec::new();
    for v in &order {
        let root: BTreeSet<String> = [v.clone()].into();
        let given: BTreeSet<String> = all.iter().filter(|n| *n != v).cloned().collect();
        let kept = slice(&lines, &body, &root, &given);
        blocks.push(Item::Text(head.to_string()));
        blocks.extend(negate_empty_thens(kept.iter().map(|&i| lines[i].to_string()).collect()).into_iter().map(Item::Text));
        blocks.push(Item::Text(format!("{indent}end")));
    }
    m.items.splice(start..end + 1, blocks);
}

/// Cleans rust-hdl's Verilog of a unit; the combinational logic of the blocks named in
/// `split_comb` (see [`block_name`]) is split a variable a block.
pub(crate) fn clean(raw: &str, unit: &str, split_comb: &[&str]) -> Result<Clean, String> {
    let parsed = parse(raw)?;
    let (regs, mut logic): (Vec<Module>, Vec<Module>) = parsed.into_iter().partition(Module::is_reg);
    let regs: BTreeMap<String, Module> = regs.into_iter().map(|m| (m.name.clone(), m)).collect();
    for m in &mut logic {
        alias_clock_and_reset(m)?;
        inline_registers(m, &regs)?;
        if split_comb.contains(&block_name(&m.name)) {
            split_comb_by_variable(m);
        }
    }
    if logic.iter().any(|m| m.decls().any(|d| d.kind == "reg" && d.name.ends_with("$clock"))) {
        return Err("a clock stub survived inlining".into());
    }
    // Merge structurally identical modules, leaves first (child names are part of a parent's
    // structure, so children must have their final identity before parents are compared).
    let by_name: HashMap<String, usize> = logic.iter().enumerate().map(|(i, m)| (m.name.clone(), i)).collect();
    let mut order: Vec<usize> = (0..logic.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(logic[i].name.matches('$').count()));
    let mut canon: HashMap<String, String> = HashMap::new(); // rust-hdl name -> class key
    let mut classes: BTreeMap<String, Vec<String>> = BTreeMap::new(); // class key -> members
    for &i in &order {
        let m = &logic[i];
        let mut kinds = canon.clone();
        kinds.insert(m.name.clone(), "__self__".into());
        let key = render(m, "__self__", &kinds)?;
        classes.entry(key.clone()).or_default().push(m.name.clone());
        canon.insert(m.name.clone(), key);
    }
    // Name each class: the top after the unit, the others `<unit>_<common suffix of leaves>`.
    let mut final_name: HashMap<String, String> = HashMap::new(); // class key -> module name
    let mut taken = BTreeSet::new();
    let top_key = canon.get("top").ok_or("rust-hdl emitted no `top` module")?.clone();
    final_name.insert(top_key.clone(), unit.to_string());
    taken.insert(unit.to_string());
    for (key, members) in &classes {
        if *key == top_key {
            continue;
        }
        // An array element (`parent$banks$3`) is named after its array, not its index.
        let leaves: Vec<String> = members
            .iter()
            .map(|n| {
                let mut parts = n.rsplit('$').skip_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                parts.next().unwrap_or(n).to_string()
            })
            .collect();
        let base = format!("{unit}_{}", common_suffix(&leaves));
        let mut name = base.clone();
        let mut k = 2;
        while taken.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        taken.insert(name.clone());
        final_name.insert(key.clone(), name);
    }
    let kinds: HashMap<String, String> = canon.iter().map(|(n, key)| (n.clone(), final_name[key].clone())).collect();
    // Write the top first, then each class once, in order of first use.
    let mut body = String::new();
    let mut modules = Vec::new();
    let mut emitted = BTreeSet::new();
    let mut queue = vec!["top".to_string()];
    while let Some(n) = queue.pop() {
        let key = &canon[&n];
        if !emitted.insert(key.clone()) {
            continue;
        }
        let m = &logic[by_name[&n]];
        let name = &final_name[key];
        if modules.len() == 1 {
            // One file per unit: its blocks follow the top, under names that are not the file's.
            body.push_str("// The blocks of this unit follow; they share its file by design.\n/* verilator lint_off DECLFILENAME */\n\n");
        }
        body.push_str(&render(m, name, &kinds)?);
        body.push('\n');
        modules.push(name.clone());
        let children: Vec<String> = m
            .items
            .iter()
            .filter_map(|it| if let Item::Inst(i) = it { Some(i.kind.clone()) } else { None })
            .collect();
        queue.extend(children.into_iter().rev());
    }
    let top = &logic[by_name["top"]];
    let ports = top
        .args
        .iter()
        .map(|a| {
            let d = top.decls().find(|d| &d.name == a).ok_or_else(|| format!("port `{a}` is not declared"))?;
            Ok(Port {
                name: a.replace('$', "_"),
                dir: if d.kind.starts_with("input") { PortDir::In } else { PortDir::Out },
                width: d.width,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Clean { body, ports, modules })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_names_merged_blocks() {
        let n = |v: &[&str]| common_suffix(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(n(&["filt_fifo", "ifmap_fifo", "psum_in_fifo"]), "fifo");
        assert_eq!(n(&["spad"]), "spad");
        assert_eq!(n(&["a", "b"]), "a");
    }

    fn texts(lines: &[&str]) -> Vec<Item> {
        lines.iter().map(|l| Item::Text(l.to_string())).collect()
    }

    #[test]
    fn next_state_moves_into_the_clocked_process_and_outputs_stay_combinational() {
        let mut items = vec![Item::Decl(Decl { kind: "output reg".into(), width: 1, name: "busy".into(), rest: String::new() })];
        let block = [
            "    always @(*) begin",
            "        n_d = n_q;",
            "        t = a & b;",
            "        busy = n_q != 0;",
            "        if (t) begin",
            "            n_d = n_q + 1;",
            "        end",
            "        if (busy) begin",
            "            unused_x = t;",
            "        end",
            "    end",
        ];
        items.extend(texts(&block));
        let s = split_update(&items, &[("n_q".into(), "n_d".into(), 4)]).expect("splits");
        assert_eq!(s.range, 1..12);
        // The output stays combinational; everything else is next state.
        assert_eq!(s.comb, [block[0], block[3], block[10]]);
        assert_eq!(s.next_state, [&block[1..3], &block[4..10]].concat());
    }

    #[test]
    fn next_state_stays_put_when_it_would_read_a_value_before_its_last_assignment() {
        let mut items = vec![Item::Decl(Decl { kind: "output reg".into(), width: 1, name: "y".into(), rest: String::new() })];
        items.extend(texts(&["    always @(*) begin", "        y = a;", "        n_d = y;", "        y = b;", "    end"]));
        assert!(split_update(&items, &[("n_q".into(), "n_d".into(), 1)]).is_none());
        // A line the pass does not know (a case statement) also leaves the block alone.
        let items = texts(&["    always @(*) begin", "        case (s)", "        endcase", "    end"]);
        assert!(split_update(&items, &[("n_q".into(), "n_d".into(), 1)]).is_none());
    }

    #[test]
    fn combinational_logic_splits_a_variable_a_block_unless_a_read_comes_too_early() {
        // A column's shape: `ready` from PE state, the PE's `valid` from the parent's `go`.
        let body = [
            "    always @(*) begin",
            "        ready = 1'b1;",
            "        m = hit & en;",
            "        if (m & !pe_ready) begin",
            "            ready = 1'b0;",
            "        end",
            "        pe_valid = go & m;",
            "    end",
        ];
        let mut m = Module { name: "top$column$0".into(), args: vec![], items: texts(&body) };
        assert_eq!(block_name(&m.name), "column");
        split_comb_by_variable(&mut m);
        let lines: Vec<String> = m.items.iter().map(|i| if let Item::Text(t) = i { t.clone() } else { String::new() }).collect();
        assert_eq!(
            lines,
            [
                body[0], body[1], body[3], body[4], body[5], "    end", // ready, without `go`
                body[0], body[2], "    end", // m
                body[0], body[6], "    end", // pe_valid
            ]
        );
        // `y` read before its last assignment: the block stays whole.
        let early = ["    always @(*) begin", "        y = a;", "        z = y;", "        y = b;", "    end"];
        let mut m = Module { name: "top".into(), args: vec![], items: texts(&early) };
        split_comb_by_variable(&mut m);
        assert_eq!(m.items.len(), early.len());
    }

    #[test]
    fn empty_ifs_left_by_the_split_are_dropped() {
        let lines = ["if (a) begin", "end", "if (b) begin", "x = 1;", "end else begin", "end", "if (c) begin", "end else if (d) begin", "y = 2;", "end"];
        let mut kept: Vec<usize> = (0..lines.len()).collect();
        prune_empty(&lines, &mut kept);
        let left: Vec<&str> = kept.iter().map(|&i| lines[i]).collect();
        // An empty then-branch before an else-if is kept: dropping it would change the logic.
        assert_eq!(left, ["if (b) begin", "x = 1;", "end", "if (c) begin", "end else if (d) begin", "y = 2;", "end"]);
        let lines = ["    if (|n) begin", "    end", "    else begin", "        x = 1;", "    end"].map(String::from).to_vec();
        assert_eq!(negate_empty_thens(lines), ["    if (!(|n)) begin", "        x = 1;", "    end"]);
    }

    #[test]
    fn literals_are_sized_only_where_safe() {
        let m = Module {
            name: "m".into(),
            args: vec![],
            items: vec![
                Item::Decl(Decl { kind: "reg".into(), width: 4, name: "x".into(), rest: String::new() }),
                Item::Decl(Decl { kind: "reg".into(), width: 4, name: "y".into(), rest: String::new() }),
            ],
        };
        assert_eq!(size_literals(&m, "    x = 32'h3;"), "    x = 4'h3;");
        assert_eq!(size_literals(&m, "    x = y + 32'h1;"), "    x = y + 4'h1;");
        assert_eq!(size_literals(&m, "    x = y + x - 32'h1;"), "    x = y + x - 4'h1;");
        // An operand of another width (z is undeclared here): left alone.
        assert_eq!(size_literals(&m, "    x = y + z + 32'h1;"), "    x = y + z + 32'h1;");
        assert_eq!(size_literals(&m, "    if (x == 32'h2) begin"), "    if (x == 4'h2) begin");
        assert_eq!(size_casts(&m, "    z = ((x) & 8'hff);"), "    z = {4'h0, x};");
        assert_eq!(size_casts(&m, "    z = ((x) & 2'h3);"), "    z = x[1:0];");
        assert_eq!(all_ones_hex(80), "f".repeat(20));
        assert_eq!(all_ones_hex(7), "7f");
        // Does not fit: left alone for lint to flag.
        assert_eq!(size_literals(&m, "    x = 32'h10;"), "    x = 32'h10;");
        // Part of a larger expression: resizing could drop a carry, so it is left alone.
        assert_eq!(size_literals(&m, "    x = (y + 32'h1) >> 1;"), "    x = (y + 32'h1) >> 1;");
    }
}
