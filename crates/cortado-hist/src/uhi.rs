//! UHI serialisation (the JSON format of `uhi.io.json`, which `hist` and
//! boost-histogram read): `hist.Hist(json.load(f, object_hook=uhi.io.json.object_hook)[name])`.

use serde_json::{json, Value};

use crate::axis::{Axis, AxisKind};
use crate::hist::{nested, Hist, Storage};

/// One axis in UHI form.
pub fn axis_to_uhi(a: &Axis) -> Value {
    let meta = json!({"name": a.name, "label": a.label});
    match &a.kind {
        AxisKind::Regular {
            bins,
            start,
            stop,
            transform,
        } => {
            let mut v = json!({"type": "regular", "lower": start, "upper": stop, "bins": bins,
                "underflow": a.underflow, "overflow": a.overflow, "circular": false, "metadata": meta});
            if transform.is_some() {
                // UHI has no transforms: write the edges as a variable axis.
                v = json!({"type": "variable", "edges": a.edges(), "underflow": a.underflow,
                    "overflow": a.overflow, "circular": false, "metadata": meta});
            }
            v
        }
        AxisKind::Variable { edges } => {
            json!({"type": "variable", "edges": edges, "underflow": a.underflow,
            "overflow": a.overflow, "circular": false, "metadata": meta})
        }
        AxisKind::Integer { start, stop } => {
            json!({"type": "regular", "lower": start, "upper": stop,
            "bins": stop - start, "underflow": a.underflow, "overflow": a.overflow, "circular": false,
            "writer_info": {"boost-histogram": {"orig_type": "Integer"}}, "metadata": meta})
        }
        AxisKind::IntCategory { categories, .. } => {
            json!({"type": "category_int", "categories": categories,
            "flow": a.overflow, "metadata": meta})
        }
        AxisKind::StrCategory { categories, .. } => {
            json!({"type": "category_str", "categories": categories,
            "flow": a.overflow, "metadata": meta})
        }
    }
}

/// A histogram in UHI form.
pub fn to_uhi(h: &Hist) -> Value {
    let h: &Hist = &h.settled();
    let shape = h.shape();
    let storage = match h.storage {
        Storage::Weight => {
            json!({"type": "weighted", "values": nested(&h.sumw, &shape), "variances": nested(&h.sumw2, &shape)})
        }
        Storage::Double => json!({"type": "double", "values": nested(&h.sumw, &shape)}),
    };
    json!({
        "uhi_schema": 1,
        "writer_info": {"cortado": {"version": env!("CARGO_PKG_VERSION")}},
        "axes": h.axes.iter().map(axis_to_uhi).collect::<Vec<_>>(),
        "storage": storage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uhi_layout() {
        let mut h = Hist::new(vec![Axis::regular("x", "X", 3, 0.0, 3.0)], Storage::Weight);
        h.fill1(1.5, 2.0);
        let u = to_uhi(&h);
        assert_eq!(u["axes"][0]["type"], "regular");
        assert_eq!(u["storage"]["values"], json!([0.0, 0.0, 2.0, 0.0, 0.0]));
        assert_eq!(u["storage"]["variances"], json!([0.0, 0.0, 4.0, 0.0, 0.0]));
    }
}
