# config: the configuration schema and the default pipelines.
dist_pkgdata_DATA += config/dangan.rng config/dangan.xml
