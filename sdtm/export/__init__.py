"""Pipeline stage package `export`."""
