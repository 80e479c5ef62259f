"""A course package on local disk: the checked zip (reader), its descriptor (detect) and the parsers."""
