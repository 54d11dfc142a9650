# XML schemas of package formats, read by their plugins at run time
schemasdir = $(pkgdatadir)/schemas
dist_schemas_DATA = config/schemas/eep.xsd
# config: the configuration schema and the default pipelines, the
# document-type definition schema and the catalogues of definitions.
dist_pkgdata_DATA += config/dangan.rng config/dangan.xml config/doctype.rng
# config/doctypes: the shipped document-type catalogues (data, one
# directory a catalogue), installed as $(pkgdatadir)/doctypes/NAME/*.xml;
# power-supply is the classify stage's default catalogue
psdoctypesdir = $(pkgdatadir)/doctypes/power-supply
dist_psdoctypes_DATA = \
	config/doctypes/power-supply/README.md \
	config/doctypes/power-supply/billing.xml \
	config/doctypes/power-supply/change.xml \
	config/doctypes/power-supply/connection.xml \
	config/doctypes/power-supply/inspection.xml \
	config/doctypes/power-supply/metering.xml \
	config/doctypes/power-supply/scope.xml \
	config/doctypes/power-supply/service.xml
endoctypesdir = $(pkgdatadir)/doctypes/classify-en
dist_endoctypes_DATA = config/doctypes/classify-en/classify-en.xml
EXTRA_DIST += config/doctypes/power-supply/NOTES.md
