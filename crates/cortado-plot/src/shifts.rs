//! `--systematics-shifts`: per systematic, the MC total with the nominal,
//! up and down variations overlaid and their ratio to the nominal
//! (PocketCoffea's `SystUnc.plot`).

use crate::axes::{self, AxisText, Panel};
use crate::figure::{cms_label, panels, stairs_line};
use crate::legend::{self, Key};
use crate::scene::{line_path, Rgba, Scene, Stroke};
use crate::shape::{values, DataMc, SampleHists};
use crate::style::{LineStyle, Style};

/// The MC totals of one systematic: (nominal, up, down), flow folded.
pub fn totals(
    category: &str,
    samples: &[(String, bool, SampleHists)],
    syst: &str,
    n: usize,
) -> [Vec<f64>; 3] {
    let mut t = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    for (_, _, h) in samples.iter().filter(|s| s.1) {
        let Some(vars) = h.get(category) else {
            continue;
        };
        let Some(nom) = vars.get("nominal") else {
            continue;
        };
        let nv = values(nom, true).sumw;
        for (k, name) in [
            "nominal".to_string(),
            format!("{syst}Up"),
            format!("{syst}Down"),
        ]
        .iter()
        .enumerate()
        {
            let v = vars
                .get(name)
                .map(|h| values(h, true).sumw)
                .unwrap_or_else(|| nv.clone());
            for i in 0..n.min(v.len()) {
                t[k][i] += v[i];
            }
        }
    }
    t
}

fn stroke(s: &LineStyle) -> Stroke {
    Stroke {
        color: s.color.unwrap_or(Rgba::BLACK),
        width: s.width,
        dash: s.dash.clone(),
    }
}

/// One figure per systematic of the band (MC statistics excluded).
pub fn figures(
    d: &DataMc,
    samples: &[(String, bool, SampleHists)],
    style: &Style,
    log_y: bool,
) -> Vec<(String, Scene)> {
    let e = &d.binning.edges;
    let n = e.len() - 1;
    let fs = style.fontsize;
    let mut out = Vec::new();
    for syst in d.systematics.iter().filter(|s| *s != "mcstat") {
        let t = totals(&d.category, samples, syst, n);
        let mut scene = Scene::new(style.figsize_ratio.0, style.figsize_ratio.1);
        let (mr, rr) = panels(&scene, Some(style.height_ratios));
        let m = t.iter().flatten().copied().fold(0.0, f64::max);
        let ylim = if log_y {
            let m = if m > 0.0 { m } else { 100.0 };
            (
                style.ylim_log_syst.0,
                style
                    .ylim_log_syst
                    .1
                    .unwrap_or(10f64.powf(m.log10().floor() + 3.0)),
            )
        } else {
            (0.0, if m > 0.0 { 1.5 * m } else { 1.0 })
        };
        let main = Panel {
            rect: mr,
            xlim: (e[0], e[n]),
            ylim,
            logx: false,
            logy: log_y,
        };
        let names = [
            "nominal".to_string(),
            format!("{syst}Up"),
            format!("{syst}Down"),
        ];
        let mut entries = Vec::new();
        for k in 0..3 {
            let st = stroke(&style.syst[k]);
            scene.shape(stairs_line(&main, e, &t[k]), None, Some(st.clone()));
            entries.push((Key::Line(st), names[k].clone()));
        }
        axes::draw(
            &mut scene,
            &main,
            &AxisText {
                x_ticklabels: false,
                xlabel: None,
                ylabel: Some("Counts"),
                ylabel_x: None,
                fontsize: fs,
                x_named: (!d.binning.names.is_empty()).then_some((&d.binning.names, 0.0)),
            },
        );
        legend::draw(&mut scene, mr, &entries, style.fontsize_legend, 1);
        cms_label(&mut scene, &main, style, &d.year, "Simulation Preliminary");
        let rr = rr.unwrap_or(mr);
        let ratio = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(&t[0])
                .map(|(a, b)| if *b != 0.0 { a / b } else { 1.0 })
                .collect()
        };
        let (ru, rd) = (ratio(&t[1]), ratio(&t[2]));
        let dev = ru
            .iter()
            .chain(&rd)
            .map(|r| (r - 1.0).abs())
            .fold(0.0, f64::max);
        let lim = ((dev * 1.1 * 20.0).ceil() / 20.0).max(0.05);
        let rp = Panel {
            rect: rr,
            xlim: (e[0], e[n]),
            ylim: (1.0 - lim, 1.0 + lim),
            logx: false,
            logy: false,
        };
        let y1 = rp.py(1.0);
        scene.shape(
            line_path(rr.x0, y1, rr.x1, y1),
            None,
            Some(stroke(&style.syst[0])),
        );
        scene.shape(stairs_line(&rp, e, &ru), None, Some(stroke(&style.syst[1])));
        scene.shape(stairs_line(&rp, e, &rd), None, Some(stroke(&style.syst[2])));
        axes::draw(
            &mut scene,
            &rp,
            &AxisText {
                x_ticklabels: true,
                xlabel: Some(&d.binning.label),
                ylabel: Some("Shift / Nominal"),
                ylabel_x: Some(-0.075),
                fontsize: fs,
                x_named: (!d.binning.names.is_empty()).then_some((&d.binning.names, 0.0)),
            },
        );
        out.push((syst.clone(), scene));
    }
    out
}
