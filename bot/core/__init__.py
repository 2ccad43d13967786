"""The pure core: plain data and functions, no network and no clock."""
