"""Side by side: IDEAL against DSPy (COPRO, MIPROv2) and GEPA on the same small model, data and budget of
small-model calls, counted at the server. The command line is in `bench.peers.__main__`:

    python -m bench.peers [--task trec,sst2] [--system ideal,copro] [--budget 300]
    python -m bench.peers --report

- `proxy`: the counting proxy in front of the model servers (`servers`);
- `tasks`: the six tasks and their sizes;
- `systems`: the systems, and how every final program is scored on test (`dspy_systems`: DSPy's and GEPA's);
- `runs`: the results file, one JSON line per run, and the rerun that skips what is done;
- `report`: the tables in bench/RESULTS.md and the plot, from the results file alone.
"""
