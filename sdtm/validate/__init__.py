"""Pipeline stage package `validate`."""
