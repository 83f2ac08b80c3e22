"""The clinic's rules as plain functions, shared by the patient side and the staff side.

Dependencies point one way: blueprints -> services -> models (tests/unit/test_layering.py).
A service raises named exceptions that carry their HTTP status and message; views parse
input, call a service and render.
"""
