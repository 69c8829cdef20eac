"""Booking intake: one way in for bookings from every channel (see ``holdtrack.intake.bookings``)."""
