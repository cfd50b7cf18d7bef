"""Reading finished runs: the comparison table, figures and report, and the paper's claims read from
the diagnostics."""
