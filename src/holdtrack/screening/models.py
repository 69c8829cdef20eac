"""Screening index and model versions.

``RegistryKey``: one row per registry subject with its normalised comparison values and blocking keys in
indexed columns (PostgreSQL and SQLite alike). Its existence marks a subject as part of the registry.
``ScreeningModel``: a versioned Fellegi–Sunter model whose parameters splink estimated.
"""

from __future__ import annotations

from django.db import models


class RegistryKey(models.Model):
    subject = models.OneToOneField(
        "custody.Subject", primary_key=True, on_delete=models.CASCADE, related_name="registry_key"
    )
    first_norm = models.CharField(max_length=80)
    first_canon = models.CharField(max_length=80)
    middle_norm = models.CharField(max_length=80, blank=True)
    last_norm = models.CharField(max_length=120)
    last_tok1 = models.CharField(max_length=120)
    last_tok2 = models.CharField(max_length=120)
    first_sound = models.CharField(max_length=4)
    last_sound = models.CharField(max_length=4)
    # The sound of the second surname of a compound one ("Martínez Ruiz" → Ruiz): a booking that carries only
    # the second surname is found through it.
    last2_sound = models.CharField(max_length=4, blank=True, default="")
    # The sound of the second given name (``keys.middle_given_sound``): the middle name used as given name.
    middle_given_sound = models.CharField(max_length=4, blank=True, default="")
    dob = models.DateField(null=True, blank=True)
    dob_ym = models.IntegerField(null=True, blank=True, help_text="year*100+month, for a day typo")
    dob_md = models.IntegerField(null=True, blank=True, help_text="month*100+day, for a year typo")
    sex = models.CharField(max_length=1, blank=True)
    country = models.CharField(max_length=80, blank=True)
    fbi_number = models.CharField(max_length=40, blank=True, db_index=True)
    # The FBI number's last two three-character segments (``keys.fbi_segments``): a booking's number one keying
    # slip from a registry record's shares one of them.
    fbi_mid = models.CharField(max_length=3, blank=True, default="")
    fbi_tail = models.CharField(max_length=3, blank=True, default="")
    # 9 digits (core.text.a_number), compared by the a_number comparison; the equality probe finds it through
    # the subject's A_NUMBER identifier (unique index), so no index here.
    a_number = models.CharField(max_length=9, blank=True, default="")

    class Meta:
        indexes = [
            # One index per blocking rule (screening.candidates); the swapped-DOB and swapped-name rules
            # probe the same two indexes with other booking values.
            models.Index(fields=["dob", "last_sound"], name="regkey_dob_last"),
            models.Index(fields=["dob", "first_sound"], name="regkey_dob_first"),
            models.Index(fields=["last_sound", "first_sound", "dob_ym"], name="regkey_sounds_ym"),
            models.Index(fields=["last_sound", "first_sound", "dob_md"], name="regkey_sounds_md"),
            models.Index(fields=["dob", "last2_sound"], name="regkey_dob_last2"),
            # Wide rule W3 (the DOB with sex and birth country): sex and country read from the index, not from
            # ~45 heap rows per DOB at 1,000,000 subjects (ADR 0028).
            models.Index(fields=["dob", "country", "sex"], name="regkey_dob_country_sex"),
            # Exact normalised names whatever the DOB (a DOB wrong in several places, or none on the booking);
            # the given-name sound before the canonical name serves a booking without a DOB whose given name
            # is misspelt (same surname and given-name sound).
            models.Index(fields=["last_norm", "first_sound", "first_canon"], name="regkey_names"),
            # Deep rules D6 (a booking without a DOB whose surname is misspelt, by its canonical given name) and
            # D14 (a booking without a DOB, by its three names).
            models.Index(fields=["first_canon", "last_norm"], name="regkey_given_last"),
            # Deep rules D12, D13: the second given name used as given name, with a DOB slip within the birth year
            # (D12) or in the year itself (D13: the same month and day); only the records with a middle name.
            models.Index(
                fields=["last_sound", "middle_given_sound", "dob_ym"],
                name="regkey_sounds2_ym",
                condition=~models.Q(middle_given_sound=""),
            ),
            models.Index(
                fields=["last_sound", "middle_given_sound", "dob_md"],
                name="regkey_sounds2_md",
                condition=~models.Q(middle_given_sound=""),
            ),
            # A mis-keyed FBI number (stage four): only the records that carry one.
            models.Index(fields=["fbi_mid"], name="regkey_fbi_mid", condition=~models.Q(fbi_mid="")),
            models.Index(fields=["fbi_tail"], name="regkey_fbi_tail", condition=~models.Q(fbi_tail="")),
            # Registry records without a DOB, by exact names: small, so every booking can probe it cheaply.
            models.Index(
                fields=["last_norm", "first_canon"], name="regkey_names_nodob", condition=models.Q(dob__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"Registry key {self.subject_id}"


class NameFrequency(models.Model):
    """How many registry records carry a normalised given name or surname (``comparison`` = the comparison it
    adjusts; the row ``("*", "")`` holds the registry size). Rebuilt set-based by
    ``frequencies.name_frequencies_refresh`` after bulk loads, kept current by ``registry_subject_add``."""

    comparison = models.CharField(max_length=20)
    value = models.CharField(max_length=120)
    n = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comparison", "value"], name="namefreq_unique")]

    def __str__(self) -> str:
        return f"{self.comparison} {self.value!r}: {self.n}"


class ScreeningModel(models.Model):
    version = models.CharField(max_length=40, unique=True)
    splink_model = models.JSONField(help_text="splink 5 model JSON (settings with the estimated m/u and prior)")
    review_threshold = models.FloatField(help_text="match probability at or above which a match is proposed")
    registry_size = models.IntegerField()
    training_registry = models.IntegerField(default=0)
    training_bookings = models.IntegerField(default=0)
    trained_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    # Shadow comparisons with the model active at the time, on the officers' decisions (screening.learning):
    # one entry when stored, another each time activation is asked for. No personal data, only counts.
    evaluations = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"Screening model {self.version}"
