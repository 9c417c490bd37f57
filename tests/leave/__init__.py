"""Tests of management while stationed."""
