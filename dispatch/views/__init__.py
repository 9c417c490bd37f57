"""The dispatch app's pages: flow tasks, then one module per tier."""
