"""`./dev bench`: the gateway against nginx on the same machine, in one run (see bench/RESULTS.md).

Modules: run (the scenarios and rounds), load (wrk, curl), nginx (its configurations), gateway (the
process under test), confluence (simulator and recorded answers), fixtures, procs (processes,
pinning, RSS), profile (py-spy), report (table, figures), gate (the CI check against RESULTS.md).
"""
