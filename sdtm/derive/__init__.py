"""Pipeline stage package `derive`."""
