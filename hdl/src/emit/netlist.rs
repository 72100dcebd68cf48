//! Text-level rewrite of rust-hdl's Verilog. rust-hdl's output is very regular (one
//! declaration a line, instances as `TYPE name(` / `.port(sig),` / `);`, one `always @(*)`
//! per module), and this pass relies on that shape; anything it does not recognise is an
//! error, never a silent mis-translation.

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
    for ((clk, rst), regs) in groups {
        let no_reset = rst == NO_RESET;
        initial.extend(regs.iter().filter(|(q, _, _)| no_reset || power_on(q)).map(|(q, _, w)| format!("        {q} = {w}'h0;\n")));
        let mut b = if no_reset {
            // A synchronizer's flip-flops: no reset at all, said so.
            format!("\n    // Registers without reset (their power-on value is the initial block's)\n    always @(posedge {clk}) begin\n")
        } else {
            let mut b = format!("\n    // Registers (synchronous active-high reset)\n    always @(posedge {clk}) begin\n        if ({rst}) begin\n");
            for (q, _, w) in &regs {
                b.push_str(&format!("            {q} <= {w}'h0;\n"));
            }
            b.push_str("        end else begin\n");
            b
        };
        let pad = if no_reset { "        " } else { "            " };
        for (q, d, _) in &regs {
            b.push_str(&format!("{pad}{q} <= {d};\n"));
        }
        if !no_reset {
            b.push_str("        end\n");
        }
        b.push_str("    end");
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
        let all_ones = (1..=64).contains(&to) && u64::from_str_radix(&c[3], 16).ok() == Some(u64::MAX >> (64 - to));
        match m.width_of(&c[1]) {
            Some(w) if all_ones && w < to => format!("{{{}'h0, {}}}", to - w, &c[1]),
            Some(w) if all_ones && w > to => format!("{}[{}:0]", &c[1], to - 1),
            Some(w) if all_ones && w == to => c[1].to_string(),
            _ => c[0].to_string(),
        }
    })
    .into_owned()
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
                    .map(|(p, s)| format!("        .{p}({})", replace_ident(s, &ids)))
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
                let sized = size_literals(m, t);
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

pub(crate) fn clean(raw: &str, unit: &str) -> Result<Clean, String> {
    let parsed = parse(raw)?;
    let (regs, mut logic): (Vec<Module>, Vec<Module>) = parsed.into_iter().partition(Module::is_reg);
    let regs: BTreeMap<String, Module> = regs.into_iter().map(|m| (m.name.clone(), m)).collect();
    for m in &mut logic {
        alias_clock_and_reset(m)?;
        inline_registers(m, &regs)?;
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
        // Does not fit: left alone for lint to flag.
        assert_eq!(size_literals(&m, "    x = 32'h10;"), "    x = 32'h10;");
        // Part of a larger expression: resizing could drop a carry, so it is left alone.
        assert_eq!(size_literals(&m, "    x = (y + 32'h1) >> 1;"), "    x = (y + 32'h1) >> 1;");
    }
}
