"""Pipeline stage package `sample`."""
