"""Pipeline stage package `mapping`."""
