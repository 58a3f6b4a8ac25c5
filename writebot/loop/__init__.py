"""The training cycle: the epoch loop, drafting and review, the gate, which topic comes next, the names of
engines, users and judges, runs without a person, and writing posts with a trained bot."""
