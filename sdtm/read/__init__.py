"""Pipeline stage package `read`."""
