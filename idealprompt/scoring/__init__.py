"""Scoring: a prompt on a task's examples by the small model (`evaluate`), candidates raced against the leader
(`race`), a written text's facts against its input (`facts`, with the large model's per-claim verdicts in
`claims`) and its style (`style`). What agents call of these is in `tools/`."""
