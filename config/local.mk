# XML schemas of package formats, read by their plugins at run time
schemasdir = $(pkgdatadir)/schemas
dist_schemas_DATA = config/schemas/eep.xsd
# config: the configuration schema and the default pipelines, the
# document-type definition schema and the catalogues of definitions.
dist_pkgdata_DATA += config/dangan.rng config/dangan.xml config/doctype.rng
# the power-supply customer-archive catalogue (classify's default)
doctypes_powersupplydir = $(pkgdatadir)/doctypes/power-supply
dist_doctypes_powersupply_DATA = config/doctypes/power-supply/README.md
