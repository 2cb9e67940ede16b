"""The course as a static website: ``python -m course.site build [--out build/site]``.

Pages are built with Sphinx, MyST-NB and sphinx-book-theme from a *reading version* of each lesson: the student
copy (``course.generate.student_copy``: every answer replaced by its stub) carrying the executed outputs of
``solutions/``. No answer is ever written into the site. Everything a page loads (theme, search, MathJax) is
bundled under ``_static/``, so the site works offline, from disk or from any static server.
"""
