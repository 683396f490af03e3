"""The `aedemo` command line: a thin click layer over the aedemo library."""
