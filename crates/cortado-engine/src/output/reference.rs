//! The output in the JSON layout of cortado's export for comparisons with
//! PocketCoffea (`shared/reference/*/output.json`, read by
//! `compare_outputs.py`).

use cortado_hist::Hist;
use serde_json::{json, Value};

use super::Output;

impl Output {
    /// The output in the JSON layout of PocketCoffea's exported outputs
    /// (`shared/reference/*/output.json`).
    pub fn to_reference_json(&self) -> Value {
        let mut hists = serde_json::Map::new();
        for (name, by_sample) in &self.variables {
            let mut s_out = serde_json::Map::new();
            for (sample, by_ds) in by_sample {
                let mut d_out = serde_json::Map::new();
                for (ds, hs) in by_ds {
                    let mut c_out = serde_json::Map::new();
                    for (cat, by_var) in &hs.hists {
                        let mut v_out = serde_json::Map::new();
                        for (var, h) in by_var {
                            let mut payload = h.to_reference_json(hs.has_variation_axis);
                            if h.axes.len() > 1 {
                                // in-range part of N-d histograms, as the reference's add_2d_inrange.py
                                payload["sumw"] = in_range(&h.sumw, h);
                                payload["sumw2"] = in_range(
                                    if h.sumw2.is_empty() {
                                        &h.sumw
                                    } else {
                                        &h.sumw2
                                    },
                                    h,
                                );
                            }
                            v_out.insert(var.clone(), payload);
                        }
                        c_out.insert(cat.clone(), Value::Object(v_out));
                    }
                    d_out.insert(ds.clone(), Value::Object(c_out));
                }
                s_out.insert(sample.clone(), Value::Object(d_out));
            }
            hists.insert(name.clone(), Value::Object(s_out));
        }
        let cutflow = {
            let mut m = serde_json::Map::new();
            m.insert("initial".into(), json!(self.cutflow.initial));
            m.insert("skim".into(), json!(self.cutflow.skim));
            m.insert("presel".into(), json!(self.cutflow.presel));
            for (cat, v) in &self.cutflow.categories {
                m.insert(cat.clone(), json!(v));
            }
            Value::Object(m)
        };
        json!({
            "sum_genweights": self.sum_genweights,
            "sum_signOf_genweights": self.sum_signof_genweights,
            "cutflow": cutflow,
            "sumw": self.sumw,
            "sumw2": self.sumw2,
            "histograms": hists,
            "columns": self.columns,
            "datasets_metadata": self.datasets_metadata,
        })
    }
}

fn in_range(data: &[f64], h: &Hist) -> Value {
    let shape = h.shape();
    let ranges: Vec<(usize, usize)> = h
        .axes
        .iter()
        .map(|a| (usize::from(a.has_underflow()), a.bins()))
        .collect();
    fn rec(data: &[f64], shape: &[usize], ranges: &[(usize, usize)]) -> Value {
        if shape.len() == 1 {
            return json!(data[ranges[0].0..ranges[0].0 + ranges[0].1]);
        }
        let inner: usize = shape[1..].iter().product();
        Value::Array(
            (ranges[0].0..ranges[0].0 + ranges[0].1)
                .map(|i| rec(&data[i * inner..(i + 1) * inner], &shape[1..], &ranges[1..]))
                .collect(),
        )
    }
    rec(data, &shape, &ranges)
}
