"""Column layouts of ICE's FOIA detainer releases (domain.md A1.9): the canonical fields each maps, the further
columns it documents, and the header-name comparison the importer detects them with."""

from __future__ import annotations

from dataclasses import dataclass

from holdtrack.core.importfile import column_key as column_key  # shared by every file importer

# Fields that FoiaDetainer stores in their own columns; of the other columns only those on the layout's
# allow-list (foia_columns) are stored, in ``extra``.
CANONICAL_FIELDS = ("prepare_date", "detainer_type", "facility_name", "facility_code", "state", "city", "lift_reason")
REQUIRED_FIELDS = ("prepare_date", "lift_reason")
TEXT_LIMITS = {"detainer_type": 200, "facility_name": 200, "facility_code": 20, "city": 100, "lift_reason": 120}


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    # canonical field -> accepted header names; the first is the documented one
    fields: dict[str, tuple[str, ...]]
    # further documented columns (stored in ``extra`` when on the allow-list); absent ones are reported missing
    columns: tuple[str, ...] = ()
    # names seen in some files of the release but not documented for all: recognized, never reported missing
    also_seen: tuple[str, ...] = ()
    # canonical fields whose absence is not drift (the release is not known to carry them)
    optional_fields: frozenset[str] = frozenset()

    def known_keys(self) -> set[str]:
        keys = {column_key(c) for c in (*self.columns, *self.also_seen)}
        for names in self.fields.values():
            keys.update(column_key(n) for n in names)
        return keys


SNAKE_6 = Layout(
    name="snake-6col",
    title="6 snake_case columns (the shipped FY2015 national and Pennsylvania extracts)",
    fields={
        "prepare_date": ("prepare_date",),
        "detainer_type": ("detainer_type",),
        "facility_name": ("detention_facility",),
        "state": ("state",),
        "city": ("city",),
        "lift_reason": ("lift_reason",),
    },
)

ICLI_00019 = Layout(
    name="ice-2025-icli-00019",
    title="ERO Detainers LESA-STU, release 2025-ICLI-00019_2024-ICFO-39357 (Excel, 6 preamble rows)",
    fields={
        "prepare_date": ("Detainer Prepare Date",),
        "detainer_type": ("Detainer Type",),
        "facility_name": ("Detention Facility",),
        "facility_code": ("Detention Facility Code",),
        "state": ("Facility State",),
        "city": ("Facility City",),
        "lift_reason": ("Detainer Lift Reason",),
    },
    columns=(
        "Facility AOR", "Port of Departure", "Departure Country", "Departed Date", "Case Status",
        "Detainer Prepared Criminality", "Detainer Prep Threat Level", "Gender", "Citizenship Country",
        "Birth Country", "Birth Date", "Birth Year", "Entry Status", "Most Serious Conviction (MSC) Charge",
        "MSC Sentence Days", "MSC Sentence Months", "MSC Sentence Years", "MSC Charge Code", "MSC Charge Date",
        "MSC Conviction Date", "Felon", "Processing Disposition", "Case Category", "Final Program",
        "Time of Apprehension Case Category", "Time of Apprehension Current Program", "Apprehension Method",
        "Case Final Order Yes No", "Final Order Date", "Apprehension Date", "Entry Date", "Prior Felony Yes No",
        "Multiple Prior MISD Yes No", "Violent Misdemeanor Yes No", "Illegal Entry Yes No",
        "Illegal Reentry Yes No", "Immigration Fraud Yes No", "Significant Risk Yes No",
        "Other Removal Reason Yes No", "Other Removal Reason", "Criminal Street Gang Yes No",
        "Aggravated Felony Yes No", "Deportation Ordered Yes No", "Order to Show Cause Served Yes No",
        "Order to Show Cause Served Date", "Biometric Match Yes No", "Statements Made Yes No",
        "Unlawful Attempt Yes No", "Unlawful Entry Yes No", "Visa Yes No", "Final Order Yes No",
        "Federal Interest Yes No", "Resume Custody Yes No", "Alien File Number", "EID Case ID",
        "EID Subject ID", "EID DTA ID", "Unique Identifier",
    ),
)  # fmt: skip

