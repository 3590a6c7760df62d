//! Short runs of the fuzz targets' invariants on generated inputs (CI runs these; the
//! libFuzzer targets in `fuzz/` run the same checks for as long as one likes).

mod fuzz;
