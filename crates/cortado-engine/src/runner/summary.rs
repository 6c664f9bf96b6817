//! The closing table of a run: events and throughput per dataset and in
//! total, skipped inputs, failed groups, and where the outputs are.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{RunReport, RunRequest};
use crate::run::{RunOptions, RunStats};

/// The sum of the groups' counts.
fn total(report: &RunReport) -> RunStats {
    let mut t = RunStats::default();
    for s in report.groups.iter().map(|g| &g.stats) {
        for (k, v) in &s.per_dataset {
            let e = t.per_dataset.entry(k.clone()).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        t.events += s.events;
        t.skimmed += s.skimmed;
        t.preselected += s.preselected;
        t.seconds += s.seconds;
        t.chunks += s.chunks;
        t.chunks_resumed += s.chunks_resumed;
        t.events_resumed += s.events_resumed;
    }
    t
}

/// The events table; `workers` threads worked on the datasets.
fn table(t: &mut String, s: &RunStats, workers: usize) {
    let _ = writeln!(
        t,
        "\n{:<32} {:>12} {:>14} {:>18}",
        "dataset", "events", "events/s", "events/s/worker"
    );
    let per_dataset: &BTreeMap<String, (u64, f64)> = &s.per_dataset;
    for (ds, (n, secs)) in per_dataset {
        // secs sums the time of the worker threads: n/secs is one worker's rate
        let per_worker = *n as f64 / secs.max(1e-9);
        let _ = writeln!(
            t,
            "{ds:<32} {n:>12} {:>14.0} {per_worker:>18.0}",
            per_worker * workers as f64
        );
    }
    let eps = s.events as f64 / s.seconds.max(1e-9);
    let _ = writeln!(
        t,
        "{:<32} {:>12} {eps:>14.0} {:>18.0}",
        "Total",
        s.events,
        eps / workers as f64
    );
    let _ = writeln!(
        t,
        "{:<32} {:>12}\n{:<32} {:>12}",
        "Skimmed", s.skimmed, "Preselected", s.preselected
    );
}

/// The closing summary of a finished run.
pub(super) fn summary(report: &RunReport, opts: &RunOptions, req: &RunRequest) -> String {
    let workers = if opts.sequential {
        1
    } else {
        rayon::current_num_threads()
    };
    let s = total(report);
    let mut t = String::new();
    table(&mut t, &s, workers);
    let (chunks, secs, plan) = (s.chunks, s.seconds, report.plan_seconds);
    let _ = if req.executor.is_batch() {
        writeln!(
            t,
            "\n{chunks} chunks in {} batch jobs; {secs:.2} s from submission to merged output, configuration and planning {plan:.3} s",
            req.executor.name()
        )
    } else {
        writeln!(
            t,
            "\n{chunks} chunks on {workers} worker(s); event loop {secs:.2} s, configuration and planning {plan:.3} s"
        )
    };
    let (requests, bytes) = report.remote_requests;
    if requests > 0 {
        let _ = writeln!(
            t,
            "remote reads: {requests} requests ({:.1} per chunk), {:.1} MB",
            requests as f64 / chunks.max(1) as f64,
            bytes as f64 / 1e6
        );
    }
    if let Some(c) = &opts.cache {
        let r = c.run_stats();
        let _ = writeln!(
            t,
            "column cache {}: {} of {} columns from the cache ({:.1} MB), {:.1} MB stored{}{}{}",
            c.dir().display(),
            r.hits,
            r.hits + r.misses,
            r.bytes_read as f64 / 1e6,
            r.bytes_written as f64 / 1e6,
            if r.damaged > 0 {
                format!(", {} damaged entries ignored and read again", r.damaged)
            } else {
                String::new()
            },
            if r.write_errors > 0 {
                format!(", {} could not be stored", r.write_errors)
            } else {
                String::new()
            },
            if report.cache_evicted > 0 {
                format!(
                    ", {:.1} MB of least recently used entries removed",
                    report.cache_evicted as f64 / 1e6
                )
            } else {
                String::new()
            }
        );
    }
    if s.chunks_resumed > 0 {
        let _ = writeln!(
            t,
            "{} chunks ({} events) were finished before the interruption and taken from their checkpoints",
            s.chunks_resumed, s.events_resumed
        );
    }
    let kept: Vec<&str> = report
        .groups
        .iter()
        .filter(|g| g.kept)
        .map(|g| g.name.as_str())
        .collect();
    if !kept.is_empty() {
        let _ = writeln!(
            t,
            "{} output(s) had finished before the interruption and were kept: {}",
            kept.len(),
            kept.join(", ")
        );
    }
    if !report.failures.is_empty() {
        let _ = writeln!(
            t,
            "\nSKIPPED {} bad file(s)/chunk(s) (listed in failed_chunks.json):",
            report.failures.len()
        );
        for f in report.failures.iter().take(10) {
            let _ = writeln!(t, "  {}", f.error);
        }
    }
    if !report.failed_groups.is_empty() {
        let names: Vec<&str> = report.failed_groups.keys().map(String::as_str).collect();
        let _ = writeln!(
            t,
            "\nFAILED groups (failed_jobs.json): {}",
            names.join(", ")
        );
    }
    if opts.read_only {
        t.push_str("read only (--read-only): branches read and decompressed, nothing processed or written\n");
        return t;
    }
    let _ = writeln!(t, "outputs in {}:", req.outdir.display());
    for p in report.groups.iter().filter_map(|g| g.path.as_ref()) {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(t, "  {name}  (cortado dump {})", p.display());
    }
    t.push_str("  config.json\n  parameters_dump.yaml\n  logfile.log\n");
    t
}
