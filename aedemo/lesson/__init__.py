"""What a run shows a learner: preview grids, animations, charts, and the lesson page."""
