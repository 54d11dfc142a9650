# config: the configuration schema and the default pipelines.
dist_pkgdata_DATA += config/dangan.rng config/dangan.xml
# XML schemas of package formats, read by their plugins at run time
schemasdir = $(pkgdatadir)/schemas
dist_schemas_DATA = config/schemas/eep.xsd
