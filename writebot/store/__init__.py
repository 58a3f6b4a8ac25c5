"""The run folder: its files, the one writer's lock, usage rows, and the check that finds damaged lines."""
