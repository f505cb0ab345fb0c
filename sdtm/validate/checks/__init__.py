"""Pipeline stage package `validate/checks`."""
