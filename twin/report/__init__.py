"""The planners' report: the audit, the coverage maps, the road and entrance tables, the
suggested cameras and the data sources as one self-contained HTML page and the same as PDF
(``build.make_report``); every text in both languages (``texts``)."""
