"""`make bench`: the performance targets (bench/README.md, "Targets"), measured on this machine.

Each benchmark is a function registered in `bench.registry` that returns a dict; the runner
(`python -m bench`) merges the results, with the machine they ran on, into
`bench/results.json` and prints a table. Later issues add sections (profile rebuild,
matching, statistics) by registering more functions in their own modules.
"""
