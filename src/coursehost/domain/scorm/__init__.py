"""The SCORM run-time data model without storage: the normalized form's checks (datamodel), time
values (durations) and a SCO's results from its data (status). Pure functions, no database."""
