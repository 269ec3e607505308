"""Small files of every class of input that broke on data the project had never seen, written
by the tests themselves (OSM XML as text, PBF with pyosmium, vector layers with pyogrio,
CityJSON as JSON, IFC with ifcopenshell), each with what an independent reader says of it.

Each writer returns the path it wrote and the expected figures; ``tests/test_data_corpus.py``
drives the real ``twin`` command over them.
"""