MARCH_2026 = Layout(
    name="ice-2026-03",
    title='"March 2026 Release" 2026-ICLI-00005 (Detainers FY25/FY26), underscore names',
    fields={
        "prepare_date": ("Detainer_Prepare_Date",),
        "detainer_type": ("Detainer_Type",),
        "facility_name": ("Detainer_Facility",),
        "facility_code": ("Detainer_Facility_Code",),
        "state": ("Facility_State",),
        "city": ("Facility_City",),
        "lift_reason": ("Detainer_Lift_Reason",),
    },
    columns=(
        "Facility_AOR", "Port_of_Departure", "Departure_Country", "Departed_Date", "Case_Status",
        "Detainer_Criminality", "Detainer_Threat_Level", "Gender", "Citizenship_Country", "Birth_Country",
        "Birth_Year", "Entry_Status", "MSC_Charge", "MSC_Sentence_Days", "MSC_Sentence_Months",
        "MSC_Sentence_Years", "MSC_Charge_Code", "MSC_Charge_Date", "MSC_Conviction_Date",
        "Aggravated_Felon_Yes_No", "Processing_Disposition", "Case_Category", "TOA_Case_Category",
        "TOA_Current_Program", "Apprehension_Method", "Final_Order_Yes_No", "Final_Order_Date",
        "Apprehension_Date", "Entry_Date", "Prior_Felony_Yes_No", "Multiple_Prior_MISD_Yes_No",
        "Violent_Misdemeanor_Yes_No", "Illegal_Entry_Yes_No", "Illegal_Reentry_Yes_No",
        "Immigration_Fraud_Yes_No", "Significant_Risk_Yes_No", "Other_Removal_Reason_Yes_No",
        "Other_Removal_Reason", "Criminal_Street_Gang_Yes_No", "Aggravated_Felony_Yes_No",
        "Deportation_Ordered_Yes_No", "Order_to_Show_Cause_Served_Yes_No", "Order_to_Show_Cause_Served_Date",
        "Biometric_Match_Yes_No", "Statements_Made_Yes_No", "Unlawful_Attempt_Yes_No", "Unlawful_Entry_Yes_No",
        "Visa_Yes_No", "Federal_Register_Notice_Yes_No", "Resume_Custody_Yes_No", "Detainer_Lift_Reason_Code",
        "Active_Investigation_Yes_No", "Arrest_Warrant_Served_Date", "Notify_Release_Request_Yes_No",
        "TOD_Current_Duty_Site", "EID_DTA_ID", "Anonymized_Identifier",
    ),
)  # fmt: skip

