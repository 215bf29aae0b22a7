"""The child-process side of deploy: the only code of core/deploy that imports TensorFlow or a converter.

Run as ``python -m core.deploy.child JOB.json`` by core.deploy.children, in the deploy Python.
"""
