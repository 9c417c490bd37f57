"""Leave's pages: the flow's task pages, attendance, leave, oversight."""