ICFO_18038 = Layout(
    name="ice-2025-icfo-18038",
    title="Release 2025-ICFO-18038 (June 2017 to March 2025), wide underscore extract",
    fields={
        "prepare_date": ("Detainer_Prepare_Date",),
        "detainer_type": ("Detainer_Type",),
        "facility_name": ("Detainer_Detention_Facility", "Detainer_Facility"),
        "facility_code": ("Detainer_Detention_Facility_Code", "Detainer_Facility_Code"),
        "state": ("Facility_State", "Detainer_Facility_State"),
        "city": ("Facility_City", "Detainer_Facility_City"),
        "lift_reason": ("Detainer_Lift_Reason",),
    },
    columns=(
        "Detainer_ID", "Detainer_Lift_Date", "Detainer_Lift_Reason_Code", "Detainer_Lift_Reason2",
        "Detainer_Lift_Reason_Code2", "Arrest_Warrant_Served_Yes_No", "Arrest_Warrant_Served_Date",
        "Deportation_Ordered_Yes_No", "Active_Investigation_Yes_No", "Order_to_Show_Cause_Served_Yes_No",
        "Order_to_Show_Cause_Served_Date", "Biometric_Match_Yes_No", "Statements_Made_Yes_No",
        "Prior_Felony_Yes_No", "Multiple_Prior_Misd_Yes_No", "Violent_Misdemeanor_Yes_No",
        "Illegal_Entry_Yes_No", "Illegal_Reentry_Yes_No", "Immigration_Fraud_Yes_No", "Significant_Risk_Yes_No",
        "Other_Removal_Reason_Yes_No", "Other_Removal_Reason", "Aggravated_Felony_Yes_No",
        "Criminal_Street_Gang_Yes_No", "Detainer_Request_Upon_Conviction_Yes_No", "Resume_Custody_Yes_No",
        "Component_Notified", "Previous_Detainer_Cancel_Yes_No", "Previous_Detainer_Cancel_Prep_Date",
        "Unlawful_Entry_Yes_No", "Unlawful_Attempt_Yes_No", "Final_Order_Yes_No", "Federal_Interest_Yes_No",
        "Visa_Yes_No", "Death_Transfer_Notify_Request_Yes_No", "Federal_Register_Notice_Yes_No",
        "Notify_Release_Request_Yes_No", "Request_Acceptance_Yes_No", "Return_Signature_Request_Yes_No",
        "Return_Envelope_Include_Yes_No", "Return_by_Fax_Yes_No", "Detainer_AOR", "Program", "Active_Yes_No",
        "Government_Employee_ID", "Return_to_Employee_ID", "Detainer_Inmate_Number_Type_Code",
        "Detainer_Facility_Other_Type", "Other_Detainer_Facility_Name", "Projected_Release_Date",
        "Projected_Release_Day", "Projected_Release_Month", "Projected_Release_Year",
        "Detainer_Facility_Function", "Detainer_Facility_Type", "Apprehension_AOR", "Apprehension_Site",
        "Apprehension_Site_Landmark", "Apprehension_Final_Program", "Apprehension_Method",
        "Apprehension_Program", "Apprehension_Program_Group", "Apprehension_Date", "Port_of_Departure",
        "Departure_Country", "Departed_Date", "Case_Category", "Gender", "Birth_Country", "Birth_City",
        "Birth_State", "Citizenship_Country", "Birth_Date", "Birth_Year", "Race", "Ethnicity",
        "Admission_Class", "Student_Violator_Yes_No", "Non_Immigrant_Status_Violation_Yes_No",
        "Non_Immigrant_Overstay_Yes_No", "EO_VISA_Abuse_Flag", "EO_Person_Visa_Abuse_Yes_No", "EO_Gang_Flag",
        "EO_Person_Gang_Flag", "Entry_Status", "Entry_Date", "Latest_Entry_Status", "Latest_Entry_Date",
        "Final_Order_Date", "Detainer_Most_Serious_Conviction_Charge_Code",
        "Detainer_Most_Serious_Conviction_Charge", "Detainer_Most_Serious_Conviction_Crime_Class",
        "Detainer_Most_Serious_Conviction_Criminal_Charge_Status",
        "Detainer_Most_Serious_Conviction_Conviction_Date", "Detainer_Most_Serious_Conviction_Charge_Date",
        "Detainer_Most_Serious_Conviction_Sentence_Days", "Detainer_Most_Serious_Conviction_Sentence_Months",
        "Detainer_Most_Serious_Conviction_Sentence_Years", "Detainer_Most_Serious_Charge_Code",
        "Detainer_Most_Serious_Charge", "Detainer_Most_Serious_Charge_Crime_Class",
        "Detainer_Most_Serious_Criminal_Charge_Status", "Detainer_Most_Serious_Charge_Date",
        "Detainer_Most_Serious_Charge_Sentence_Days", "Detainer_Most_Serious_Charge_Sentence_Months",
        "Detainer_Most_Serious_Charge_Sentence_Years", "Detainer_Most_Serious_Pending_Charge_Code",
        "Detainer_Most_Serious_Pending_Charge", "Detainer_Most_Serious_Pending_Criminal_Charge_Status",
        "Detainer_Most_Serious_Pending_Crime_Class", "Detainer_Most_Serious_Pending_Conviction_Date",
        "Detainer_Most_Serious_Pending_Charge_Date", "Detainer_Most_Serious_Pending_Sentence_Days",
        "Detainer_Most_Serious_Pending_Sentence_Months", "Detainer_Most_Serious_Pending_Sentence_Years",
        "Aggravated_Felon_Type", "Mandatory_Detention_Yes_No", "Detainer_Prepared_Criminality",
        "Detainer_Threat_Level", "Processing_Disposition", "Latest_Detainer_Yes_No",
        "Detainer_Removal_Case_Yes_No", "Current_Yes_No", "EID_DTA_ID", "EID_DTA_Create_Date", "EID_Subject_ID",
        "EID_Civilian_ID", "EID_Person_ID", "EID_Case_ID", "Alien_Number_Unique_Identifier", "Alien_File_Number",
        "Subject_Name", "Detainer_Prepare_Fiscal_Year",
    ),
    optional_fields=frozenset({"state", "city"}),
)  # fmt: skip

NPR_PRE2017 = Layout(
    name="npr-pre2017",
    title="Files for FY2008 to June 2017 obtained by NPR (CSV or tab-separated TXT, M/D/YY dates)",
    fields={
        "prepare_date": ("Prepare Date",),
        "detainer_type": ("Detainer Type",),
        "facility_name": ("Detainer Detention Facility",),
        "facility_code": ("Detainer Detention Facility Code",),
        "state": ("State",),
        "city": ("City",),
        "lift_reason": ("Detainer Lift Reason",),
    },
    also_seen=("Area Of Responsibility", "Detainer Lift Reason 2 Code", "Osc Served Yes No", "Osc Served Date"),
    optional_fields=frozenset({"facility_code"}),
)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout for layout in (SNAKE_6, ICLI_00019, ICFO_18038, MARCH_2026, NPR_PRE2017)
}
