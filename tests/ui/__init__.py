"""Browser tests of the course in JupyterLab (make test-ui; skipped unless COURSE_UI=1)."""
