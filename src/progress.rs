//! Progress of `cortado run`: bars per dataset and in total (events, events/s,
//! ETA) on a terminal; plain log lines every few seconds otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cortado_engine::local::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bars when standard error is a terminal (and `no_progress` is false), log
/// lines through `log` otherwise.
pub fn bars_or_log<'a>(
    no_progress: bool,
    log: &'a (dyn Fn(&str) + Sync),
) -> Box<dyn Progress + 'a> {
    if !no_progress && std::io::stderr().is_terminal() {
        Box::new(Bars::default())
    } else {
        Box::new(Lines {
            log,
            state: Mutex::new(LineState {
                start: Instant::now(),
                last: Instant::now(),
                done: 0,
                total: 0,
                resumed: 0,
            }),
        })
    }
}

/// indicatif bars.
#[derive(Default)]
struct Bars {
    multi: MultiProgress,
    per_dataset: Mutex<HashMap<String, ProgressBar>>,
    total: Mutex<Option<ProgressBar>>,
}

fn style(name_width: usize) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{prefix:<{name_width}}} [{{bar:30}}] {{human_pos:>11}}/{{human_len:<11}} {{per_sec:>14}} ETA {{eta}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

impl Progress for Bars {
    fn start(&self, datasets: &[(String, u64, u64)]) {
        self.multi
            .set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let width = datasets.iter().map(|d| d.0.len()).max().unwrap_or(5).max(5);
        let mut map = match self.per_dataset.lock() {
            Ok(m) => m,
            Err(_) => return,
        };
        for (name, total, done) in datasets {
            let b = self.multi.add(ProgressBar::new(*total));
            b.set_style(style(width));
            b.set_prefix(name.clone());
            b.set_position(*done);
            b.reset_eta();
            map.insert(name.clone(), b);
        }
        let all: u64 = datasets.iter().map(|d| d.1).sum();
        let done: u64 = datasets.iter().map(|d| d.2).sum();
        let t = self.multi.add(ProgressBar::new(all));
        t.set_style(style(width));
        t.set_prefix("Total");
        t.set_position(done);
        t.reset_eta();
        if let Ok(mut slot) = self.total.lock() {
            *slot = Some(t);
        }
    }

    fn advance(&self, dataset: &str, events: u64) {
        if let Ok(map) = self.per_dataset.lock() {
            if let Some(b) = map.get(dataset) {
                b.inc(events);
            }
        }
        if let Ok(t) = self.total.lock() {
            if let Some(t) = t.as_ref() {
                t.inc(events);
            }
        }
    }

    fn finish(&self) {
        if let Ok(map) = self.per_dataset.lock() {
            map.values().for_each(ProgressBar::finish);
        }
        if let Ok(t) = self.total.lock() {
            if let Some(t) = t.as_ref() {
                t.finish();
            }
        }
    }
}

struct LineState {
    start: Instant,
    last: Instant,
    done: u64,
    total: u64,
    resumed: u64,
}

/// Log lines every 5 s.
struct Lines<'a> {
    log: &'a (dyn Fn(&str) + Sync),
    state: Mutex<LineState>,
}

impl Progress for Lines<'_> {
    fn start(&self, datasets: &[(String, u64, u64)]) {
        if let Ok(mut s) = self.state.lock() {
            s.total = datasets.iter().map(|d| d.1).sum();
            s.resumed = datasets.iter().map(|d| d.2).sum();
            s.done = s.resumed;
            s.start = Instant::now();
            s.last = Instant::now();
        }
    }

    fn advance(&self, _dataset: &str, events: u64) {
        let line = match self.state.lock() {
            Ok(mut s) => {
                s.done += events;
                if s.last.elapsed() < Duration::from_secs(5) && s.done < s.total {
                    return;
                }
                s.last = Instant::now();
                let secs = s.start.elapsed().as_secs_f64().max(1e-9);
                let rate = (s.done - s.resumed) as f64 / secs;
                let eta = if rate > 0.0 {
                    (s.total - s.done) as f64 / rate
                } else {
                    0.0
                };
                format!(
                    "  processed {}/{} events ({:.0}%), {:.0} events/s, ETA {:.0} s",
                    s.done,
                    s.total,
                    100.0 * s.done as f64 / s.total.max(1) as f64,
                    rate,
                    eta
                )
            }
            Err(_) => return,
        };
        (self.log)(&line);
    }
}
