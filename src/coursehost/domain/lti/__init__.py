"""LTI: signing keys (keys.py) shared by Coursehost as an LTI 1.3 tool (dispatch) and as a platform
(content connectors)."""
