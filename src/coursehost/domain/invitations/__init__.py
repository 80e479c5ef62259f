"""Invitations (InvitationsApi): public links anyone may use to register on a course, the sign-up
behind the public page, and the people who registered through them."""
