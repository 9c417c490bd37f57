"""The appraisal pages: flow tasks, the org dept's rounds, the public ballot, the record, the reports."""
