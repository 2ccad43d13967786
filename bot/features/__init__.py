"""The features: each decides, from a snapshot of an issue, what it wants done."""
