#!/usr/bin/env bash
cd "$(dirname "$0")"
for t in basket tree_meta decompress; do
  mkdir -p corpus/$t
  RUSTC_BOOTSTRAP=1 nice -n 15 cargo fuzz run -O $t corpus/$t seeds/$t -- -max_total_time=600 -rss_limit_mb=4096 > run_$t.log 2>&1
done
