//! The energy model of ISCA 2016 (Chen, Emer, Sze, Table IV): every access is charged its
//! level's cost relative to one MAC: DRAM 200, global buffer 6, array (NoC and PE-to-PE) 2,
//! spad (register file) 1, MAC 1. Energy is in units of one MAC's energy.

use serde::{Deserialize, Serialize};
use std::ops::{Add, Mul};

/// Normalized cost of one 16-bit access at each level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    pub dram: f64,
    pub glb: f64,
    pub noc: f64,
    pub spad: f64,
    pub mac: f64,
}

impl Costs {
    /// ISCA 2016, Table IV (65 nm).
    pub fn isca2016() -> Self {
        Costs { dram: 200.0, glb: 6.0, noc: 2.0, spad: 1.0, mac: 1.0 }
    }
}

/// A count per data type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PerType {
    pub ifmap: f64,
    pub filter: f64,
    pub psum: f64,
}

impl PerType {
    pub fn total(&self) -> f64 {
        self.ifmap + self.filter + self.psum
    }
}

impl Add for PerType {
    type Output = PerType;
    fn add(self, o: PerType) -> PerType {
        PerType { ifmap: self.ifmap + o.ifmap, filter: self.filter + o.filter, psum: self.psum + o.psum }
    }
}

impl Mul<f64> for PerType {
    type Output = PerType;
    fn mul(self, k: f64) -> PerType {
        PerType { ifmap: self.ifmap * k, filter: self.filter * k, psum: self.psum * k }
    }
}

/// Accesses per level and data type, the input of the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Accesses {
    pub dram: PerType,
    pub glb: PerType,
    pub noc: PerType,
    pub spad: PerType,
    pub macs: f64,
}

/// Energy per level (and per data type below), in MAC units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Energy {
    pub dram: f64,
    pub glb: f64,
    pub noc: f64,
    pub spad: f64,
    pub mac: f64,
    pub total: f64,
    /// Per data type, summed over the levels (the MACs belong to none).
    pub by_type: PerType,
}

impl Energy {
    pub fn of(a: &Accesses, c: &Costs) -> Energy {
        let dram = a.dram * c.dram;
        let glb = a.glb * c.glb;
        let noc = a.noc * c.noc;
        let spad = a.spad * c.spad;
        let mac = a.macs * c.mac;
        let by_type = dram + glb + noc + spad;
        Energy {
            dram: dram.total(),
            glb: glb.total(),
            noc: noc.total(),
            spad: spad.total(),
            mac,
            total: by_type.total() + mac,
            by_type,
        }
    }

    /// The sum of several layers' energies.
    pub fn sum<'a>(items: impl IntoIterator<Item = &'a Energy>) -> Energy {
        let mut s = Energy::default();
        for e in items {
            s.dram += e.dram;
            s.glb += e.glb;
            s.noc += e.noc;
            s.spad += e.spad;
            s.mac += e.mac;
            s.total += e.total;
            s.by_type = s.by_type + e.by_type;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_weigh_each_level() {
        let one = PerType { ifmap: 1.0, filter: 2.0, psum: 3.0 };
        let a = Accesses { dram: one, glb: one, noc: one, spad: one, macs: 10.0 };
        let e = Energy::of(&a, &Costs::isca2016());
        assert_eq!((e.dram, e.glb, e.noc, e.spad, e.mac), (1200.0, 36.0, 12.0, 6.0, 10.0));
        assert_eq!(e.total, 1264.0);
        assert_eq!(e.by_type, PerType { ifmap: 209.0, filter: 418.0, psum: 627.0 });
        assert_eq!(Energy::sum([&e, &e]).total, 2528.0);
    }
}
