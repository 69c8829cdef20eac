"""The ``holdtrack`` commands: every management command of the project, above every other app.

A command parses its arguments, calls the services of whichever apps it needs and prints what they return; no
app imports from here. Commands that span apps (``import``, ``demo``, ``simulate``) stay whole in this package.
"""
