"""Tests of headwater-blocks (a package, so test modules can share helpers from conftest)."""
