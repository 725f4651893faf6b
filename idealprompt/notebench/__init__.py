"""NoteBench-style evaluation of writing systems."""
