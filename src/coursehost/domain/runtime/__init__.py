"""Run-time data: launches, what a SCO starts with, commits applied to activity state, and the
rollup to the registration instance and the registration. The data model itself (checks, time
values, a SCO's results) is domain.scorm; this package stores it.

Layering: runtime may use postbacks (a commit queues one), reporting, registrations and lrs (a
commit writes statements); none of those uses runtime.

Public API (keyword arguments after the session; the caller owns the transaction):
    launches.start_launch(session, *, registration, instance=None, tracking=True, options, user_agent, now=None)
        -> Launch
    launches.sco_start_data(session, *, launch, activity_id) -> dict
    launches.exit_launch(session, *, launch_pk, now=None)
    launches.launch_history(session, *, registration, instance=None, include_log=False) -> [LaunchHistory]
    commits.apply_commit(session, *, launch_pk, activity_id, seq, runtime, log=None, terminated=False, now=None,
                         public_url=None) -> {"applied": bool, "lastSeq": int}
        (with PUBLIC_URL, and unless the application's XapiForScormEnabled is false, the commit's
        changes also go into the application's LRS as xAPI statements: scorm_statements)
    rollup.rollup_2004_default(structure, leaves, *, empty_set_unknown=True) -> scorm.status.Result
        (the SCORM 2004 multi-SCO rollup for courses the sequencing engine does not run)

NORMALIZED RUN-TIME FORM (ActivityState.runtime; what the player sends whole with every commit and
gets back from sco_start_data under "runtime"):
    - the data model's element names without the "cmi." prefix, nested by their dots;
    - collections are JSON lists in index order: objectives, interactions,
      interactions.N.objectives, interactions.N.correct_responses, comments (2004 naming:
      comments_from_learner, comments_from_lms), adl data;
    - every leaf value is a string exactly as SetValue / LMSSetValue received it (the server turns
      numbers into strings and null into "" when it cleans a commit, and refuses anything else).
    - keys starting with "_" (_count, _children, _version) are derived and never stored.

    SCORM 1.2:
        {"core": {"lesson_status": "passed", "score": {"raw": "85", "min": "0", "max": "100"},
                  "lesson_location": "p3", "exit": "suspend", "session_time": "00:01:30"},
         "suspend_data": "...",
         "interactions": [{"id": "q1", "type": "choice", "student_response": "a", "result": "correct",
                           "time": "10:00:00", "weighting": "1", "latency": "00:00:05",
                           "objectives": [{"id": "o1"}], "correct_responses": [{"pattern": "a"}]}],
         "objectives": [{"id": "o1", "status": "passed", "score": {"raw": "1"}}]}
    SCORM 2004:
        {"completion_status": "completed", "success_status": "passed",
         "score": {"scaled": "0.85", "raw": "85"}, "progress_measure": "1", "location": "p3",
         "exit": "suspend", "session_time": "PT1M30S", "suspend_data": "...",
         "interactions": [{"id", "type", "learner_response", "result", "timestamp", "latency",
                           "weighting", "description", "objectives": [...], "correct_responses": [...]}],
         "objectives": [{"id", "success_status", "completion_status", "score": {...},
                         "progress_measure", "description"}],
         "comments_from_learner": [{"comment", "location", "timestamp"}], "learner_preference": {...}}

LMS-supplied values (entry, credit, learner id and name, mode, launch data, mastery score /
scaled passing score, completion threshold, time limits, total time) are not part of the stored
form: sco_start_data computes them for every session, under "lms".
"""
