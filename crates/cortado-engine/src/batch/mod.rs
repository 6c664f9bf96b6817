//! Batch execution: the work list split into jobs that run the same binary
//! (`cortado run-job`) on a cluster, each checkpointing its chunks into the
//! run's output directory (a shared filesystem); the submitting process
//! merges the checkpoints in work-list order, so the output equals a local
//! run's.
//!
//! - [`jobs`]: the job plan (`OUTDIR/jobs/plan.json`) and job markers;
//! - [`slurm`]: submission as a Slurm array, monitoring, resubmission;
//! - [`condor`]: the HTCondor submit description of the same plan.

pub mod condor;
pub mod jobs;
pub mod slurm;
