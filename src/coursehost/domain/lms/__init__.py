"""External LMS configurations (issue 17): a realm's LMS, attached to courses, receiving each
registration's result changes from the durable job queue, with its health and alert e-mails."""
