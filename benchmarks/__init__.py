"""The benchmark command: a synthetic corpus through the real storage layer, against baselines."""
